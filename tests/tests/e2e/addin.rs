//! The Outlook add-in end to end: the real `zegel` binary serves the manifest and the built pane; headless
//! Chromium runs the pane and `launchevent.js` against a fake Office host (`tests/fake-office/office.js`);
//! a real SMTP receiver gets what the server sends, and a recipient opens it over HTTP. Each step of the
//! compose flow is saved as a screenshot under `target/addin-screenshots/`.

use base64::Engine as _;
use serde_json::{Value, json};
use zegel_tests::browser::{AddinSetup, Browser, stage};
use zegel_tests::identity::{self, TestIssuer};
use zegel_tests::{Zegel, client as http};

const SENDER: &str = "anna@zorg.example";
const RECIPIENT: &str = "jan@ontvanger.example";
const SUBJECT: &str = "Dossier Kwartaal-QX19";
/// The draft's attachment: readable for the content filter (which now scans attachments too, and would
/// switch Zegel on for a file it cannot read) and free of findings.
const ATTACHMENT: &[u8] = b"Uitslag LM73: alles in orde.\n";
const ATTACHMENT_NAME: &str = "uitslag-LM73.txt";
const STRONG: &str = "kaas-fiets-Tulp-regen-97";
/// A BSN that passes the eleven test; the default policy forces 2FA for it.
const BSN: &str = "111222333";
/// A valid Dutch IBAN; the default policy switches Zegel on for it.
const IBAN: &str = "NL91ABNA0417164300";

type Setup = AddinSetup;

fn setup() -> Setup {
    setup_with(|_| {})
}

/// [`setup`], with `prepare` run on the installation before the server starts.
fn setup_with(prepare: impl FnOnce(&mut Zegel)) -> Setup {
    AddinSetup::start(SENDER, prepare)
}

fn draft(setup: &Setup, language: &str, body: &str) -> Value {
    json!({
        "language": language,
        "subject": SUBJECT,
        "body": body,
        "to": [{"email": RECIPIENT, "name": "Jan Jansen"}],
        "attachments": [{"name": ATTACHMENT_NAME, "base64": base64::engine::general_purpose::STANDARD.encode(ATTACHMENT)}],
        "roaming": {"zegelToken": setup.token},
    })
}

async fn open_pane(setup: &Setup, scenario: &Value, extra_args: &[&str]) -> Browser {
    setup.open(scenario, "taskpane.html", extra_args).await
}

