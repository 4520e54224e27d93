//! The admin page in headless Chromium against the real `zegel` binary: the CLI makes a tenant and an
//! admin, the admin pastes the token, sees the previews in each language, gets a validation message,
//! saves, and the API and the sender view show the change. And the admin's sign-in with the tenant's
//! OpenID Connect issuer (the local stand-in for Entra ID), in Chromium and step by step over HTTP.

use serde_json::{Value, json};
use zegel_tests::browser::Browser;
use zegel_tests::identity::{self, TestIssuer};
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
        browser.assert_fits("the admin page", language).await;
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
// Signing in with the organisation's account: the authorization code flow with PKCE.

/// A tenant `zorg.example` with the admin `admin@zorg.example` that trusts `issuer` for ID tokens of the
/// tests' app registration (app role `Zegel.Admin` makes an admin too), and a tenant `leeg.example` that
/// trusts no issuer; with the SMTP receiver it delivers to.
fn sso_zegel(issuer: &TestIssuer, prepare: impl FnOnce(&mut Zegel)) -> (Zegel, SmtpReceiver) {
    let smtp = SmtpReceiver::start();
    let mut zegel = Zegel::new(smtp.address);
    prepare(&mut zegel);
    zegel.add_tenant("Zorg Noord", "zorg.example");
    zegel.add_tenant("Leeg", "leeg.example");
    zegel.grant_admin("admin@zorg.example");
    zegel.run_ok(&[
        "admin",
        "oidc",
        "set",
        "--domain",
        "zorg.example",
        "--issuer",
        &issuer.url,
        "--audience",
        identity::CLIENT_ID,
        "--user-claim",
        "preferred_username",
        "--admin-claim",
        "roles",
        "--admin-value",
        "Zegel.Admin",
    ]);
    zegel.serve();
    (zegel, smtp)
}

/// `GET url` without following a redirect: the answer and where it redirects to, if it does.
async fn get(browser: &reqwest::Client, url: &str) -> (reqwest::Response, Option<String>) {
    let response = browser.get(url).send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (response, location)
}

/// From `/admin/oidc/start?email=<email>` through the issuer: the callback URL the issuer sends the
/// browser back to (not yet visited).
async fn to_callback(browser: &reqwest::Client, base: &str, email: &str) -> String {
    let (_, to_issuer) = get(browser, &format!("{base}/admin/oidc/start?email={email}")).await;
    let to_issuer = to_issuer.expect("a redirect to the issuer");
    let (answer, back) = get(browser, &to_issuer).await;
    assert_eq!(answer.status(), 302, "the issuer signs in at once");
    let back = back.unwrap();
    assert!(
        back.starts_with(&format!("{base}/admin/oidc/callback?")),
        "{back}"
    );
    back
}

/// Where `/admin` was sent with `?sso=<outcome>`, after visiting `url`.
async fn outcome(browser: &reqwest::Client, url: &str) -> String {
    let (answer, location) = get(browser, url).await;
    assert_eq!(answer.status(), 303, "{url}");
    let location = location.unwrap();
    location
        .strip_prefix("/admin?sso=")
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned()
}

