//! Outlook's own Send and the words the sender reads, end to end: the real `zegel` binary serves the
//! built add-in, headless Chromium runs the pane (`taskpane.html`) and the on-send handler
//! (`commands.html`) against the fake Office host, which keeps one draft for both pages as Outlook does
//! and shows a stopped send as its Smart Alerts dialog. Screenshots go to `target/addin-screenshots/`.

use base64::Engine as _;
use serde_json::{Value, json};
use zegel_tests::browser::{AddinSetup, Browser, stage};
use zegel_tests::client;

const SENDER: &str = "anna@zorg.example";
const RECIPIENT: &str = "jan@ontvanger.example";
const SUBJECT: &str = "Dossier Kwartaal-QX19";
/// A BSN that passes the eleven test; the default policy forces 2FA for it.
const BSN: &str = "111222333";
/// A valid Dutch IBAN; the default policy switches Zegel on for it.
const IBAN: &str = "NL91ABNA0417164300";

type Setup = AddinSetup;

fn setup() -> Setup {
    AddinSetup::start(SENDER, |_| {})
}

fn draft(setup: &Setup, language: &str, body: &str) -> Value {
    json!({
        "language": language,
        "subject": SUBJECT,
        "body": body,
        "to": [{"email": RECIPIENT, "name": "Jan Jansen"}],
        "attachments": [{"name": "uitslag.txt", "base64": base64::engine::general_purpose::STANDARD.encode("Alles in orde.\n")}],
        "roaming": {"zegelToken": setup.token},
    })
}

async fn open(setup: &Setup, scenario: &Value, page: &str) -> Browser {
    setup.open(scenario, page, &[]).await
}

/// The pane's state for the draft as the on-send handler will read it.
async fn pane_memo(browser: &Browser, expression: &str) -> Value {
    browser
        .wait_for(
            &format!(
                "(() => {{ const m = window.__fakeOffice.state().sessionData.zegelPane; const memo = m && JSON.parse(m); return memo && ({expression}) && memo; }})()"
            ),
            &format!("the pane's memo with {expression}"),
        )
        .await
}

