//! Asking for files, in Chromium: the recipient of an upload request follows the mail's link, proves
//! their address with the mailed code, uploads three files with the page's resumable uploader (one of
//! 200 MB, whose connection is cut halfway and which goes on from where the server stands), and sends;
//! the sender gets the neutral notice and downloads every byte as a ZIP. In Dutch and Swedish, on a
//! phone.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use zegel_tests::browser::{AddinSetup, Browser};
use zegel_tests::flaky::FlakyProxy;
use zegel_tests::{client, link_after};

const SENDER: &str = "arts@zorg.example";
const BIG: usize = 200 << 20;

/// The 200 MB file's bytes, as the page makes them.
fn big_file() -> Vec<u8> {
    zegel_tests::flaky::patterned(BIG)
}

/// Chooses files for the page's picker as a person would (a `change` of the file input); the big file
/// is made in the page, byte for byte as [`big_file`].
async fn choose_files(browser: &Browser) {
    browser
        .js(
            r#"
            const big = new Uint8Array(arguments[0]);
            for (let i = 0; i < big.length; i++) big[i] = (i * 7 + Math.floor(i / 4096)) & 255;
            big.set(new TextEncoder().encode("%PDF-1.7\n"));
            const files = [
                new File([big], "mri-knie.pdf", { type: "application/pdf" }),
                new File(["%PDF-1.4\nverwijsbrief\n%%EOF\n"], "verwijsbrief.pdf", { type: "application/pdf" }),
                new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])], "foto.png", { type: "image/png" }),
            ];
            const transfer = new DataTransfer();
            for (const file of files) transfer.items.add(file);
            const input = document.getElementById("files");
            input.files = transfer.files;
            input.dispatchEvent(new Event("change"));
            return true;
            "#,
            vec![json!(BIG)],
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_uploads_three_files_one_of_200_mb_through_a_broken_connection() {
    let setup = AddinSetup::start(SENDER, |_| {});
    let base = &setup.zegel.base;
    let created: Value = client()
        .post(format!("{base}/api/v1/upload-requests"))
        .bearer_auth(&setup.token)
        .json(&json!({
            "recipients": [{"email": "jan@example.nl"}],
            "message": "Wilt u de MRI-beelden van uw knie en de verwijsbrief uploaden?",
            "allowed_types": ["pdf", "image"],
            "max_files": 5,
            "language": "nl",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .expect("an upload request")
        .to_owned();
    let mail = setup
        .receiver
        .wait_for("jan@example.nl", "Verzoek om bestanden");
    assert!(mail.text.contains("Upload bestanden"));
    let link = link_after(&mail.text, &format!("{base}/u/"));

    // The browser reaches the server through a network that will break halfway.
    let proxy = FlakyProxy::start(
        base.trim_start_matches("http://").to_owned(),
        (BIG / 2) as u64,
    )
    .await;
    let link = link.replace(base.as_str(), &proxy.base);
    let browser = Browser::phone(390).await;
    browser.goto(&link).await;
    browser
        .wait_for(
            "document.querySelector('main form[action$=\"/challenge\"] button')",
            "the send-code button",
        )
        .await;
    browser
        .assert_fits("the upload request's first step", "nl")
        .await;
    browser
        .click("main form[action$=\"/challenge\"] button")
        .await;
    let code_mail = setup.receiver.wait_for("jan@example.nl", "verificatiecode");
    let code = code_mail
        .text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .expect("a six-digit code")
        .to_owned();
    browser
        .wait_for("document.getElementById('code')", "the code field")
        .await;
    browser.type_into("#code", &code).await;
    browser.click("form.code-form button[type=submit]").await;
    browser
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the uploader",
        )
        .await;
    let text = browser
        .js("return document.querySelector('main').innerText;", vec![])
        .await;
    assert!(
        text.as_str().unwrap().contains("MRI-beelden van uw knie"),
        "the sender's message is on the page: {text}"
    );
    browser.assert_fits("the upload page", "nl").await;
    browser.screenshot("upload-request-page").await;

    choose_files(&browser).await;
    browser
        .wait_for_within(
            "document.querySelectorAll('#file-list li.done').length === 3",
            "three finished uploads",
            Duration::from_secs(300),
        )
        .await;
    assert!(proxy.cut.load(Ordering::SeqCst), "the connection was cut");
    assert!(
        browser.enabled("#send").await,
        "Verzenden is offered once every file is up"
    );
    browser
        .type_into("#message", "Hierbij de beelden en de brief.")
        .await;
    browser.screenshot("upload-request-files").await;
    browser.click("#send").await;
    browser
        .wait_for(
            "document.querySelector('main h2')?.innerText === 'Uw bestanden zijn verzonden'",
            "the sent page",
        )
        .await;
    browser.close().await;

    // The sender hears, neutrally, and downloads every byte.
    let notice = setup
        .receiver
        .wait_for(SENDER, "Er zijn bestanden voor u geüpload");
    assert!(notice.text.contains("Download alles") && !notice.text.contains("mri-knie"));
    setup
        .receiver
        .wait_for("jan@example.nl", "Uw bestanden zijn verzonden");
    let zip = client()
        .get(format!("{base}/api/v1/upload-requests/{id}/files.zip"))
        .bearer_auth(&setup.token)
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(archive.len(), 3);
    let mut big = Vec::with_capacity(BIG);
    archive
        .by_name("jan@example.nl/mri-knie.pdf")
        .unwrap()
        .read_to_end(&mut big)
        .unwrap();
    assert!(big == big_file(), "the 200 MB file arrived byte for byte");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_page_reads_well_in_swedish_on_a_phone() {
    let setup = AddinSetup::start(SENDER, |_| {});
    let base = &setup.zegel.base;
    let created: Value = client()
        .post(format!("{base}/api/v1/upload-requests"))
        .bearer_auth(&setup.token)
        .json(&json!({"recipients": [{"email": "anna@example.se"}], "message": "Skicka gärna intyget.", "language": "sv"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["id"].is_string(), "{created}");
    let mail = setup
        .receiver
        .wait_for("anna@example.se", "Begäran om att ladda upp filer");
    let link = link_after(&mail.text, &format!("{base}/u/"));
    let browser = Browser::phone(390).await;
    browser.goto(&link).await;
    browser
        .click("main form[action$=\"/challenge\"] button")
        .await;
    let code_mail = setup
        .receiver
        .wait_for("anna@example.se", "verifieringskod");
    let code = code_mail
        .text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned();
    browser
        .wait_for("document.getElementById('code')", "the code field")
        .await;
    browser.type_into("#code", &code).await;
    browser.click("form.code-form button[type=submit]").await;
    browser
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the uploader",
        )
        .await;
    browser.assert_fits("the upload page", "sv").await;
    let text = browser
        .js("return document.querySelector('main').innerText;", vec![])
        .await;
    let text = text.as_str().unwrap().to_lowercase();
    for english in ["upload", "files", "send", "message", "choose", "the"] {
        assert!(
            !text
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == english),
            "the Swedish page shows the English word {english:?}:\n{text}"
        );
    }
    browser.close().await;
}

/// The sender asks from Outlook: the fourth kind, its pop-up (a template of the tenant, the kinds of
/// files), and Outlook's own mail carries the request's one link; the recipient names their address
/// on it, gets the code, and reaches the upload step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_asks_for_files_from_the_pane_with_a_template() {
    let setup = AddinSetup::start(SENDER, |zegel| zegel.grant_admin("ciso@zorg.example"));
    let base = setup.zegel.base.clone();
    let admin = setup.zegel.token("ciso@zorg.example");
    let patched = client()
        .patch(format!("{base}/api/v1/admin/settings"))
        .bearer_auth(&admin)
        .json(&json!({"upload_request_templates": [{
            "name": "Scans na onderzoek",
            "text": {
                "nl": "Wilt u de scans van uw onderzoek uploaden?",
                "sv": "Vill du ladda upp skanningarna från din undersökning?",
                "en": "Would you upload the scans of your examination?",
            },
            "allowed_types": ["pdf", "image"],
        }]}))
        .send()
        .await
        .unwrap();
    assert!(
        patched.status().is_success(),
        "{}",
        patched.text().await.unwrap()
    );
    let scenario = json!({
        "language": "nl-NL",
        "subject": "Uw onderzoek",
        "body": "Beste Jan,",
        "to": [{"email": "jan@example.nl", "name": "Jan Jansen"}],
        "attachments": [],
        "roaming": {"zegelToken": setup.token},
    });
    let browser = setup.open(&scenario, "taskpane.html", &[]).await;
    zegel_tests::browser::stage(&browser, "compose").await;
    browser.click("#toggle").await;
    browser
        .wait_for(
            "document.querySelector('#toggle.on[aria-checked=\"true\"]')",
            "the toggle to turn green",
        )
        .await;
    browser.click("#kind-upload_request").await;
    browser
        .wait_for("document.getElementById('upload-dialog')", "the pop-up")
        .await;
    browser
        .js(
            "const s = document.getElementById('upload-template'); s.value = 'Scans na onderzoek'; s.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            vec![],
        )
        .await;
    browser
        .wait_for(
            "document.getElementById('upload-type-pdf').checked && document.getElementById('upload-type-image').checked",
            "the template's kinds ticked",
        )
        .await;
    browser.screenshot("upload-request-dialog").await;
    browser.click("#upload-save").await;
    browser.click("#next").await;
    zegel_tests::browser::stage(&browser, "confirm-recipients").await;
    browser.click("#recipient-0").await;
    browser.click("#send").await;
    zegel_tests::browser::stage(&browser, "sent").await;

    // Outlook sent the one mail; Zegel sent the recipient nothing of its own.
    let office = browser.office_state().await;
    let outbox = office["outbox"].as_array().expect("the fake host's outbox");
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let html = outbox[0]["bodyHtml"].as_str().unwrap();
    assert!(html.contains("Upload bestanden"), "{html}");
    let start = html
        .find(&format!("{base}/u/"))
        .expect("the request's link");
    let link = html[start..]
        .split(|c: char| c == '"' || c == '<' || c.is_whitespace())
        .next()
        .unwrap()
        .to_owned();
    browser.close().await;
    assert_eq!(setup.receiver.count_to("jan@example.nl"), 0);

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let ask = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(
        ask.contains("name=\"email\""),
        "the one link asks who you are"
    );
    let sent = http
        .post(format!("{link}/challenge"))
        .form(&[("email", "jan@example.nl")])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let code_mail = setup.receiver.wait_for("jan@example.nl", "verificatiecode");
    let code = code_mail
        .text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned();
    let verified = http
        .post(format!("{link}/verify"))
        .form(&[("email", "jan@example.nl"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303);
    let page = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Wilt u de scans van uw onderzoek uploaden?")
            && page.contains("id=\"uploader\""),
        "the template's text and the uploader: {page}"
    );
}

/// A citizen sends income statements through the municipality's portal ("choose" mode), in Dutch and
/// in Swedish, on a phone: the address first, the mailed code, then "Naar", the files and "Verzenden";
/// the chosen team hears, the citizen gets a confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_sends_files_through_the_portal_in_dutch_and_swedish() {
    let setup = AddinSetup::start("beheer@zorg.example", |zegel| {
        zegel.grant_admin("beheer@zorg.example")
    });
    let base = setup.zegel.base.clone();
    let created = client()
        .post(format!("{base}/api/v1/admin/upload-portals"))
        .bearer_auth(&setup.token)
        .json(&json!({
            "slug": "inkomen",
            "title": "Inkomensgegevens",
            "intro": {"nl": "Stuur hier uw loonstroken.", "sv": "Skicka dina lönebesked här."},
            "to": "choose",
            "recipients": [
                {"email": "wmo@zorg.example", "name": "Team Wmo"},
                {"email": "bijstand@zorg.example", "name": "Team Bijstand"},
            ],
            "allowed_types": ["pdf", "image"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for (language, visitor, sent_subject, done) in [
        (
            "nl",
            "burger@example.nl",
            "Uw bestanden zijn verzonden",
            "Uw bestanden zijn verzonden",
        ),
        (
            "sv",
            "medborgare@example.se",
            "Dina filer har skickats",
            "Dina filer har skickats",
        ),
    ] {
        let browser = Browser::phone(390).await;
        browser
            .goto(&format!("{base}/lang/{language}?back=/p/inkomen"))
            .await;
        browser
            .wait_for("document.getElementById('email')", "the address field")
            .await;
        browser
            .assert_fits("the portal's first step", language)
            .await;
        browser.type_into("#email", visitor).await;
        browser.click("form[action$='/challenge'] button").await;
        let code_mail = setup.receiver.wait_for(visitor, "");
        let code = code_mail
            .text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
            .expect("a six-digit code")
            .to_owned();
        browser
            .wait_for("document.getElementById('code')", "the code pop-up")
            .await;
        browser.assert_fits("the code step", language).await;
        browser.screenshot(&format!("portal-code-{language}")).await;
        browser.type_into("#code", &code).await;
        browser.click("form.code-form button[type=submit]").await;
        browser
            .wait_for(
                "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
                "the uploader",
            )
            .await;
        browser
            .js(
                "const s = document.getElementById('to'); s.value = 'bijstand@zorg.example'; return true;",
                vec![],
            )
            .await;
        browser
            .js(
                r#"
                const transfer = new DataTransfer();
                transfer.items.add(new File(["%PDF-1.4\nloonstrook\n%%EOF\n"], "loonstrook-mei.pdf", { type: "application/pdf" }));
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
                "the finished upload",
            )
            .await;
        browser
            .assert_fits("the portal's sending step", language)
            .await;
        browser.screenshot(&format!("portal-send-{language}")).await;
        browser.click("#send").await;
        browser
            .wait_for(
                &format!("document.querySelector('main h2')?.innerText === {done:?}"),
                "the sent page",
            )
            .await;
        browser.close().await;
        setup.receiver.wait_for(visitor, sent_subject);
    }
    let notices = setup
        .receiver
        .mails()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|to| to == "bijstand@zorg.example"))
        .count();
    assert_eq!(notices, 2, "the chosen team heard of both");
    assert_eq!(setup.receiver.count_to("wmo@zorg.example"), 0);
}