/// The admin page as `browser` sees it.
async fn admin_page(browser: &reqwest::Client, base: &str) -> String {
    let (answer, _) = get(browser, &format!("{base}/admin")).await;
    assert_eq!(answer.status(), 200);
    answer.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_signs_in_with_the_organisations_account_in_a_browser() {
    // Entra ID is another site than Zegel, and the way back starts there (its account picker): the
    // session cookie (SameSite=Strict) must still arrive on the admin page.
    let issuer = TestIssuer::start_on_another_site();
    issuer.ask_to_pick_account();
    let (zegel, _smtp) = sso_zegel(&issuer, |_| {});
    let base = zegel.base.clone();
    let browser = Browser::start(&["--window-size=1100,1200"]).await;
    // The way in is the sign-in page's form: the work address names the organisation.
    browser.goto(&format!("{base}/admin")).await;
    browser
        .wait_for("document.querySelector('#sso-email')", "the sign-in form")
        .await;
    browser.type_into("#sso-email", "admin@zorg.example").await;
    browser.click("#sso-sign-in").await;
    browser
        .wait_for(
            "document.querySelector('#account')",
            "the issuer's account picker",
        )
        .await;
    browser.click("#account").await;
    browser
        .wait_for("document.querySelector('#settings')", "the settings form")
        .await;
    assert_eq!(
        browser.js("return location.pathname;", vec![]).await,
        json!("/admin")
    );
    assert_eq!(text(&browser, "h1").await, "Zorg Noord");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_with_the_organisations_account_holds_step_by_step() {
    let issuer = TestIssuer::start();
    // A confidential client: the registration's secret from a file, which the issuer insists on.
    issuer.require_client_secret("s3cret-of-the-app");
    let secrets = tempfile::TempDir::new().unwrap();
    let secret_file = secrets.path().join("oidc-client-secret");
    std::fs::write(&secret_file, "s3cret-of-the-app\n").unwrap();
    let (zegel, _smtp) = sso_zegel(&issuer, |zegel| {
        zegel.env.push((
            "ZEGEL_OIDC_CLIENT_SECRET_FILE".to_owned(),
            secret_file.display().to_string(),
        ));
    });
    let base = zegel.base.clone();

    // To the issuer with the authorization request of the code flow with PKCE, and a flow cookie.
    let alice = client();
    let (start, to_issuer) = get(
        &alice,
        &format!("{base}/admin/oidc/start?email=admin@zorg.example"),
    )
    .await;
    assert_eq!(start.status(), 303);
    let cookie = start.headers()["set-cookie"].to_str().unwrap();
    for part in [
        "zegel-admin-oidc=",
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=600",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let to_issuer = reqwest::Url::parse(&to_issuer.unwrap()).unwrap();
    assert!(
        to_issuer
            .as_str()
            .starts_with(&format!("{}/oauth2/v2.0/authorize?", issuer.url))
    );
    let query: std::collections::HashMap<_, _> = to_issuer.query_pairs().into_owned().collect();
    let callback_uri = format!("{base}/admin/oidc/callback");
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", identity::CLIENT_ID),
        ("redirect_uri", callback_uri.as_str()),
        ("scope", "openid profile email"),
        ("code_challenge_method", "S256"),
        ("login_hint", "admin@zorg.example"),
    ] {
        assert_eq!(query.get(name).map(String::as_str), Some(value), "{name}");
    }
    for random in ["state", "nonce", "code_challenge"] {
        assert_eq!(query[random].len(), 43, "{random}");
    }
    assert_ne!(query["state"], query["nonce"]);
    // Back with a code; the callback signs in and moves on to /admin from a page of this site.
    let (answer, back) = get(&alice, to_issuer.as_str()).await;
    assert_eq!(answer.status(), 302);
    let callback = back.unwrap();
    let (signed_in, _) = get(&alice, &callback).await;
    assert_eq!(signed_in.status(), 200);
    let cookies: Vec<_> = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("zegel-admin=") && c.contains("SameSite=Strict")),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("zegel-admin-oidc=;") && c.contains("Max-Age=0")),
        "the flow cookie goes: {cookies:?}"
    );
    let onward = signed_in.text().await.unwrap();
    assert!(
        onward.contains("http-equiv=\"refresh\" content=\"0; url=/admin\""),
        "{onward}"
    );
    assert!(admin_page(&alice, &base).await.contains("id=\"settings\""));
    // The state is used once: the same callback again fails, and the session stays as it was.
    assert_eq!(outcome(&alice, &callback).await, "failed");

    // A callback reaches another browser (one that started a sign-in of its own): it fails there, and
    // the flow is used up for the browser that started it too.
    let bob = client();
    let alices = to_callback(&client(), &base, "admin@zorg.example").await;
    let _bobs = to_callback(&bob, &base, "admin@zorg.example").await;
    assert_eq!(outcome(&bob, &alices).await, "failed");
    assert!(
        admin_page(&bob, &base).await.contains("id=\"token\""),
        "not signed in"
    );

    // A state that is not the flow's, and an issuer's error, fail.
    let carol = client();
    let callback = to_callback(&carol, &base, "admin@zorg.example").await;
    let mut forged = reqwest::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged.query_pairs().into_owned().collect();
    forged
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(k, v)| {
            (
                k.as_str(),
                if k == "state" {
                    "A".repeat(43)
                } else {
                    v.clone()
                },
            )
        }));
    assert_eq!(outcome(&carol, forged.as_str()).await, "failed");
    let state = &pairs.iter().find(|(k, _)| k == "state").unwrap().1;
    assert_eq!(
        outcome(
            &carol,
            &format!("{base}/admin/oidc/callback?error=access_denied&state={state}")
        )
        .await,
        "failed"
    );
    // The error used the flow up.
    assert_eq!(outcome(&carol, &callback).await, "failed");

    // The issuer redeems a code only with the verifier of its challenge, and only once: a code redeemed
    // with a wrong verifier no longer signs in through Zegel.
    let dave = client();
    let callback = to_callback(&dave, &base, "admin@zorg.example").await;
    let code = reqwest::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let refused = client()
        .post(format!("{}/oauth2/v2.0/token", issuer.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback_uri.as_str()),
            ("client_id", identity::CLIENT_ID),
            ("code_verifier", &"w".repeat(43)),
            ("client_secret", "s3cret-of-the-app"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let refusal: Value = refused.json().await.unwrap();
    assert_eq!(refusal["error"], "invalid_grant");
    assert_eq!(outcome(&dave, &callback).await, "failed");

    // The user the issuer signs in decides, not the address typed: a sender is no admin.
    let erin = client();
    issuer.sign_in_as("arts@zorg.example");
    let callback = to_callback(&erin, &base, "admin@zorg.example").await;
    assert_eq!(outcome(&erin, &callback).await, "not_admin");
    assert!(admin_page(&erin, &base).await.contains("id=\"token\""));
    // An app role the trust names makes an admin, without `zegel admin grant`.
    issuer.assign_roles("hoofd@zorg.example", &["Zegel.Admin"]);
    issuer.sign_in_as("hoofd@zorg.example");
    let callback = to_callback(&erin, &base, "hoofd@zorg.example").await;
    let (signed_in, _) = get(&erin, &callback).await;
    assert_eq!(signed_in.status(), 200);
    assert!(admin_page(&erin, &base).await.contains("id=\"settings\""));

    // No tenant, a tenant without an issuer, or no address at all: nothing to sign in with.
    for email in [
        "someone@nergens.example",
        "admin@leeg.example",
        "not-an-address",
        "",
    ] {
        let url = format!("{base}/admin/oidc/start?email={email}");
        assert_eq!(outcome(&client(), &url).await, "unavailable", "{email}");
    }
}
