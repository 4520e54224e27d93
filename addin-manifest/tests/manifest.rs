//! The rendered manifest against the [MS-OWEMXML] rules, for several public URLs; and the rules
//! themselves against manifests broken on purpose, so a rule that could never fail is noticed.

use addin_manifest::{render, rules};

const BASE: &str = "https://zegel.zorg.example";

#[test]
fn the_rendered_manifest_follows_every_rule() {
    for base in [
        BASE,
        "https://zegel.zorg.example/",
        "http://127.0.0.1:8080",
        "https://mail.example/zegel&co",
    ] {
        let xml = render(base);
        let problems = rules::check(&xml);
        assert!(problems.is_empty(), "{base}:\n{}", problems.join("\n"));
    }
}

#[test]
fn every_url_is_built_from_the_public_url() {
    let xml = render("https://zegel.zorg.example/");
    assert!(!xml.contains("%BASE_URL%"));
    assert!(
        !xml.contains("example//addin"),
        "no double slash after the base"
    );
    let urls: Vec<&str> = xml
        .split('"')
        .filter(|s| {
            s.starts_with("http")
                && !s.contains("schemas.microsoft.com")
                && !s.contains("www.w3.org")
        })
        .collect();
    assert!(urls.len() >= 10, "{urls:?}");
    for url in &urls {
        assert!(
            url.starts_with("https://zegel.zorg.example/addin/"),
            "{url}"
        );
    }
    assert!(xml.contains("<AppDomain>https://zegel.zorg.example</AppDomain>"));
    let escaped = render("https://mail.example/a&b");
    assert!(escaped.contains("https://mail.example/a&amp;b/addin/taskpane.html"));
}

#[test]
fn the_manifest_declares_what_the_issue_asks_for() {
    let xml = render(BASE);
    for needle in [
        r#"<bt:Sets DefaultMinVersion="1.12">"#,
        r#"xsi:type="MessageComposeCommandSurface""#,
        r#"xsi:type="MessageReadCommandSurface""#,
        r#"<LaunchEvent Type="OnNewMessageCompose" FunctionName="onNewMessageComposeHandler"/>"#,
        r#"<LaunchEvent Type="OnMessageSend" FunctionName="onMessageSendHandler" SendMode="SoftBlock"/>"#,
        r#"<Override type="javascript" resid="Runtime.Js"/>"#,
        "/addin/launchevent.js",
        "/addin/commands.html",
        "<Permissions>ReadWriteItem</Permissions>",
    ] {
        assert!(xml.contains(needle), "missing {needle}");
    }
}

/// Each mutation of the good manifest must be caught by a rule naming the problem.
#[test]
fn the_rules_catch_broken_manifests() {
    let good = render(BASE);
    let cases: [(&str, &str, &str); 14] = [
        (
            "resid=\"Compose.Url\"",
            "resid=\"Compose.Url.That.Is.Far.Too.Long.For.Ids\"",
            "longer than 32",
        ),
        ("resid=\"Icon.80\"", "resid=\"Icon.81\"", "does not resolve"),
        (
            "<Description resid=\"Compose.Tip\"/>",
            "<Description resid=\"Compose.Label\"/>",
            "LongStrings",
        ),
        (
            "<Version>1.0.0.0</Version>",
            "<Version>1.0.0.0.0</Version>",
            "Version",
        ),
        (
            "<Id>0fa69ab1-032d-4599-a25f-1297d3b6ef14</Id>",
            "<Id>zegel</Id>",
            "not a UUID",
        ),
        (
            "<Permissions>ReadWriteItem</Permissions>",
            "<Permissions>Everything</Permissions>",
            "Permissions",
        ),
        (
            "SendMode=\"SoftBlock\"",
            "SendMode=\"Sometimes\"",
            "SendMode",
        ),
        (
            "<ProviderName>Zegel</ProviderName>",
            "",
            "required element ProviderName",
        ),
        (
            "<DefaultLocale>nl-NL</DefaultLocale>",
            "<DefaultLocale>Dutch</DefaultLocale>",
            "DefaultLocale",
        ),
        (
            "<RequestedHeight>250</RequestedHeight>",
            "<RequestedHeight>900</RequestedHeight>",
            "RequestedHeight",
        ),
        ("<bt:Image size=\"80\" resid=\"Icon.80\"/>", "", "size 80"),
        (
            "DefaultValue=\"Zegel\">\n    <Override Locale=\"en-US\"",
            "DefaultValue=\"\">\n    <Override Locale=\"en-US\"",
            "DisplayName@DefaultValue",
        ),
        (
            "Type=\"OnNewMessageCompose\"",
            "Type=\"OnCoffee\"",
            "unknown Type",
        ),
        (
            "xsi:type=\"MailApp\"",
            "xsi:type=\"TaskPaneApp\"",
            "MailApp",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(good.contains(from), "the good manifest lacks {from}");
        let broken = good.replacen(from, to, 1);
        let problems = rules::check(&broken);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{from} -> {to}: expected a problem with {expected:?}, got {problems:?}"
        );
    }
    // Order: SupportUrl moved before IconUrl.
    let support =
        "  <SupportUrl DefaultValue=\"https://zegel.zorg.example/addin/logblock.html\"/>\n";
    let reordered =
        good.replacen(support, "", 1)
            .replacen("  <IconUrl", &format!("{support}  <IconUrl"), 1);
    assert!(
        rules::check(&reordered)
            .iter()
            .any(|p| p.contains("out of order")),
        "{:?}",
        rules::check(&reordered)
    );
    // Lengths: a display name over 125 characters, a description over 250.
    let long_name = good.replacen(
        "<Override Locale=\"en-US\" Value=\"Zegel\"/>",
        &format!("<Override Locale=\"en-US\" Value=\"{}\"/>", "Z".repeat(126)),
        1,
    );
    assert!(
        rules::check(&long_name)
            .iter()
            .any(|p| p.contains("1 to 125"))
    );
    let long_tip = good.replacen(
        "Value=\"See who opened",
        &format!("Value=\"{} See who opened", "x".repeat(250)),
        1,
    );
    assert!(
        rules::check(&long_tip)
            .iter()
            .any(|p| p.contains("1 to 250"))
    );
    let long_url = render(&format!("https://zegel.example/{}", "a".repeat(2040)));
    assert!(
        rules::check(&long_url)
            .iter()
            .any(|p| p.contains("1 to 2048"))
    );
    assert!(
        !rules::check("<OfficeApp").is_empty(),
        "malformed XML is a problem"
    );
}

