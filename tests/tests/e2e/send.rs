//! Sending from the browser (`/send`) in Chromium: a citizen proves their address with the mailed
//! code, writes to the organisation with a file of 300 MB whose connection breaks halfway, sees the
//! notification as the recipient will, starts the transaction and gets the summary; the organisation's
//! address receives every byte, an outside address is refused. A staff member signs in with the
//! organisation's account (no code), sends to an outsider with a generated password, and gets the
//! confirmation and the download mail. A citizen sends in Swedish on a phone, step by step.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use zegel_tests::browser::{AddinSetup, Browser};
use zegel_tests::flaky::{FlakyProxy, PATTERNED_JS, patterned};
use zegel_tests::identity::{self, TestIssuer};
use zegel_tests::{client, link_after};

/// The citizen's file: 300 MB.
const BIG: usize = 300 << 20;

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
    // The browser reaches the server through a network that will break halfway through the file.
    let proxy = FlakyProxy::start(
        base.trim_start_matches("http://").to_owned(),
        (BIG / 2) as u64,
    )
    .await;
    let site = proxy.base.clone();
    let browser = Browser::phone(390).await;
    browser.goto(&format!("{site}/lang/nl?back=/send")).await;
    browser.goto(&format!("{site}/send?org=zorg.example")).await;
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
            &format!(
                r#"{PATTERNED_JS}
                const transfer = new DataTransfer();
                transfer.items.add(new File([patterned(arguments[0])], "aanvraag.pdf", {{ type: "application/pdf" }}));
                const input = document.getElementById("files");
                input.files = transfer.files;
                input.dispatchEvent(new Event("change"));
                return true;
                "#
            ),
            vec![json!(BIG)],
        )
        .await;
    browser
        .wait_for_within(
            "document.querySelectorAll('#file-list li.done').length === 1",
            "the uploaded file",
            Duration::from_secs(300),
        )
        .await;
    assert!(proxy.cut.load(Ordering::SeqCst), "the connection was cut");
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

    // The organisation's address gets the notification and the password, and every byte.
    let notice = setup.receiver.wait_for("wmo@zorg.example", "Beveiligd");
    let link = notice.link(&base);
    let recipient = client();
    assert_eq!(
        recipient
            .post(format!("{link}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let password = setup
        .receiver
        .wait_for("wmo@zorg.example", "wachtwoord")
        .text
        .lines()
        .find(|l| l.starts_with("    "))
        .expect("the password line")
        .trim()
        .to_owned();
    let file = zegel_tests::open_and_download(&recipient, &base, &link, &password).await;
    assert!(
        file == patterned(BIG),
        "the 300 MB file arrived byte for byte"
    );
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_with_the_organisations_account_and_send_to_an_outsider() {
    // The identity provider is another site, as Entra ID is: the sender session must still arrive.
    let issuer = TestIssuer::start_on_another_site();
    let staff = "arts@zorg.example";
    let setup = AddinSetup::start(staff, |zegel| {
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
        ]);
    });
    let receiver = &setup.receiver;
    let base = setup.zegel.base.clone();
    // An address whose organisation has no sign-in set up: back to /send, which says so.
    let refused = client()
        .get(format!("{base}/send/oidc/start?email=jan@elders.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 303);
    assert_eq!(refused.headers()["location"], "/send?sso=unavailable");
    let page = client()
        .get(format!("{base}/send?sso=unavailable"))
        .header("accept-language", "nl")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("niet ingesteld. Vraag hierboven een code aan."),
        "{page}"
    );

    let browser = Browser::start(&["--window-size=1100,1400"]).await;
    browser.goto(&format!("{base}/lang/nl?back=/send")).await;
    browser.goto(&format!("{base}/send")).await;
    browser
        .wait_for(
            "document.getElementById('staff-email')",
            "the staff's way in",
        )
        .await;
    browser.type_into("#staff-email", staff).await;
    browser.click("#staff-sign-in button").await;
    browser
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the compose step, without a code",
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return document.getElementById('sender').innerText;",
                vec![]
            )
            .await,
        json!(staff)
    );
    assert_eq!(receiver.count_to(staff), 0, "no code was mailed");

    // Staff send to anyone: an outsider, with a generated password, both notices, and the names.
    browser.type_into("#to", "jan@elders.example").await;
    browser
        .type_into("#message", "Hierbij de uitslag van uw onderzoek.")
        .await;
    browser
        .choose_file(
            "uitslag.pdf",
            "%PDF-1.4\nuitslag\n%%EOF\n",
            "application/pdf",
        )
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#file-list li.done').length === 1",
            "the uploaded file",
        )
        .await;
    browser.click("#pw-generated").await;
    for option in ["#confirm", "#notify_download", "#file_names"] {
        browser.click(option).await;
    }
    browser.click("#send").await;
    let preview = browser
        .wait_for(
            "document.getElementById('mail-preview')?.innerText",
            "the preview",
        )
        .await;
    assert!(
        preview.as_str().unwrap().contains("uitslag.pdf"),
        "the names, as chosen: {preview}"
    );
    browser.click("#start").await;
    let password = browser
        .wait_for(
            "document.getElementById('summary-password')?.innerText",
            "the summary with the password",
        )
        .await
        .as_str()
        .unwrap()
        .trim()
        .to_owned();
    browser.screenshot("send-staff-summary-nl").await;
    browser.close().await;

    // The confirmation; the notification names the file; no password travels by mail.
    let confirmation = receiver.wait_for(staff, "Verzonden");
    assert!(
        confirmation.text.contains("jan@elders.example")
            && confirmation.text.contains("uitslag.pdf"),
        "{}",
        confirmation.text
    );
    let notice = receiver.wait_for("jan@elders.example", "Beveiligd");
    assert!(notice.text.contains("uitslag.pdf"), "{}", notice.text);
    assert!(!notice.text.contains(&password));
    // The outsider opens it with the password the sender passed on, and downloads: the sender hears.
    let link = link_after(&notice.text, &format!("{base}/m/"));
    let file = zegel_tests::open_and_download(&client(), &base, &link, &password).await;
    assert_eq!(file, b"%PDF-1.4\nuitslag\n%%EOF\n");
    let downloaded = receiver.wait_for(staff, "Gedownload");
    assert!(
        downloaded.text.contains("jan@elders.example") && downloaded.text.contains("uitslag.pdf"),
        "{}",
        downloaded.text
    );
    assert_eq!(
        receiver.count_to("jan@elders.example"),
        1,
        "only the notification"
    );
}