/// Presses Outlook's Send: the same draft, in the event runtime's page; returns what the handler passed
/// to `event.completed`.
async fn press_send(setup: &Setup, browser: &Browser) -> Value {
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
            "window.__fakeOffice.launch('onMessageSendHandler');",
            vec![],
        )
        .await;
    browser
        .wait_for("window.__fakeOffice.state().completed", "event.completed")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outlooks_send_with_zegel_switched_on_stops_with_an_alert_whose_button_opens_the_wizard() {
    let setup = setup();
    let browser = open(
        &setup,
        &draft(&setup, "nl-NL", "Beste Jan, zie de uitslag."),
        "taskpane.html",
    )
    .await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    browser.click("#kind-secure_message").await;
    pane_memo(&browser, "memo.on && memo.kind === 'secure_message'").await;

    // The sender presses Outlook's Send instead of the wizard's: the mail does not leave.
    let completed = press_send(&setup, &browser).await;
    assert_eq!(completed["allowEvent"], false, "{completed}");
    assert!(
        completed.get("sendModeOverride").is_none(),
        "no Send anyway: {completed}"
    );
    assert_eq!(completed["commandId"], "zegelComposeButton");
    assert_eq!(completed["cancelLabel"], "Open Zegel");
    let message = completed["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("Zegel staat aan voor deze e-mail"),
        "{message}"
    );
    let office = browser.office_state().await;
    assert_eq!(office["sent"], false);
    assert!(office["outbox"].as_array().unwrap().is_empty());
    browser
        .wait_for("document.querySelector('#fake-alert')", "the alert")
        .await;
    browser.screenshot("30-send-alert-zegel-on").await;

    // Its button opens the pane at the wizard, with the sender's choices kept.
    browser.click("#fake-alert-command").await;
    stage(&browser, "confirm-files").await;
    assert_eq!(
        browser.office_state().await["sessionData"]["zegelSendPressed"],
        Value::Null,
        "the pane took the request"
    );
    browser.screenshot("31-send-alert-opens-the-wizard").await;
    browser.click("#file-att-0").await;
    browser.click("#next").await;
    stage(&browser, "confirm-recipients").await;
    browser.click("#recipient-0").await;
    browser.click("#send").await;
    stage(&browser, "sent").await;
    let office = browser.office_state().await;
    assert!(office["headers"]["X-Zegel-Message"].is_string());
    assert_eq!(office["sent"], true);
    let outbox = office["outbox"].as_array().unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(
        !outbox[0]["bodyText"]
            .as_str()
            .unwrap()
            .contains("zie de uitslag"),
        "a secure message's text never leaves in the Outlook mail: {outbox:?}"
    );
    assert_eq!(outbox[0]["attachments"], json!([]));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_protection_switched_off_in_the_pane_lets_outlooks_send_go() {
    let setup = setup();
    let body = format!("Graag betalen op {IBAN}.");
    let browser = open(&setup, &draft(&setup, "nl-NL", &body), "taskpane.html").await;
    stage(&browser, "compose").await;
    browser
        .wait_for(
            "document.querySelector('#verdict[data-action=\"auto\"]')",
            "the automatic verdict",
        )
        .await;
    pane_memo(&browser, "memo.on").await;

    // Switched on automatically: Outlook's Send is stopped.
    let completed = press_send(&setup, &browser).await;
    assert_eq!(completed["allowEvent"], false, "{completed}");

    // The alert's button opens the pane at the wizard; the sender goes back and switches Zegel off (the
    // policy allows it): Send goes through without asking again.
    browser.click("#fake-alert-command").await;
    stage(&browser, "confirm-files").await;
    browser.click("#back").await;
    stage(&browser, "compose").await;
    browser
        .wait_for(
            "document.querySelector('#toggle[aria-checked=\"true\"]')",
            "Zegel on as the memo says",
        )
        .await;
    browser.click("#toggle").await;
    pane_memo(&browser, "!memo.on && memo.switchedOff").await;
    let completed = press_send(&setup, &browser).await;
    assert_eq!(completed, json!({"allowEvent": true}));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_draft_never_leaves_plain_even_with_the_server_down() {
    let mut setup = setup();
    let body = format!("BSN {BSN} van de patiënt");
    let browser = open(&setup, &draft(&setup, "sv-SE", &body), "taskpane.html").await;
    stage(&browser, "compose").await;
    browser
        .wait_for(
            "document.querySelector('#verdict[data-action=\"force\"]')",
            "the forced verdict",
        )
        .await;
    browser.click("#toggle").await;
    pane_memo(&browser, "memo.on && memo.forced").await;

    let completed = press_send(&setup, &browser).await;
    assert_eq!(completed["allowEvent"], false);
    assert!(completed.get("sendModeOverride").is_none(), "{completed}");
    let message = completed["errorMessage"].as_str().unwrap();
    assert!(message.contains("Zegel är påslaget"), "{message}");
    assert_eq!(completed["cancelLabel"], "Öppna Zegel");

    // The server goes away: the pane's state alone still stops the send.
    setup.zegel.stop();
    browser
        .js(
            "document.querySelector('#fake-alert').remove(); window.__fakeOffice.launch('onMessageSendHandler');",
            vec![],
        )
        .await;
    let completed = browser
        .wait_for("window.__fakeOffice.state().completed", "event.completed")
        .await;
    assert_eq!(completed["allowEvent"], false);
    assert!(completed.get("sendModeOverride").is_none(), "{completed}");
    assert_eq!(browser.office_state().await["sent"], false);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dutch_alert_names_the_bsn_in_words_never_by_its_code() {
    let setup = setup();
    let browser = open(
        &setup,
        &draft(&setup, "nl-NL", &format!("BSN {BSN}")),
        "commands.html",
    )
    .await;
    browser
        .wait_for(
            "window.__fakeOffice && typeof onMessageSendHandler === 'function'",
            "the event runtime",
        )
        .await;
    browser
        .js(
            "window.__fakeOffice.launch('onMessageSendHandler');",
            vec![],
        )
        .await;
    let completed = browser
        .wait_for("window.__fakeOffice.state().completed", "event.completed")
        .await;
    let message = completed["errorMessage"].as_str().unwrap();
    assert!(
        message.contains(&format!("gevoelige informatie: BSN {BSN}")),
        "{message}"
    );
    assert!(!message.contains("nl_bsn"), "{message}");
    browser
        .wait_for("document.querySelector('#fake-alert')", "the alert")
        .await;
    browser.screenshot("32-send-alert-bsn").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_swedish_pane_gives_swedish_password_hints_and_the_dutch_sign_in_is_dutch() {
    let setup = setup();
    let browser = open(&setup, &draft(&setup, "sv-SE", "Hej Jan"), "taskpane.html").await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    browser.click("#password-custom").await;
    browser.type_into("#custom-password", "welkom01").await;
    browser
        .wait_for(
            "['red','orange'].includes(document.querySelector('#strength').dataset.strength)",
            "a weak verdict",
        )
        .await;
    let hints = browser
        .js(
            "return document.querySelector('#strength-text').innerText",
            vec![],
        )
        .await;
    let hints = hints.as_str().unwrap();
    assert!(
        hints.contains("Vad ditt lösenord fortfarande behöver"),
        "{hints}"
    );
    assert!(
        browser
            .js(
                "return document.querySelectorAll('#strength-text li').length",
                vec![]
            )
            .await
            .as_u64()
            .unwrap()
            >= 1,
        "{hints}"
    );
    for english in ["Add another word", "common", "guess", "Avoid"] {
        assert!(
            !hints.contains(english),
            "English in a Swedish pane: {hints}"
        );
    }
    browser.screenshot("33-swedish-strength-hints").await;
    browser.close().await;

    let mut scenario = draft(&setup, "nl-NL", "Hallo");
    scenario["roaming"] = json!({});
    let browser = open(&setup, &scenario, "taskpane.html").await;
    stage(&browser, "signin").await;
    let text = browser
        .js("return document.querySelector('#signin').innerText", vec![])
        .await;
    assert!(
        text.as_str().unwrap().contains("Aanmelden bij Zegel"),
        "{text}"
    );
    assert_eq!(
        browser
            .js("return document.querySelector('main').lang", vec![])
            .await,
        "nl"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_landline_is_refused_in_the_pane_and_a_swedish_mobile_is_ticked() {
    let setup = setup();
    let browser = open(
        &setup,
        &draft(&setup, "nl-NL", "Beste Jan"),
        "taskpane.html",
    )
    .await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    browser.js("const s = document.querySelector('#level'); s.value = '2fa'; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]).await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#phone-0-country').value",
                vec![]
            )
            .await,
        "NL",
        "the tenant's default country"
    );
    browser.type_into("#phone-0", "020 1234567").await;
    let status = browser
        .wait_for(
            "document.querySelector('#phone-0[aria-invalid=\"true\"]') && document.querySelector('#phone-0-status').innerText",
            "the landline to be refused",
        )
        .await;
    assert!(
        status.as_str().unwrap().contains("geen mobiel nummer"),
        "{status}"
    );
    assert_eq!(
        browser
            .js("return !!document.querySelector('.phone .tick')", vec![])
            .await,
        false
    );
    assert!(!browser.enabled("#next").await);
    browser.screenshot("34-landline-refused").await;

    // A Swedish mobile number, typed nationally after picking Sweden.
    browser.js("const s = document.querySelector('#phone-0-country'); s.value = 'SE'; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]).await;
    browser.type_into("#phone-0", "070 123 45 67").await;
    browser
        .wait_for("document.querySelector('.phone .tick')", "the green tick")
        .await;
    assert!(browser.enabled("#next").await);
    browser.screenshot("35-swedish-mobile").await;
    // Back from the wizard, the number and its verdict are as they were.
    browser.click("#next").await;
    stage(&browser, "confirm-files").await;
    browser.click("#back").await;
    stage(&browser, "compose").await;
    assert_eq!(
        browser
            .js(
                "return [document.querySelector('#phone-0').value, document.querySelector('#phone-0-country').value, !!document.querySelector('.phone .tick')]",
                vec![]
            )
            .await,
        json!(["070 123 45 67", "SE", true])
    );
    browser.type_into("#phone-0", "020 1234567").await;
    browser.js("const s = document.querySelector('#phone-0-country'); s.value = 'NL'; s.dispatchEvent(new Event('change', {bubbles: true}));", vec![]).await;
    browser
        .wait_for(
            "document.querySelector('#phone-0[aria-invalid=\"true\"]')",
            "the landline refused again",
        )
        .await;
    assert!(!browser.enabled("#next").await);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipients_language_is_chosen_from_the_tenants_languages() {
    let setup = setup();
    setup.zegel.grant_admin(SENDER);
    let response = client()
        .patch(format!("{}/api/v1/admin/settings", setup.zegel.base))
        .bearer_auth(&setup.token)
        .json(&json!({"languages": ["sv", "en"]}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    let browser = open(&setup, &draft(&setup, "nl-NL", "Hallo"), "taskpane.html").await;
    stage(&browser, "compose").await;
    browser.click("#toggle").await;
    assert_eq!(
        browser
            .js(
                "const s = document.querySelector('#language'); return [s.value, [...s.options].map(o => o.value)]",
                vec![]
            )
            .await,
        json!(["sv", ["sv", "en"]]),
        "only the tenant's languages, its first preselected"
    );
    browser.screenshot("36-recipients-language").await;
    browser.close().await;
}