/// The link in the Outlook mail the pane sent (`notify: client`): exactly one mail left the sender's
/// mailbox, and it is the notification.
fn link_in_outbox(office: &Value, base: &str) -> String {
    let outbox = office["outbox"].as_array().expect("the fake host's outbox");
    assert_eq!(outbox.len(), 1, "exactly one Outlook mail left: {outbox:?}");
    let html = outbox[0]["bodyHtml"].as_str().unwrap();
    let start = html
        .find(&format!("{base}/m/"))
        .expect("the link in the Outlook mail");
    html[start..]
        .split(|c: char| c == '"' || c == '<' || c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// The recipient opens the link in the Outlook mail, names their address, gets the password by e-mail
/// (unless `password` is given: the sender told it) and opens the message. Zegel sent them nothing else.
async fn recipient_opens(setup: &Setup, office: &Value, password: Option<String>) -> String {
    let link = link_in_outbox(office, &setup.zegel.base);
    let client = http();
    let ask = client.get(&link).send().await.unwrap();
    assert_eq!(ask.status(), 200);
    assert!(
        ask.text().await.unwrap().contains("name=\"email\""),
        "the link asks for the recipient's address"
    );
    let challenged = client
        .post(format!("{link}/challenge"))
        .form(&[("email", RECIPIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(challenged.status(), 200);
    let mailed = usize::from(password.is_none());
    let password = match password {
        Some(password) => password,
        None => {
            // Recipients get the tenant's first language (Dutch here), which the pane preselects.
            let mail = setup.receiver.wait_for(RECIPIENT, "wachtwoord");
            mail.text
                .lines()
                .find(|l| l.starts_with("    "))
                .expect("the password line")
                .trim()
                .to_owned()
        }
    };
    let from_zegel: Vec<String> = setup
        .receiver
        .mails()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|to| to == RECIPIENT))
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        from_zegel.len(),
        mailed,
        "Zegel sent the recipient no notification of its own, at most the password: {from_zegel:?}"
    );
    let verified = client
        .post(format!("{link}/verify"))
        .form(&[("email", RECIPIENT), ("code", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        verified.status(),
        303,
        "the recipient's password is accepted"
    );
    let page = format!(
        "{}{}",
        setup.zegel.base,
        verified.headers()["location"].to_str().unwrap()
    );
    client.get(page).send().await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_the_manifest_and_the_pane_with_their_own_headers() {
    let setup = setup();
    let client = http();
    let base = &setup.zegel.base;
    let manifest = client
        .get(format!("{base}/addin/manifest.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(manifest.status(), 200);
    assert!(
        manifest.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = manifest.text().await.unwrap();
    assert_eq!(addin_manifest::rules::check(&xml), Vec::<String>::new());
    assert!(
        xml.contains(&format!("{base}/addin/taskpane.html"))
            && xml.contains(&format!("{base}/addin/launchevent.js"))
    );

    let pane = client
        .get(format!("{base}/addin/taskpane.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(pane.status(), 200);
    let csp = pane.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("https://appsforoffice.microsoft.com"),
        "{csp}"
    );
    assert!(
        !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors") && !pane.headers().contains_key("x-frame-options"),
        "Outlook on the web frames the pane"
    );

    let wasm = client
        .get(format!("{base}/addin/pkg/zegel_web_bg.wasm"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["content-encoding"], "gzip");

    let script = client
        .get(format!("{base}/addin/launchevent.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        script.starts_with(&format!("var ZEGEL_BASE_URL = \"{base}\";\n")),
        "{}",
        &script[..80]
    );
    for hidden in [
        "../zegel.db",
        "pkg/../../keyring.json",
        ".gitignore",
        "fake-office.js.orig",
    ] {
        let status = client
            .get(format!("{base}/addin/{hidden}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{hidden}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_protects_a_message_with_a_custom_password_and_the_recipient_opens_it() {
    let setup = setup();
    let browser = open_pane(
        &setup,
        &draft(&setup, "en-US", "Dear Jan, the results are attached."),
        &[],
    )
    .await;
    stage(&browser, "compose").await;
    browser.screenshot("01-compose-off").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#toggle').getAttribute('aria-checked')",
                vec![]
            )
            .await,
        "false"
    );

    browser.click("#toggle").await;
    browser
        .wait_for(
            "document.querySelector('#toggle.on[aria-checked=\"true\"]')",
            "the toggle to turn green",
        )
        .await;
    browser.click("#kind-secure_message").await;
    browser.screenshot("02-switched-on").await;

    browser.click("#password-custom").await;
    browser.type_into("#custom-password", "welkom01").await;
    let weak = browser.wait_for("['red','orange'].includes(document.querySelector('#strength').dataset.strength) && document.querySelector('#strength').dataset.strength", "a weak verdict").await;
    assert!(weak == "red" || weak == "orange");
    let missing = browser
        .js("return document.querySelector('#strength').title", vec![])
        .await;
    assert!(
        missing
            .as_str()
            .unwrap()
            .contains("What your password still needs"),
        "{missing}"
    );
    assert!(
        !browser.enabled("#next").await,
        "Next stays disabled while the password is weak"
    );
    browser.screenshot("03-weak-password").await;

    browser.type_into("#custom-password", STRONG).await;
    browser
        .wait_for(
            "document.querySelector('#strength[data-strength=\"green\"]')",
            "sunglasses in a green ring",
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#strength').textContent",
                vec![]
            )
            .await,
        "😎"
    );
    assert!(browser.enabled("#next").await);
    browser.screenshot("04-strong-password").await;

    browser.click("#gear").await;
    browser.type_into("#expiry", "7").await;
    assert_eq!(
        browser
            .js("return document.querySelector('#expiry').max", vec![])
            .await,
        "14"
    );
    browser.screenshot("05-file-settings").await;
    browser.click("#gear").await;

    browser.click("#next").await;
    stage(&browser, "confirm-files").await;
    assert!(
        !browser.enabled("#next").await,
        "Next waits for every attachment to be confirmed"
    );
    browser.click("#file-att-0").await;
    assert!(browser.enabled("#next").await);
    browser.screenshot("06-confirm-attachments").await;
    browser.click("#next").await;
    stage(&browser, "confirm-recipients").await;
    assert!(
        !browser.enabled("#send").await,
        "Send waits for every recipient to be confirmed"
    );
    browser.click("#recipient-0").await;
    browser.screenshot("07-confirm-recipients").await;
    browser.click("#send").await;
    stage(&browser, "sent").await;
    browser.screenshot("08-sent").await;

    // The draft became the notification, and Outlook sent it: the one mail the recipient gets from it.
    let id = browser
        .js(
            "return document.querySelector('.done').dataset.messageId",
            vec![],
        )
        .await;
    let office = browser.office_state().await;
    assert_eq!(office["headers"]["X-Zegel-Message"], id);
    assert_eq!(
        office["attachments"],
        json!([]),
        "attachments are removed from the draft"
    );
    assert_eq!(office["sent"], true);
    // In the recipients' language, which the pane preselects as the tenant's first (Dutch).
    assert_eq!(office["subject"], format!("Beveiligd bericht: {SUBJECT}"));
    let body = office["bodyText"].as_str().unwrap();
    assert!(body.contains("beveiligde bericht"), "{body}");
    assert!(
        !body.contains("the results are attached"),
        "a secure message's body leaves the draft"
    );
    // What the recipient sees: the Outlook mail, then its link asking for their address.
    let link = link_in_outbox(&office, &setup.zegel.base);
    browser
        .js(
            "document.open(); document.write(arguments[0]); document.close();",
            vec![office["outbox"][0]["bodyHtml"].clone()],
        )
        .await;
    browser
        .screenshot("08-outlook-mail-is-the-notification")
        .await;
    browser.goto(&link).await;
    browser.screenshot("08-recipient-address").await;
    browser.close().await;

    // The recipient opens the Outlook mail's link with the sender's password, which Zegel e-mails them.
    let page = recipient_opens(&setup, &office, None).await;
    assert!(
        page.contains(SUBJECT)
            && page.contains("the results are attached")
            && page.contains(ATTACHMENT_NAME)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_password_told_another_way_is_shown_once_behind_the_eye() {
    let setup = setup();
    let browser = open_pane(&setup, &draft(&setup, "en-US", "Hello Jan"), &[]).await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    browser.click("#kind-secure_files").await;
    browser.js("const s = document.querySelector('#deliver'); s.value = 'other'; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]).await;
    browser
        .wait_for(
            "document.querySelector('#deliver-hint')",
            "the send-via-other hint",
        )
        .await;
    browser.click("#next").await;
    browser.click("#file-att-0").await;
    browser.click("#next").await;
    browser.click("#recipient-0").await;
    browser.click("#send").await;
    stage(&browser, "sent").await;
    let masked = browser
        .js(
            "return document.querySelector('#generated-password').textContent",
            vec![],
        )
        .await;
    assert!(
        masked.as_str().unwrap().chars().all(|c| c == '•'),
        "hidden until the eye is pressed: {masked}"
    );
    assert_eq!(
        browser.office_state().await["sent"],
        false,
        "not sent before the sender saw the password"
    );
    browser.click("#reveal-generated").await;
    let password = browser.wait_for("!document.querySelector('#generated-password').textContent.includes('•') && document.querySelector('#generated-password').textContent", "the password").await;
    browser.screenshot("09-generated-password").await;
    browser.click("#send-mail").await;
    browser
        .wait_for(
            "window.__fakeOffice.state().sent",
            "Outlook to send the draft",
        )
        .await;
    let office = browser.office_state().await;
    assert!(
        office["bodyText"].as_str().unwrap().contains("Hello Jan"),
        "secure files keep the body readable"
    );
    browser.close().await;
    let page = recipient_opens(&setup, &office, Some(password.as_str().unwrap().to_owned())).await;
    assert!(page.contains(ATTACHMENT_NAME));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_needs_a_valid_mobile_number_per_recipient() {
    let setup = setup();
    let browser = open_pane(&setup, &draft(&setup, "nl-NL", "Beste Jan"), &[]).await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    browser.js("const s = document.querySelector('#level'); s.value = '2fa'; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]).await;
    browser.type_into("#phone-0", "06 12").await;
    browser
        .wait_for(
            "document.querySelector('#phone-0[aria-invalid=\"true\"]')",
            "the number to be refused",
        )
        .await;
    assert!(!browser.enabled("#next").await);
    // The pane's lookup of a remembered number answers asynchronously; on a loaded machine its answer
    // can land while WebDriver types and reset the field, so typing is tried again (a person sees it).
    for _ in 0..3 {
        browser.type_into("#phone-0", "06 12345678").await;
        let mut ticked = false;
        for _ in 0..50 {
            if browser
                .js("return !!document.querySelector('.phone .tick');", vec![])
                .await
                == serde_json::Value::Bool(true)
            {
                ticked = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if ticked {
            break;
        }
    }
    browser
        .wait_for("document.querySelector('.phone .tick')", "the green tick")
        .await;
    assert!(browser.enabled("#next").await);
    browser.screenshot("10-two-factor-phone").await;
    browser.click("#next").await;
    browser.click("#file-att-0").await;
    browser.click("#next").await;
    browser.click("#recipient-0").await;
    browser.click("#send").await;
    // Needs 2FA on the server (recipients[].phone, auth.level "2fa").
    browser.wait_for("document.querySelector('main[data-stage=\"sent\"]') || document.querySelector('#failure')", "the send to finish").await;
    let failure = browser
        .js(
            "const f = document.querySelector('#failure'); return f ? f.textContent : null",
            vec![],
        )
        .await;
    assert!(
        failure.is_null(),
        "the server refused a 2FA message: {failure}"
    );
    let office = browser.office_state().await;
    assert!(office["headers"]["X-Zegel-Message"].is_string());
    browser.close().await;
    // The Outlook mail is the notification; after the recipient names their address the code goes by
    // SMS, and Zegel mails them nothing.
    let link = link_in_outbox(&office, &setup.zegel.base);
    let client = http();
    let challenged = client
        .post(format!("{link}/challenge"))
        .form(&[("email", RECIPIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(challenged.status(), 200);
    assert!(
        challenged.text().await.unwrap().contains("name=\"code\""),
        "the page asks for the SMS code"
    );
    // The code went by SMS to the number the sender gave.
    setup.zegel.wait_for_sms("+31612345678").await;
    assert!(
        setup
            .receiver
            .mails()
            .iter()
            .all(|m| !m.rcpt_to.iter().any(|to| to == RECIPIENT)),
        "no mail from Zegel to a 2FA recipient"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_content_filter_verdict_appears_as_the_sender_types() {
    let setup = setup();
    let browser = open_pane(
        &setup,
        &draft(&setup, "en-US", "Patient, no numbers yet"),
        &[],
    )
    .await;
    stage(&browser, "compose").await;
    assert_eq!(
        browser
            .js("return document.querySelector('#verdict.force')", vec![])
            .await,
        Value::Null
    );
    // The sender types a BSN: the pane re-reads the draft and the filter forces 2FA.
    browser
        .js(
            "window.__fakeOffice.addRecipient('piet@ontvanger.example');",
            vec![],
        )
        .await;
    browser.js(&format!("Office.context.mailbox.item.body.setAsync('BSN {BSN} van de patiënt', {{coercionType: 'text'}}, function () {{}});"), vec![]).await;
    browser
        .wait_for(
            "document.querySelector('#verdict[data-action=\"force\"]')",
            "the forced verdict",
        )
        .await;
    let verdict = browser
        .js(
            "return document.querySelector('#verdict').innerText",
            vec![],
        )
        .await;
    assert!(
        verdict.as_str().unwrap().contains(BSN),
        "the terms found are shown: {verdict}"
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#toggle').getAttribute('aria-checked')",
                vec![]
            )
            .await,
        "true"
    );
    assert_eq!(
        browser
            .js("return document.querySelector('#level').value", vec![])
            .await,
        "2fa"
    );
    browser.click("#toggle").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#toggle').getAttribute('aria-checked')",
                vec![]
            )
            .await,
        "true",
        "forced stays on"
    );
    browser.screenshot("11-verdict-forced").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pane_speaks_swedish_and_signs_in_with_a_token() {
    let setup = setup();
    let mut scenario = draft(&setup, "sv-SE", "Hej");
    scenario["roaming"] = json!({});
    let browser = open_pane(&setup, &scenario, &[]).await;
    stage(&browser, "signin").await;
    browser.type_into("#token", "zgl1.not-a-token").await;
    browser.click("#signin button[type=submit]").await;
    browser
        .wait_for("document.querySelector('#token-refused')", "the refusal")
        .await;
    browser.type_into("#token", &setup.token).await;
    browser.click("#signin button[type=submit]").await;
    stage(&browser, "compose").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('.switch-label').textContent",
                vec![]
            )
            .await,
        "Skicka säkert med Zegel"
    );
    assert_eq!(
        browser
            .js("return document.querySelector('main').lang", vec![])
            .await,
        "sv"
    );
    assert_eq!(
        browser.office_state().await["roaming"]["zegelToken"],
        setup.token.as_str()
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_the_tenant_hides_do_not_appear() {
    let setup = setup();
    setup.zegel.grant_admin(SENDER);
    let patch = json!({"allow_1fa": false, "allow_deliver_other": false, "expiry_days": {"default": 5, "max": 7}});
    let response = http()
        .patch(format!("{}/api/v1/admin/settings", setup.zegel.base))
        .bearer_auth(&setup.token)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "tenant settings: {}",
        response.text().await.unwrap()
    );
    let browser = open_pane(&setup, &draft(&setup, "en-US", "Hi"), &[]).await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    let levels = browser
        .js(
            "return [...document.querySelectorAll('#level option')].map(o => o.value)",
            vec![],
        )
        .await;
    assert_eq!(levels, json!(["2fa"]), "1FA hidden");
    assert_eq!(
        browser
            .js("return document.querySelector('#deliver')", vec![])
            .await,
        Value::Null
    );
    browser.click("#gear").await;
    assert_eq!(browser.js("return [document.querySelector('#expiry').value, document.querySelector('#expiry').max]", vec![]).await, json!(["5", "7"]));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outlook_without_webassembly_gets_a_clear_message() {
    let setup = setup();
    // The fake host plays the web view of an old Outlook: no WebAssembly.
    let mut scenario = draft(&setup, "en-US", "Hi");
    scenario["noWebAssembly"] = json!(true);
    let browser = open_pane(&setup, &scenario, &[]).await;
    let text = browser
        .wait_for("!document.querySelector('#needs-newer').hidden && document.querySelector('#needs-newer').innerText", "the message")
        .await;
    assert!(text.as_str().unwrap().contains("newer Outlook"), "{text}");
    browser.screenshot("12-needs-newer-outlook").await;
    browser.close().await;
}

/// Runs the on-send handler in the event runtime page for a draft with `body`; returns the options it
/// passed to `event.completed` and the fake host's final state.
async fn on_send(setup: &Setup, body: &str, headers: Value) -> (Value, Value) {
    let mut scenario = draft(setup, "en-US", body);
    scenario["sessionData"] = json!({});
    setup.site.set_scenario(&scenario);
    let browser = Browser::start(&[]).await;
    browser
        .goto(&format!("{}/addin/commands.html", setup.zegel.base))
        .await;
    browser
        .wait_for(
            "window.__fakeOffice && typeof onMessageSendHandler === 'function'",
            "the event runtime",
        )
        .await;
    // Headers first (a draft the pane sealed carries X-Zegel-Message), then the send.
    browser
        .js(
            "Office.context.mailbox.item.internetHeaders.setAsync(arguments[0], function () { window.__fakeOffice.launch('onMessageSendHandler'); });",
            vec![headers],
        )
        .await;
    let completed = browser
        .wait_for("window.__fakeOffice.state().completed", "event.completed")
        .await;
    let state = browser.office_state().await;
    browser.close().await;
    (completed, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_allows_a_message_without_findings() {
    let setup = setup();
    let (completed, _) = on_send(&setup, "See you on Tuesday.", json!({})).await;
    assert_eq!(completed, json!({"allowEvent": true}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_switches_zegel_on_for_an_iban() {
    let setup = setup();
    let (completed, state) = on_send(&setup, &format!("Please pay to {IBAN}."), json!({})).await;
    assert_eq!(completed["allowEvent"], false);
    assert_eq!(
        completed["commandId"], "zegelComposeButton",
        "the pane opens"
    );
    assert!(
        completed["errorMessage"].as_str().unwrap().contains(IBAN),
        "{completed}"
    );
    let left: Value =
        serde_json::from_str(state["sessionData"]["zegelVerdict"].as_str().unwrap()).unwrap();
    assert_eq!(left["action"], "auto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_forces_protection_for_a_bsn() {
    let setup = setup();
    let (completed, state) = on_send(&setup, &format!("BSN {BSN}"), json!({})).await;
    assert_eq!(completed["allowEvent"], false);
    assert!(
        completed.get("sendModeOverride").is_none(),
        "no Send anyway: {completed}"
    );
    assert!(
        completed["errorMessage"]
            .as_str()
            .unwrap()
            .contains("requires secure sending"),
        "{completed}"
    );
    let left: Value =
        serde_json::from_str(state["sessionData"]["zegelVerdict"].as_str().unwrap()).unwrap();
    assert_eq!(
        (left["action"].as_str(), left["level"].as_str()),
        (Some("force"), Some("2fa"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_notifies_for_a_trigger_word_and_offers_send_anyway() {
    let setup = setup();
    setup.zegel.grant_admin(SENDER);
    let patch = json!({"content_filter": {"trigger_words": [{"word": "vertrouwelijk", "action": "notify", "level": "1fa"}]}});
    let response = http()
        .patch(format!("{}/api/v1/admin/settings", setup.zegel.base))
        .bearer_auth(&setup.token)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "tenant settings: {}",
        response.text().await.unwrap()
    );
    let (completed, _) = on_send(&setup, "Dit is vertrouwelijk.", json!({})).await;
    assert_eq!(completed["allowEvent"], false);
    assert_eq!(completed["sendModeOverride"], "promptUser", "{completed}");
    assert!(
        completed["errorMessage"]
            .as_str()
            .unwrap()
            .contains("vertrouwelijk"),
        "{completed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_lets_a_draft_zegel_sent_go() {
    let setup = setup();
    let (completed, _) = on_send(
        &setup,
        &format!("BSN {BSN}"),
        json!({"X-Zegel-Message": "m-123"}),
    )
    .await;
    assert_eq!(completed, json!({"allowEvent": true}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_fails_open_with_a_warning_when_the_server_is_down() {
    let mut setup = setup();
    let mut scenario = draft(&setup, "en-US", &format!("BSN {BSN}"));
    scenario["sessionData"] = json!({});
    setup.site.set_scenario(&scenario);
    let browser = Browser::start(&[]).await;
    browser
        .goto(&format!("{}/addin/commands.html", setup.zegel.base))
        .await;
    browser
        .wait_for(
            "window.__fakeOffice && typeof onMessageSendHandler === 'function'",
            "the event runtime",
        )
        .await;
    setup.zegel.stop();
    browser
        .js(
            "window.__fakeOffice.launch('onMessageSendHandler');",
            vec![],
        )
        .await;
    let completed = browser
        .wait_for("window.__fakeOffice.state().completed", "event.completed")
        .await;
    assert_eq!(completed["allowEvent"], false);
    assert_eq!(completed["sendModeOverride"], "promptUser", "{completed}");
    assert!(
        completed["errorMessage"]
            .as_str()
            .unwrap()
            .contains("could not check"),
        "{completed}"
    );
    browser.close().await;
}

/// A second recipient for the log & block tests.
const OTHER: &str = "piet@ontvanger.example";

/// Sends a secure message with `ATTACHMENT` to `RECIPIENT` and `OTHER` through the API (custom password
/// `STRONG`, told another way); returns its id and the file's id.
async fn send_through_the_api(setup: &Setup) -> (String, String) {
    let meta = json!({
        "subject": SUBJECT, "body_text": "Dear Jan, the results are attached.", "kind": "secure_message",
        "recipients": [{"email": RECIPIENT}, {"email": OTHER}],
        "auth": {"level": "1fa", "password": {"custom": STRONG}, "deliver": "other"}, "language": "en"
    });
    let form = reqwest::multipart::Form::new()
        .part(
            "meta",
            reqwest::multipart::Part::text(meta.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(ATTACHMENT.to_vec()).file_name(ATTACHMENT_NAME),
        );
    let client = http();
    let response = client
        .post(format!("{}/api/v1/messages", setup.zegel.base))
        .bearer_auth(&setup.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let sent: Value = response.json().await.unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    let status: Value = client
        .get(format!("{}/api/v1/messages/{id}", setup.zegel.base))
        .bearer_auth(&setup.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (id, status["files"][0]["id"].as_str().unwrap().to_owned())
}

/// A sent item in read mode whose raw internet headers are `headers`.
fn sent_item(setup: &Setup, language: &str, headers: &str) -> Value {
    json!({
        "mode": "read",
        "language": language,
        "subject": SUBJECT,
        "internetHeaders": headers,
        "roaming": {"zegelToken": setup.token},
    })
}

async fn open_log_pane(setup: &Setup, scenario: &Value) -> Browser {
    setup.site.set_scenario(scenario);
    let browser = Browser::start(&[]).await;
    browser
        .goto(&format!("{}/addin/logblock.html", setup.zegel.base))
        .await;
    browser
}

/// `RECIPIENT` signs in with `STRONG` and opens the message; returns their client and message page.
async fn recipient_session(setup: &Setup) -> (reqwest::Client, String) {
    let notification = setup.receiver.wait_for(RECIPIENT, SUBJECT);
    let link = notification.link(&setup.zegel.base);
    let client = http();
    let verified = client
        .post(format!("{link}/verify"))
        .form(&[("code", STRONG)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        verified.status(),
        303,
        "the recipient's password is accepted"
    );
    let page = format!(
        "{}{}",
        setup.zegel.base,
        verified.headers()["location"].to_str().unwrap()
    );
    let opened = client.get(&page).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    (client, page)
}

async fn download_status(client: &reqwest::Client, page: &str, file_id: &str) -> u16 {
    client
        .post(format!("{page}/files/{file_id}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits until the log & block pane shows the list item `css` with `attribute` = `value`.
async fn shows(browser: &Browser, css: &str, attribute: &str, value: &str) {
    browser
        .wait_for(
            &format!("document.querySelector('{css}[{attribute}=\"{value}\"]')"),
            &format!("{css} with {attribute}={value}"),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_and_block_shows_a_sent_message_and_blocks_files_recipients_and_the_message() {
    let setup = setup();
    let (id, file_id) = send_through_the_api(&setup).await;
    let headers = format!(
        "Received: from zorg.example\r\n\tby mail.zorg.example; Mon, 23 Nov 2026 08:00:00 +0000\r\nSubject: {SUBJECT}\r\nx-zegel-message: {id}\r\nTo: {RECIPIENT}\r\n"
    );
    let browser = open_log_pane(&setup, &sent_item(&setup, "en-US", &headers)).await;
    stage(&browser, "logblock").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#logblock').dataset.messageId",
                vec![]
            )
            .await,
        id.as_str()
    );
    assert!(
        browser.office_state().await["calls"]
            .as_array()
            .unwrap()
            .contains(&json!("getAllInternetHeadersAsync"))
    );
    let recipients = browser
        .js(
            "return [...document.querySelectorAll('#recipients > li')].map(li => li.dataset.email)",
            vec![],
        )
        .await;
    assert_eq!(recipients, json!([RECIPIENT, OTHER]));
    let text = browser
        .js(
            "return document.querySelector('#logblock').innerText",
            vec![],
        )
        .await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains(ATTACHMENT_NAME) && text.contains("Not downloaded") && text.contains(SUBJECT),
        "{text}"
    );
    let status = browser
        .js(
            "return document.querySelector('#recipients > li').dataset.status",
            vec![],
        )
        .await;
    assert!(
        ["queued", "sent"].contains(&status.as_str().unwrap()),
        "{status}"
    );
    // Labelled for screen readers: the switch and every menu button.
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#block-message').getAttribute('role')",
                vec![]
            )
            .await,
        "switch"
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#file-0-menu').getAttribute('aria-label')",
                vec![]
            )
            .await,
        format!("Actions for {ATTACHMENT_NAME}").as_str()
    );
    browser.screenshot("20-logblock").await;

    // While nobody has opened it, the whole e-mail can be blocked: the switch turns red.
    browser.click("#block-message").await;
    browser
        .wait_for(
            "document.querySelector('#block-message.on[aria-checked=\"true\"]')",
            "the switch to turn red",
        )
        .await;
    // Red once the knob's transition ends.
    browser
        .wait_for(
            "getComputedStyle(document.querySelector('#block-message .knob')).backgroundColor === 'rgb(197, 34, 31)'",
            "the switch's knob to be red",
        )
        .await;
    browser.screenshot("21-logblock-message-blocked").await;
    browser.click("#block-message").await;
    browser
        .wait_for(
            "document.querySelector('#block-message[aria-checked=\"false\"]')",
            "the switch to turn off",
        )
        .await;

    // The recipient opens the message and downloads the file; the pane shows it after a refresh.
    let (client, page) = recipient_session(&setup).await;
    assert_eq!(download_status(&client, &page, &file_id).await, 200);
    browser.click("#refresh").await;
    shows(&browser, "#recipients > li", "data-status", "opened").await;
    shows(&browser, "#files > li", "data-downloads", "1").await;
    let downloads = browser
        .js(
            "return document.querySelector('#files .download-list').innerText",
            vec![],
        )
        .await;
    assert!(
        downloads.as_str().unwrap().contains(RECIPIENT),
        "{downloads}"
    );

    // Block the file through its menu (keyboard: the menu takes the focus): the download is refused.
    browser.click("#file-0-menu").await;
    browser
        .wait_for(
            "document.activeElement && document.activeElement.id === 'block-file-0'",
            "the focus on the menu item",
        )
        .await;
    browser.screenshot("22-logblock-file-menu").await;
    browser.click("#block-file-0").await;
    shows(&browser, "#files > li", "data-blocked", "true").await;
    assert_ne!(
        download_status(&client, &page, &file_id).await,
        200,
        "a blocked file is not handed out"
    );

    // Block the other recipient.
    browser.click("#recipient-1-menu").await;
    browser.click("#block-recipient-1").await;
    shows(&browser, "#recipients > li", "data-email", OTHER).await;
    browser
        .wait_for(
            &format!("document.querySelector('#recipients > li[data-email=\"{OTHER}\"][data-blocked=\"true\"]')"),
            "the other recipient blocked",
        )
        .await;

    // The whole e-mail can no longer be blocked: the pane shows the server's reason.
    browser.click("#block-message").await;
    let error = browser
        .wait_for(
            "document.querySelector('#lb-error') && document.querySelector('#lb-error').innerText",
            "the refusal",
        )
        .await;
    assert!(
        error.as_str().unwrap().contains("already opened"),
        "{error}"
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#block-message').getAttribute('aria-checked')",
                vec![]
            )
            .await,
        "false"
    );
    browser.screenshot("23-logblock-refused").await;

    // Unblock: the file downloads again; block all and unblock all files.
    browser.click("#file-0-menu").await;
    browser.click("#unblock-file-0").await;
    shows(&browser, "#files > li", "data-blocked", "false").await;
    assert_eq!(download_status(&client, &page, &file_id).await, 200);
    browser.click("#block-all-files").await;
    shows(&browser, "#files > li", "data-blocked", "true").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#block-all-files').textContent",
                vec![]
            )
            .await,
        "Unblock all files"
    );
    browser.click("#block-all-files").await;
    shows(&browser, "#files > li", "data-blocked", "false").await;
    browser.click("#block-all-recipients").await;
    browser
        .wait_for(
            "[...document.querySelectorAll('#recipients > li')].every(li => li.dataset.blocked === 'true')",
            "every recipient blocked",
        )
        .await;
    browser.click("#block-all-recipients").await;
    browser
        .wait_for(
            "[...document.querySelectorAll('#recipients > li')].every(li => li.dataset.blocked === 'false')",
            "every recipient unblocked",
        )
        .await;
    browser.screenshot("24-logblock-unblocked").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_and_block_says_so_when_an_e_mail_was_not_sent_with_zegel() {
    let setup = setup();
    let mut scenario = sent_item(
        &setup,
        "nl-NL",
        "Received: from a\r\nSubject: Hallo\r\nTo: jan@x.example\r\n",
    );
    // No sign-in needed to tell.
    scenario["roaming"] = json!({});
    let browser = open_log_pane(&setup, &scenario).await;
    stage(&browser, "no-header").await;
    let text = browser
        .js(
            "return document.querySelector('#no-header').innerText",
            vec![],
        )
        .await;
    assert!(
        text.as_str().unwrap().contains("niet met Zegel verstuurd"),
        "{text}"
    );
    assert_eq!(
        browser
            .js("return document.querySelector('main').lang", vec![])
            .await,
        "nl"
    );
    browser.screenshot("25-logblock-no-header").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verdict_includes_what_only_an_attachment_contains() {
    let setup = setup();
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let mut scenario = draft(&setup, "en-US", "Dear Jan, see the attachments.");
    scenario["attachments"] = json!([
        {"name": "agenda.txt", "base64": encode("Tuesday 10:00, room 4")},
        {"name": "Dossier map", "type": "cloud", "size": 1200},
    ]);
    let browser = open_pane(&setup, &scenario, &[]).await;
    stage(&browser, "compose").await;
    let unscanned = browser
        .wait_for("document.querySelector('#unscanned') && document.querySelector('#unscanned').innerText", "the note on the cloud file")
        .await;
    assert!(
        unscanned.as_str().unwrap().contains("Dossier map"),
        "{unscanned}"
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#verdict[data-action=\"force\"]')",
                vec![]
            )
            .await,
        Value::Null
    );
    // A file with a BSN is attached: the pane scans again and the filter forces 2FA for it.
    browser
        .js(
            "window.__fakeOffice.addAttachment({name: 'notitie.txt', base64: arguments[0]});",
            vec![json!(encode(&format!("Patient BSN {BSN}\n")))],
        )
        .await;
    browser
        .wait_for(
            "document.querySelector('#verdict[data-action=\"force\"]')",
            "the forced verdict",
        )
        .await;
    let verdict = browser
        .js(
            "return document.querySelector('#verdict').innerText",
            vec![],
        )
        .await;
    assert!(verdict.as_str().unwrap().contains(BSN), "{verdict}");
    browser.screenshot("13-verdict-attachment").await;
    // Typing scans again, but the files are read from Outlook once each.
    browser.js(&format!("Office.context.mailbox.item.body.setAsync('Pay to {IBAN}', {{coercionType: 'text'}}, function () {{}});"), vec![]).await;
    browser
        .wait_for(
            "document.querySelectorAll('#verdict .reasons li').length >= 2",
            "the IBAN in the verdict too",
        )
        .await;
    assert_eq!(browser.office_state().await["contentReads"], 2);
    browser.close().await;
}

// Office single sign-on: a local OpenID Connect issuer plays Entra ID, the fake Office host hands its
// tokens to the pane and to launchevent.js when they call Office.auth.getAccessToken.

/// A server whose manifest names the app registration and whose tenant trusts the local issuer for
/// tokens with the `access_as_user` scope (`zegel admin oidc set`, as the README tells an admin).
fn sso_setup() -> (Setup, TestIssuer) {
    let issuer = TestIssuer::start();
    let setup = setup_with(|zegel| {
        zegel.env.push((
            "ZEGEL_ADDIN_CLIENT_ID".to_owned(),
            identity::CLIENT_ID.to_owned(),
        ));
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
            "--scope",
            identity::SCOPE,
        ]);
    });
    (setup, issuer)
}

/// A draft whose Outlook has no stored sender token, and whose Office single sign-on is `sso`.
fn sso_draft(setup: &Setup, language: &str, body: &str, sso: Value) -> Value {
    let mut scenario = draft(setup, language, body);
    scenario["roaming"] = json!({});
    scenario["sso"] = sso;
    scenario["email"] = json!(SENDER);
    scenario["sessionData"] = json!({});
    scenario
}

/// Runs a launch event's handler in the event runtime page; what it passed to `event.completed`, and
/// the fake host's state.
async fn launch(setup: &Setup, scenario: &Value, handler: &str) -> (Value, Value) {
    setup.site.set_scenario(scenario);
    let browser = Browser::start(&[]).await;
    browser
        .goto(&format!("{}/addin/commands.html", setup.zegel.base))
        .await;
    browser
        .wait_for(
            "window.__fakeOffice && typeof onMessageSendHandler === 'function'",
            "the event runtime",
        )
        .await;
    browser
        .js(
            "window.__fakeOffice.launch(arguments[0]);",
            vec![json!(handler)],
        )
        .await;
    let completed = browser
        .wait_for("window.__fakeOffice.state().completed", "event.completed")
        .await;
    let state = browser.office_state().await;
    browser.close().await;
    (completed, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pane_signs_in_with_office_single_sign_on_and_sends_without_a_pasted_token() {
    let (setup, issuer) = sso_setup();
    let manifest = http()
        .get(format!("{}/addin/manifest.xml", setup.zegel.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        manifest.contains(&format!("<Id>{}</Id>", identity::CLIENT_ID)),
        "the manifest names the app registration"
    );
    assert_eq!(
        addin_manifest::rules::check(&manifest),
        Vec::<String>::new()
    );

    let token = issuer.access_token(SENDER);
    let scenario = sso_draft(
        &setup,
        "en-US",
        "Dear Jan, the results are attached.",
        json!({ "token": token }),
    );
    let browser = open_pane(&setup, &scenario, &[]).await;
    // Straight to composing: no sign-in screen, nothing to paste.
    stage(&browser, "compose").await;
    browser.screenshot("13-signed-in-with-sso").await;
    browser.click("#toggle").await;
    browser.click("#kind-secure_files").await;
    browser.click("#next").await;
    stage(&browser, "confirm-files").await;
    browser.click("#file-att-0").await;
    browser.click("#next").await;
    stage(&browser, "confirm-recipients").await;
    browser.click("#recipient-0").await;
    browser.click("#send").await;
    stage(&browser, "sent").await;
    let id = browser
        .js(
            "return document.querySelector('.done').dataset.messageId",
            vec![],
        )
        .await;
    let office = browser.office_state().await;
    browser.close().await;
    assert_eq!(office["headers"]["X-Zegel-Message"], id);
    assert!(
        office["roaming"].get("zegelToken").is_none(),
        "no token was pasted or stored: {}",
        office["roaming"]
    );
    let requests = office["ssoRequests"].as_array().unwrap();
    assert!(!requests.is_empty(), "the pane asked Office for its token");
    assert!(
        requests.iter().all(|r| r["allowSignInPrompt"] == true),
        "the pane may let Office ask the user to sign in: {requests:?}"
    );
    assert_eq!(
        issuer.jwks_fetches(),
        1,
        "the server fetched the issuer's keys once"
    );

    // The message is the signed-in user's: their own list (signed in the same way) has it.
    let status = http()
        .get(format!(
            "{}/api/v1/messages/{}",
            setup.zegel.base,
            id.as_str().unwrap()
        ))
        .bearer_auth(issuer.access_token(SENDER))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    let status: Value = status.json().await.unwrap();
    assert_eq!(status["kind"], "secure_files");
    assert_eq!(status["recipients"][0]["email"], RECIPIENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_single_sign_on_the_pane_offers_it_again_and_the_token_fallback() {
    let (setup, issuer) = sso_setup();
    // Office has single sign-on, but the user is not signed in to Office (13001).
    let scenario = sso_draft(&setup, "nl-NL", "Hallo", json!({ "error": 13001 }));
    let browser = open_pane(&setup, &scenario, &[]).await;
    stage(&browser, "signin").await;
    assert_eq!(
        browser
            .js("return document.querySelector('#sso').textContent", vec![])
            .await,
        "Aanmelden met uw Microsoft-account"
    );
    browser.click("#sso").await;
    browser
        .wait_for("document.querySelector('#sso-failed')", "the failure")
        .await;
    browser.screenshot("14-sso-failed-nl").await;
    // The developer fallback still works.
    browser.type_into("#token", &setup.token).await;
    browser.click("#signin button[type=submit]").await;
    stage(&browser, "compose").await;
    browser.close().await;
    drop(issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_signs_in_with_single_sign_on_without_the_pane_ever_opened() {
    let (setup, issuer) = sso_setup();
    let sso = json!({ "token": issuer.access_token(SENDER) });
    // On compose the handler learns, signed in, that the tenant forces protection.
    let scenario = sso_draft(&setup, "en-US", "Hi", sso.clone());
    let (completed, state) = launch(&setup, &scenario, "onNewMessageComposeHandler").await;
    assert_eq!(completed, json!({}), "compose completes");
    assert_eq!(state["roaming"]["zegelPolicyForces"], true);
    // On send the server's content filter runs on the draft: a BSN forces secure sending.
    let scenario = sso_draft(&setup, "en-US", &format!("BSN {BSN}"), sso.clone());
    let (completed, state) = launch(&setup, &scenario, "onMessageSendHandler").await;
    assert_eq!(completed["allowEvent"], false);
    assert!(
        completed["errorMessage"]
            .as_str()
            .unwrap()
            .contains("requires secure sending"),
        "{completed}"
    );
    assert_eq!(
        state["ssoRequests"][0],
        json!({"allowSignInPrompt": false, "allowConsentPrompt": false, "forMSGraphAccess": false}),
        "an event handler cannot prompt"
    );
    assert!(state["roaming"].get("zegelToken").is_none());
    // A clean draft goes.
    let scenario = sso_draft(&setup, "en-US", "See you on Tuesday.", sso);
    let (completed, _) = launch(&setup, &scenario, "onMessageSendHandler").await;
    assert_eq!(completed, json!({"allowEvent": true}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_send_fails_closed_when_no_sign_in_is_possible_and_the_tenant_forces() {
    let (setup, _issuer) = sso_setup();
    // No single sign-on (the user never consented), no stored token; a clean draft.
    let scenario = sso_draft(&setup, "nl-NL", "Tot dinsdag.", json!({ "error": 13002 }));
    let (completed, state) = launch(&setup, &scenario, "onMessageSendHandler").await;
    assert_eq!(completed["allowEvent"], false);
    assert!(
        completed.get("sendModeOverride").is_none(),
        "no Send anyway: {completed}"
    );
    assert_eq!(
        completed["commandId"], "zegelComposeButton",
        "the pane opens to sign in"
    );
    assert!(
        completed["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("Zegel kon u niet aanmelden en uw organisatie verplicht controle"),
        "{completed}"
    );
    assert_eq!(state["roaming"]["zegelPolicyForces"], true, "remembered");

    // A tenant whose policy never forces: a warning, and the sender may send anyway.
    setup.zegel.grant_admin(SENDER);
    let response = http()
        .patch(format!("{}/api/v1/admin/settings", setup.zegel.base))
        .bearer_auth(&setup.token)
        .json(&json!({"content_filter": {"rules": []}}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    let (completed, _) = launch(&setup, &scenario, "onMessageSendHandler").await;
    assert_eq!(completed["allowEvent"], false);
    assert_eq!(completed["sendModeOverride"], "promptUser", "{completed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_and_block_signs_in_with_single_sign_on_too() {
    let (setup, issuer) = sso_setup();
    let (id, _) = send_through_the_api(&setup).await;
    let headers = format!("Subject: {SUBJECT}\r\nX-Zegel-Message: {id}\r\n");
    let mut scenario = sent_item(&setup, "sv-SE", &headers);
    scenario["roaming"] = json!({});
    scenario["sso"] = json!({ "token": issuer.access_token(SENDER) });
    let browser = open_log_pane(&setup, &scenario).await;
    stage(&browser, "logblock").await;
    let recipients = browser
        .js(
            "return [...document.querySelectorAll('#recipients > li')].map(li => li.dataset.email)",
            vec![],
        )
        .await;
    assert_eq!(recipients, json!([RECIPIENT, OTHER]));
    assert!(
        browser.office_state().await["roaming"]
            .get("zegelToken")
            .is_none()
    );
    browser.close().await;

    // Another user of the tenant, signed in the same way, does not see it.
    let mut scenario = sent_item(&setup, "sv-SE", &headers);
    scenario["roaming"] = json!({});
    scenario["sso"] = json!({ "token": issuer.access_token("piet@zorg.example") });
    let browser = open_log_pane(&setup, &scenario).await;
    stage(&browser, "not-found").await;
    browser.close().await;
}

/// The pane sends its files as resumable uploads, one 8 MiB slice at a time: a file whose upload was
/// cut off before a reload continues from where the server stands (the address kept in the pane's
/// `localStorage`), and the recipient gets every byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pane_continues_an_upload_cut_off_before_a_reload() {
    let setup = setup();
    let name = "scans-polikliniek.txt";
    let contents: Vec<u8> = b"Uitslag LM73: alles in orde.\n"
        .iter()
        .copied()
        .cycle()
        .take(20 << 20)
        .collect();
    let mut scenario = draft(&setup, "en-US", "Dear Jan, the scans are attached.");
    scenario["attachments"] = json!([{"name": name, "base64": base64::engine::general_purpose::STANDARD.encode(&contents)}]);

    // Before the reload: the upload was created and its first 8 MiB arrived.
    let base = &setup.zegel.base;
    let client = http();
    let created = client
        .post(format!("{base}/api/v1/uploads"))
        .bearer_auth(&setup.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", contents.len().to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {}",
                base64::engine::general_purpose::STANDARD.encode(name)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let url = if location.starts_with("http") {
        location.clone()
    } else {
        format!("{base}{location}")
    };
    let first = client
        .patch(&url)
        .bearer_auth(&setup.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(contents[..8 << 20].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 204);
    assert_eq!(first.headers()["upload-offset"], (8 << 20).to_string());

    let browser = open_pane(&setup, &scenario, &[]).await;
    stage(&browser, "compose").await;
    browser
        .js(
            "localStorage.setItem(arguments[0], arguments[1]); return true;",
            vec![
                json!(format!("zegel.upload.{}.{name}", contents.len())),
                json!(location),
            ],
        )
        .await;
    browser.click("#toggle").await;
    browser
        .wait_for(
            "document.querySelector('#toggle.on[aria-checked=\"true\"]')",
            "the toggle to turn green",
        )
        .await;
    browser.click("#next").await;
    stage(&browser, "confirm-files").await;
    browser.click("#file-att-0").await;
    browser.click("#next").await;
    stage(&browser, "confirm-recipients").await;
    browser.click("#recipient-0").await;
    browser.click("#send").await;
    stage(&browser, "sent").await;

    // The pane went on with the kept upload (which the message has now taken) instead of a new one.
    let gone = client
        .head(&url)
        .bearer_auth(&setup.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "the message took the kept upload");
    let kept = browser
        .js(
            "return localStorage.getItem(arguments[0]);",
            vec![json!(format!("zegel.upload.{}.{name}", contents.len()))],
        )
        .await;
    assert_eq!(kept, Value::Null, "the kept address is forgotten once sent");

    // The recipient finds the file in the message.
    let office = browser.office_state().await;
    let page = recipient_opens(&setup, &office, None).await;
    assert!(page.contains(name), "{page}");
    browser.close().await;
}
