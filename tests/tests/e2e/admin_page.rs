//! The admin page in headless Chromium against the real `zegel` binary: the CLI makes a tenant and an
//! admin, the admin pastes the token, sees the previews in each language, gets a validation message,
//! saves, and the API and the sender view show the change.

use serde_json::{Value, json};
use zegel_tests::browser::Browser;
use zegel_tests::{SmtpReceiver, Zegel, client};

async fn api(base: &str, token: &str, path: &str) -> Value {
    let response = client()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The text of the element `css`.
async fn text(browser: &Browser, css: &str) -> String {
    let value = browser
        .wait_for(
            &format!(
                "document.querySelector({css:?}) && document.querySelector({css:?}).innerText"
            ),
            css,
        )
        .await;
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_the_settings_in_a_browser() {
    let smtp = SmtpReceiver::start();
    let mut zegel = Zegel::new(smtp.address);
    zegel.add_tenant("Ziekenhuis Noord", "zhn.example");
    zegel.grant_admin("ciso@zhn.example");
    let admin = zegel.token("ciso@zhn.example");
    let sender = zegel.token("arts@zhn.example");
    let refused = zegel.run(&[
        "admin",
        "grant",
        "--email",
        "x@nergens.example",
        "--role",
        "admin",
    ]);
    assert!(!refused.status.success(), "a domain no tenant owns");
    zegel.serve();
    let base = zegel.base.clone();

    let browser = Browser::start(&["--window-size=1100,1800"]).await;
    browser.goto(&format!("{base}/admin")).await;
    // A sender's token does not open the page.
    browser.type_into("#token", &sender).await;
    browser.click("#sign-in").await;
    assert!(
        text(&browser, "#login-error")
            .await
            .contains("without the admin role")
    );
    browser.type_into("#token", &admin).await;
    browser.click("#sign-in").await;
    browser
        .wait_for("document.querySelector('#settings')", "the settings form")
        .await;
    assert_eq!(text(&browser, "h1").await, "Ziekenhuis Noord");
    // Day one: the care defaults, and a preview of the notification in each language.
    let checked = |id: &str| format!("document.querySelector('#{id}').checked");
    assert_eq!(
        browser
            .js(&format!("return {};", checked("pw_generated")), vec![])
            .await,
        json!(true)
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#expiry_max').value;",
                vec![]
            )
            .await,
        json!("14")
    );
    for (code, subject) in [
        ("nl", "Beveiligd bericht: Verwijsbrief mevrouw De Vries"),
        ("en", "Secure message: Referral letter Mrs De Vries"),
        ("sv", "Säkert meddelande: Remiss fru De Vries"),
    ] {
        let shown = text(&browser, &format!("#preview-{code} .preview-subject")).await;
        assert_eq!(shown, subject, "{code}");
        browser
            .wait_for(
                &format!("document.querySelector('#preview-{code} iframe')"),
                "the preview frame",
            )
            .await;
    }
    browser.screenshot("admin-page-day-one").await;
    // Whether scans are read (Tesseract is installed for the tests, so they are).
    let ocr = text(&browser, "#ocr-status").await;
    assert!(ocr.contains("(OCR") && ocr.contains("nld"), "{ocr}");

    // More than the operator allows: the page says which field and keeps what was typed.
    browser.type_into("#expiry_max", "30").await;
    browser.click("#save").await;
    let error = text(&browser, "#expiry-error").await;
    assert!(error.contains("between 1 and 14"), "{error}");
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#expiry_max').value;",
                vec![]
            )
            .await,
        json!("30")
    );
    browser.screenshot("admin-page-validation").await;

    // Fix it, hide the generated password and the subject, rename; save.
    browser.type_into("#expiry_max", "10").await;
    browser.type_into("#expiry_default", "5").await;
    browser.click("#pw_generated").await;
    browser.click("#hide_subject").await;
    browser.type_into("#brand_name", "ZHN Veilig").await;
    browser
        .type_into("#trigger_words", "Uitslag | force | 2fa")
        .await;
    browser.click("#save").await;
    assert!(text(&browser, "#saved").await.starts_with("Saved"));
    assert_eq!(text(&browser, "#version").await, "1");
    // The preview shows the change: a neutral subject.
    let shown = text(&browser, "#preview-nl .preview-subject").await;
    // Named once, never "Beveiligd bericht: Beveiligd bericht".
    assert_eq!(shown, "Beveiligd bericht");
    browser.screenshot("admin-page-saved").await;
    browser
        .js(
            "document.querySelector('#preview-nl').scrollIntoView(); return true;",
            vec![],
        )
        .await;
    browser.screenshot("admin-page-preview").await;

    let settings = api(&base, &admin, "/api/v1/admin/settings").await;
    assert_eq!(settings["expiry_days"], json!({"default": 5, "max": 10}));
    assert_eq!(settings["password_options"]["generated"], false);
    assert_eq!(
        (&settings["hide_subject"], &settings["branding"]["name"]),
        (&json!(true), &json!("ZHN Veilig"))
    );
    assert_eq!(
        settings["content_filter"]["trigger_words"],
        json!([{"word": "Uitslag", "action": "force", "level": "2fa"}])
    );
    let versions = api(&base, &admin, "/api/v1/admin/settings/versions").await;
    assert_eq!(
        versions["versions"][0]["changed_by"],
        "admin:ciso@zhn.example"
    );
    let view = api(&base, &sender, "/api/v1/settings").await;
    assert_eq!(view["password_options"]["generated"], false);
    assert_eq!(view["expiry_days"]["max"], 10);

    // The preview itself, as the frame loads it.
    browser.goto(&format!("{base}/admin/preview/sv")).await;
    let body = text(&browser, "body").await;
    assert!(body.contains("ZHN Veilig"), "{body}");

    // Signing out ends the session.
    browser.goto(&format!("{base}/admin")).await;
    browser.click("form[action='/admin/logout'] button").await;
    browser
        .wait_for("document.querySelector('#token')", "the sign-in form")
        .await;
    browser.close().await;
}