const CLIENT_ID: &str = "3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d";

fn with_sso(base: &str, resource: &str) -> String {
    addin_manifest::render_with(
        base,
        Some(addin_manifest::WebApplication {
            client_id: CLIENT_ID,
            resource,
        }),
    )
}

#[test]
fn single_sign_on_adds_web_application_info_that_follows_the_rules() {
    for (base, resource) in [
        (BASE, format!("api://zegel.zorg.example/{CLIENT_ID}")),
        (
            "http://127.0.0.1:8080/",
            format!("api://127.0.0.1:8080/{CLIENT_ID}"),
        ),
    ] {
        let xml = with_sso(base, &resource);
        assert_eq!(rules::check(&xml), Vec::<String>::new(), "{base}");
        assert!(xml.contains(&format!(
            "<WebApplicationInfo>\n        <Id>{CLIENT_ID}</Id>\n        <Resource>{resource}</Resource>\n        <Scopes><Scope>openid</Scope><Scope>profile</Scope></Scopes>\n      </WebApplicationInfo>"
        )));
        // It closes the 1.1 overrides' resources, as the schema's sequence wants.
        let resources_end = xml.find("</Resources>").unwrap();
        assert!(xml.find("<WebApplicationInfo>").unwrap() > resources_end);
    }
    assert!(
        !render(BASE).contains("<WebApplicationInfo>"),
        "no single sign-on without a client id"
    );
}

#[test]
fn the_rules_catch_broken_web_application_info() {
    let resource = format!("api://zegel.zorg.example/{CLIENT_ID}");
    let good = with_sso(BASE, &resource);
    let cases: [(&str, String, &str); 6] = [
        (
            "<Id>3f8e2c1a",
            "<Id>zegel-3f8e2c1a".to_owned(),
            "WebApplicationInfo/Id",
        ),
        (
            "<Resource>api://zegel.zorg.example/",
            "<Resource>api://elders.example/".to_owned(),
            "not api://<the add-in's host>/<Id>",
        ),
        (
            "<Resource>api://",
            "<Resource>https://".to_owned(),
            "not api://<the add-in's host>/<Id>",
        ),
        (
            "<Scopes><Scope>openid</Scope><Scope>profile</Scope></Scopes>",
            "<Scopes></Scopes>".to_owned(),
            "at least one Scope",
        ),
        (
            "<Scopes><Scope>openid</Scope><Scope>profile</Scope></Scopes>",
            String::new(),
            "required element Scopes",
        ),
        (
            "<Scope>openid</Scope>",
            format!("<Scope>{}</Scope>", "s".repeat(251)),
            "Scopes/Scope: must have 1 to 250",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(good.contains(from), "the good manifest lacks {from}");
        let problems = rules::check(&good.replacen(from, &to, 1));
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{from} -> {to}: expected {expected:?}, got {problems:?}"
        );
    }
    // Before the resources it is out of the schema's order.
    let start = good.find("<WebApplicationInfo>").unwrap();
    let end = good.find("</WebApplicationInfo>").unwrap() + "</WebApplicationInfo>".len();
    let info = &good[start..end];
    let moved = good.replacen(info, "", 1).replacen(
        "<Resources>",
        &format!("{info}\n      <Resources>"),
        1,
    );
    assert!(
        rules::check(&moved)
            .iter()
            .any(|p| p.contains("WebApplicationInfo is out of order")
                || p.contains("Resources is out of order")),
        "{:?}",
        rules::check(&moved)
    );
}
