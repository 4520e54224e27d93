//! Replying securely in Chromium: the patient answers a secure message with a text and a file, the
//! doctor reads the reply after proving their address and answers, and the patient reads the answer;
//! "Gesprek" shows the three turns in order on both sides, and in the pane's read mode on the notice of
//! the reply in the doctor's Outlook.

use serde_json::{Value, json};
use zegel_tests::browser::{AddinSetup, Browser};
use zegel_tests::{client, link_after};

const SENDER: &str = "arts@zorg.example";
const PATIENT: &str = "jan@example.nl";

/// The six-digit code (or the password) in the newest mail to `to` whose subject holds `subject`.
fn secret_in(setup: &AddinSetup, to: &str, subject: &str, nth: usize) -> String {
    let mail = zegel_tests::wait_until(std::time::Duration::from_secs(30), "the code mail", || {
        setup
            .receiver
            .mails()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject.contains(subject))
            .nth(nth)
    });
    mail.text
        .lines()
        .find(|l| l.starts_with("    "))
        .expect("the code line")
        .trim()
        .to_owned()
}

/// Opens `link` in `browser`, asks for the code and enters it: the message page.
async fn sign_in(browser: &Browser, link: &str, code: impl Fn() -> String) {
    browser.goto(link).await;
    browser.click("form[action$='/challenge'] button").await;
    browser
        .wait_for(
            "document.querySelector('input[name=code]')",
            "the code field",
        )
        .await;
    let code = code();
    browser.type_into("input[name=code]", &code).await;
    browser.click("form[action$='/verify'] button").await;
    browser
        .wait_for("document.querySelector('main h1')", "the message page")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_of_three_turns_reads_in_order_on_both_sides() {
    let setup = AddinSetup::start(SENDER, |_| {});
    let base = setup.zegel.base.clone();
    let meta = json!({
        "subject": "Uitslag bloedonderzoek", "body_text": "Beste Jan,\n\nDe uitslag is binnen: alles in orde.",
        "kind": "secure_message", "recipients": [{"email": PATIENT}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"}, "language": "nl"
    });
    let sent: Value = setup
        .zegel
        .send_message(&setup.token, &meta, &[])
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    let link = setup.receiver.wait_for(PATIENT, "Uitslag").link(&base);

    // The patient replies with a text and a file.
    let patient = Browser::phone(390).await;
    sign_in(&patient, &link, || {
        secret_in(&setup, PATIENT, "wachtwoord", 0)
    })
    .await;
    patient
        .wait_for(
            "!document.getElementById('uploader')?.hidden && document.getElementById('uploader')",
            "the reply form's uploader",
        )
        .await;
    patient
        .type_into("#message", "Dank u wel. Hierbij mijn medicijnlijst.")
        .await;
    patient
        .choose_file(
            "medicijnlijst.pdf",
            "%PDF-1.4\nmetformine 500 mg\n%%EOF\n",
            "application/pdf",
        )
        .await;
    patient
        .wait_for(
            "document.querySelectorAll('#file-list li.done').length === 1",
            "the uploaded file",
        )
        .await;
    patient.assert_fits("the reply form", "nl").await;
    patient.click("#send").await;
    patient
        .wait_for(
            "document.querySelector('p.notice')?.innerText === 'Uw antwoord is beveiligd verzonden.'",
            "the notice",
        )
        .await;

    // The doctor reads it after a code by e-mail, and answers.
    let notice = setup
        .receiver
        .wait_for(SENDER, "U heeft een beveiligd antwoord ontvangen");
    assert!(
        !notice.text.contains("medicijn"),
        "nothing of the reply in the mail"
    );
    let reply_link = link_after(&notice.text, &format!("{base}/m/"));
    let doctor = Browser::start(&["--window-size=1280,900"]).await;
    sign_in(&doctor, &reply_link, || {
        let mail = setup.receiver.wait_for(SENDER, "verificatiecode");
        mail.text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
            .unwrap()
            .to_owned()
    })
    .await;
    let page = doctor
        .js("return document.querySelector('main').innerText;", vec![])
        .await;
    let page = page.as_str().unwrap();
    assert!(
        page.contains("Dank u wel. Hierbij mijn medicijnlijst.")
            && page.contains("medicijnlijst.pdf")
    );
    doctor
        .type_into("#message", "Ontvangen. Tot donderdag om 10:00.")
        .await;
    doctor.click("#send").await;
    doctor
        .wait_for("document.querySelector('p.notice')", "the notice")
        .await;
    doctor.screenshot("conversation-doctor").await;
    doctor.close().await;

    // The patient reads the answer, with the conversation in order.
    let answer =
        zegel_tests::wait_until(
            std::time::Duration::from_secs(30),
            "the answer's notice",
            || {
                setup.receiver.mails().into_iter().find(|m| {
                    m.rcpt_to.iter().any(|r| r == PATIENT) && m.subject.contains("antwoord")
                })
            },
        );
    let answer_link = link_after(&answer.text, &format!("{base}/m/"));
    sign_in(&patient, &answer_link, || {
        let mail = setup.receiver.wait_for(PATIENT, "verificatiecode");
        mail.text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
            .unwrap()
            .to_owned()
    })
    .await;
    let turns = patient
        .wait_for(
            "document.querySelectorAll('#conversation .turns li').length === 3 && Array.from(document.querySelectorAll('#conversation .turns li .body')).map(b => b.innerText)",
            "three turns",
        )
        .await;
    assert_eq!(
        turns,
        json!([
            "Beste Jan,\n\nDe uitslag is binnen: alles in orde.",
            "Dank u wel. Hierbij mijn medicijnlijst.",
            "Ontvangen. Tot donderdag om 10:00."
        ])
    );
    patient.assert_fits("the conversation", "nl").await;
    patient
        .js(
            "document.getElementById('conversation').scrollIntoView(); return true;",
            vec![],
        )
        .await;
    patient.screenshot("conversation-patient").await;
    patient.close().await;

    // The sender's own view through the API: the same three turns.
    let conversation: Value = client()
        .get(format!("{base}/api/v1/messages/{id}/conversation"))
        .bearer_auth(&setup.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(conversation["turns"].as_array().unwrap().len(), 3);

    // In Outlook, the doctor opens the notice of the reply with the read-mode pane: it names the
    // doctor's own message, and the pane shows the conversation first.
    let raw = String::from_utf8_lossy(&notice.raw).into_owned();
    let headers = raw.split("\r\n\r\n").next().unwrap().to_owned() + "\r\n";
    assert!(
        headers
            .lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("x-zegel-message: {id}"))),
        "{headers}"
    );
    setup.site.set_scenario(&json!({
        "mode": "read",
        "language": "nl-NL",
        "subject": notice.subject,
        "internetHeaders": headers,
        "roaming": {"zegelToken": setup.token},
    }));
    let pane = Browser::start(&["--window-size=400,900"]).await;
    pane.goto(&format!("{base}/addin/logblock.html")).await;
    let shown = pane
        .wait_for(
            "document.querySelectorAll('#conversation li').length === 3 && Array.from(document.querySelectorAll('#conversation li .turn-text')).map(t => t.innerText)",
            "the conversation in the pane",
        )
        .await;
    assert_eq!(
        shown,
        json!([
            "Beste Jan,\n\nDe uitslag is binnen: alles in orde.",
            "Dank u wel. Hierbij mijn medicijnlijst.",
            "Ontvangen. Tot donderdag om 10:00."
        ])
    );
    let text = pane
        .js(
            "return document.getElementById('conversation').innerText;",
            vec![],
        )
        .await;
    assert!(
        text.as_str().unwrap().contains("medicijnlijst.pdf"),
        "{text}"
    );
    pane.screenshot("conversation-pane").await;
    pane.close().await;
}