/// No English word of the page's own on a Swedish page.
async fn assert_swedish(browser: &Browser, step: &str) {
    let text = browser
        .js("return document.querySelector('main').innerText;", vec![])
        .await;
    let text = text.as_str().unwrap().to_lowercase();
    for english in [
        "send", "your", "the", "code", "name", "email", "password", "files", "start", "preview",
        "options", "days", "new",
    ] {
        assert!(
            !text
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == english),
            "{english:?} on the Swedish {step}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_sends_in_swedish_on_a_phone() {
    let setup = AddinSetup::start("arts@zorg.example", |_| {});
    let base = setup.zegel.base.clone();
    let browser = Browser::phone(390).await;
    browser.goto(&format!("{base}/lang/sv?back=/send")).await;
    browser.goto(&format!("{base}/send?org=zorg.example")).await;
    browser
        .wait_for("document.getElementById('email')", "the contact step")
        .await;
    browser.assert_fits("the contact step", "sv").await;
    assert_swedish(&browser, "contact step").await;
    browser.type_into("#name", "Sven Svensson").await;
    browser.type_into("#email", "sven@example.se").await;
    browser.click("form[action='/send/challenge'] button").await;
    browser
        .wait_for("document.getElementById('code')", "the code step")
        .await;
    assert_swedish(&browser, "code step").await;
    let code = code_in(&setup, "sven@example.se");
    browser.type_into("#code", &code).await;
    browser.click("form[action='/send/verify'] button").await;
    browser
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the compose step",
        )
        .await;
    browser.assert_fits("the compose step", "sv").await;
    assert_swedish(&browser, "compose step").await;
    browser.type_into("#to", "wmo@zorg.example").await;
    browser.type_into("#message", "Här är min ansökan.").await;
    browser
        .choose_file(
            "ansokan.pdf",
            "%PDF-1.4\nansokan\n%%EOF\n",
            "application/pdf",
        )
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#file-list li.done').length === 1",
            "the uploaded file",
        )
        .await;
    browser.screenshot("send-compose-sv").await;
    browser.click("#send").await;
    browser
        .wait_for("document.getElementById('mail-preview')", "the preview")
        .await;
    assert_swedish(&browser, "preview").await;
    browser.click("#start").await;
    browser
        .wait_for(
            "document.getElementById('summary-recipients')",
            "the summary",
        )
        .await;
    browser.assert_fits("the summary", "sv").await;
    assert_swedish(&browser, "summary").await;
    browser.screenshot("send-summary-sv").await;
    browser.close().await;
    setup.receiver.wait_for("wmo@zorg.example", "");
}