/// English words that have no business on the Dutch or Swedish admin page (whole words, lower case).
const ENGLISH: [&str; 12] = [
    "the",
    "your",
    "and",
    "settings",
    "sign",
    "save",
    "when",
    "with",
    "domains",
    "files",
    "password",
    "recipients",
];

/// The admin page in Dutch and, through its language switch, Swedish, on an emulated 390 px phone:
/// no sideways scrolling, no English word outside the previews, a validation message in the page's
/// own language (a brand colour too light for white text), and the sign-in form with the
/// organisation's account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_reads_well_in_dutch_and_swedish_on_a_phone() {
    let smtp = SmtpReceiver::start();
    let mut zegel = Zegel::new(smtp.address);
    zegel.add_tenant("Gemeente Westerkwartier", "westerkwartier.example");
    zegel.grant_admin("beheer@westerkwartier.example");
    let admin = zegel.token("beheer@westerkwartier.example");
    zegel.serve();
    let base = zegel.base.clone();
    let browser = Browser::phone(390).await;
    browser.goto(&format!("{base}/lang/nl?back=/admin")).await;
    browser
        .wait_for("document.querySelector('#sso-email')", "the sign-in form")
        .await;
    assert_eq!(
        browser
            .js("return document.documentElement.lang;", vec![])
            .await,
        json!("nl")
    );
    assert!(text(&browser, "h1").await.contains("beheerpagina"));
    browser.screenshot("admin-sign-in-nl-390").await;
    browser.type_into("#token", &admin).await;
    browser.click("#sign-in").await;
    browser
        .wait_for("document.querySelector('#settings')", "the settings form")
        .await;
    for language in ["nl", "sv"] {
        if language == "sv" {
            browser.goto(&format!("{base}/lang/sv?back=/admin")).await;
            browser
                .wait_for("document.querySelector('#settings')", "the settings form")
                .await;
        }
        assert_eq!(
            browser
                .js("return document.documentElement.lang;", vec![])
                .await,
            json!(language)
        );
        // A colour white text cannot be read on: refused, in the page's language.
        browser
            .js(
                "document.querySelector('#brand_color').value = '#ffe066'; return true;",
                vec![],
            )
            .await;
        browser.click("#save").await;
        let error = text(&browser, "#form-error").await;
        let expected = if language == "nl" {
            "te licht"
        } else {
            "för ljus"
        };
        assert!(error.contains(expected), "{language}: {error}");
        let overflow = browser
            .js(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await;
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "the admin page ({language}) scrolls sideways by {overflow} px"
        );
        let words = browser
            .js(
                "const main = document.querySelector('main').cloneNode(true); \
                 main.querySelectorAll('.preview, .history').forEach(e => e.remove()); \
                 return main.innerText + ' ' + document.querySelector('header').innerText;",
                vec![],
            )
            .await;
        let words = words.as_str().unwrap().to_lowercase();
        for word in words.split(|c: char| !c.is_alphanumeric()) {
            assert!(
                !ENGLISH.contains(&word),
                "the admin page ({language}) shows the English word {word:?}:\n{words}"
            );
        }
        browser
            .screenshot(&format!("admin-page-{language}-390"))
            .await;
    }
    browser.close().await;
}
