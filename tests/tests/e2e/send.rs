//! Sending from the browser (`/send`) in Chromium: a citizen proves their address with the mailed
//! code, writes to the organisation with a file, sees the notification as the recipient will, starts the
//! transaction and gets the summary; the organisation's address receives it, an outside address is
//! refused. The first step also in Swedish.

use serde_json::json;
use zegel_tests::browser::{AddinSetup, Browser};

const CITIZEN: &str = "burger@example.nl";

fn code_in(setup: &AddinSetup, to: &str) -> String {
    let mail = setup.receiver.wait_for(to, "");
    mail.text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .expect("a six-digit code")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_sends_a_file_to_the_organisation_from_the_browser() {
    let setup = AddinSetup::start("arts@zorg.example", |_| {});
    let base = setup.zegel.base.clone();
    let browser = Browser::phone(390).await;
    browser.goto(&format!("{base}/lang/nl?back=/send")).await;
    browser.goto(&format!("{base}/send?org=zorg.example")).await;
    browser
        .wait_for("document.getElementById('email')", "the contact step")
        .await;
    browser.assert_fits("the contact step", "nl").await;
    browser.type_into("#name", "Jan Burger").await;
    browser.type_into("#email", CITIZEN).await;
    browser.click("form[action='/send/challenge'] button").await;
    browser
        .wait_for("document.getElementById('code')", "the code step")
        .await;
    let code = code_in(&setup, CITIZEN);
    browser.type_into("#code", &code).await;
    browser.click("form[action='/send/verify'] button").await;
    browser
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the compose step with its uploader",
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return document.getElementById('sender').innerText;",
                vec![]
            )
            .await,
        json!(CITIZEN)
    );
    // An address outside the organisation is refused, in Dutch.
    browser.type_into("#to", "vriend@elders.example").await;
    browser
        .type_into("#message", "Hierbij mijn aanvraag.")
        .await;
    browser.click("#send").await;
    let refused = browser
        .wait_for(
            "document.getElementById('send-error')?.innerText",
            "the refusal",
        )
        .await;
    assert!(
        refused
            .as_str()
            .unwrap()
            .contains("alleen naar adressen van"),
        "{refused}"
    );
    // To the organisation, with a file.
    browser
        .js(
            "document.getElementById('to').value = ''; return true;",
            vec![],
        )
        .await;
    browser.type_into("#to", "wmo@zorg.example").await;
    browser
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the uploader",
        )
        .await;
    browser
        .js(
            r#"
            const big = new Uint8Array(5 * 1024 * 1024);
            big.set(new TextEncoder().encode("%PDF-1.7\n"));
            const transfer = new DataTransfer();
            transfer.items.add(new File([big], "aanvraag.pdf", { type: "application/pdf" }));
            const input = document.getElementById("files");
            input.files = transfer.files;
            input.dispatchEvent(new Event("change"));
            return true;
            "#,
            vec![],
        )
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#file-list li.done').length === 1",
            "the uploaded file",
        )
        .await;
    browser.assert_fits("the compose step", "nl").await;
    // A password of one's own is judged as it is typed, by the pane's own checker.
    browser.click("#pw-own").await;
    browser.type_into("#password", "welkom01").await;
    let weak = browser
        .wait_for(
            "document.getElementById('strength')?.dataset.strength !== 'green' && document.getElementById('strength')?.innerText",
            "a weak verdict",
        )
        .await;
    assert!(weak.as_str().unwrap().contains("Nog te zwak"), "{weak}");
    browser
        .js(
            "document.getElementById('password').value = ''; return true;",
            vec![],
        )
        .await;
    browser
        .type_into("#password", "kaas-fiets-Tulp-regen-97")
        .await;
    browser
        .wait_for(
            "document.getElementById('strength')?.dataset.strength === 'green'",
            "a strong verdict",
        )
        .await;
    browser.screenshot("send-compose-nl").await;
    browser.click("#pw-email").await;
    browser.click("#send").await;
    browser
        .wait_for("document.getElementById('mail-preview')", "the preview")
        .await;
    browser.screenshot("send-preview-nl").await;
    browser.click("#start").await;
    let recipients = browser
        .wait_for(
            "document.getElementById('summary-recipients')?.innerText",
            "the summary",
        )
        .await;
    assert!(recipients.as_str().unwrap().contains("wmo@zorg.example"));
    let files = browser
        .js(
            "return document.getElementById('summary-files').innerText;",
            vec![],
        )
        .await;
    assert!(files.as_str().unwrap().contains("aanvraag.pdf"));
    browser.screenshot("send-summary-nl").await;
    // A second transaction with an SMS code to the recipient's mobile number.
    browser.click("#new-transaction").await;
    browser
        .wait_for("document.getElementById('to')", "a new compose step")
        .await;
    browser.type_into("#to", "wmo@zorg.example").await;
    browser.type_into("#message", "Nog een document.").await;
    browser.click("#pw-sms").await;
    browser
        .type_into("#phones", "wmo@zorg.example +31 6 12345678")
        .await;
    browser.click("#send").await;
    browser
        .wait_for("document.getElementById('mail-preview')", "the preview")
        .await;
    browser.click("#start").await;
    browser
        .wait_for(
            "document.getElementById('summary-recipients')",
            "the second summary",
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return document.getElementById('summary-held') === null;",
                vec![]
            )
            .await,
        json!(true),
        "the number was given: nothing waits"
    );
    browser.close().await;
    // The organisation's address gets the notification and the password.
    let notice = setup.receiver.wait_for("wmo@zorg.example", "");
    assert!(
        notice.text.contains(&format!("{base}/m/")),
        "{}",
        notice.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_step_reads_well_in_swedish() {
    let setup = AddinSetup::start("arts@zorg.example", |_| {});
    let base = setup.zegel.base.clone();
    let browser = Browser::phone(390).await;
    browser.goto(&format!("{base}/lang/sv?back=/send")).await;
    browser.goto(&format!("{base}/send?org=zorg.example")).await;
    browser
        .wait_for("document.getElementById('email')", "the contact step")
        .await;
    browser.assert_fits("the contact step", "sv").await;
    let text = browser
        .js("return document.querySelector('main').innerText;", vec![])
        .await;
    let text = text.as_str().unwrap().to_lowercase();
    for english in ["send", "your", "the", "code", "name", "email"] {
        assert!(
            !text
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == english),
            "{english:?} on the Swedish page:\n{text}"
        );
    }
    browser.close().await;
}
