//! The recipient's journey in Chromium on a phone (390 px, emulated, so the portal's media queries
//! apply) and a desktop: the landing page, the password step and the message, in Dutch and, through the
//! page's language switch, in Swedish. No page scrolls sideways, and no English sentence shows on a
//! Dutch or Swedish page. Screenshots of the Dutch phone journey go to the README.

use serde_json::{Value, json};
use zegel_tests::browser::Browser;
use zegel_tests::{SmtpReceiver, Zegel, wait_until};

/// English words that have no business on a Dutch or Swedish page (whole words, lower case; not
/// "open", which Dutch writes too).
const ENGLISH: [&str; 14] = [
    "the", "your", "you", "and", "message", "password", "send", "view", "files", "file", "sign",
    "expires", "download", "from",
];

async fn check(browser: &Browser, what: &str, language: &str) {
    browser.assert_fits(what, language).await;
    let text = browser
        .js(
            "return document.querySelector('main').innerText + ' ' + document.querySelector('header').innerText;",
            vec![],
        )
        .await;
    let text = text.as_str().unwrap().to_lowercase();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        assert!(
            !ENGLISH.contains(&word),
            "{what} ({language}) shows the English word {word:?}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipients_pages_read_well_on_a_phone_and_a_desktop_in_dutch_and_swedish() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.add_tenant("Ziekenhuis Noordhaven", "zorg.example");
    let token = zegel.token("dr.a.van.den.berg-jansen@zorg.example");
    zegel.serve();
    let meta = json!({
        "subject": "Verwijsbrief cardiologie", "body_text": "Beste mevrouw De Vries,\n\nBijgaand de verwijsbrief.\n\nMet vriendelijke groet,\nDr. Van den Berg-Jansen",
        "kind": "secure_message", "recipients": [{"email": "m.devries-oosterhuis@ontvanger.example"}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"}, "language": "nl"
    });
    let files: [(&str, &[u8]); 2] = [
        (
            "verwijsbrief-mevrouw-de-vries-oosterhuis-cardiologie.txt",
            b"verwijzing",
        ),
        ("uitslagen.pdf", b"%PDF-1.4\n%%EOF\n"),
    ];
    let created: Value = zegel
        .send_message(&token, &meta, &files)
        .await
        .json()
        .await
        .unwrap();
    assert!(created["id"].is_string(), "{created}");
    let to = "m.devries-oosterhuis@ontvanger.example";
    let link = receiver.wait_for(to, "Verwijsbrief").link(&zegel.base);

    let phone = Browser::phone(390).await;
    let desktop = Browser::start(&["--window-size=1280,900"]).await;
    let rounds = [
        (&phone, "nl", 390),
        (&phone, "sv", 390),
        (&desktop, "nl", 1280),
        (&desktop, "sv", 1280),
    ];
    for (round, (browser, language, width)) in rounds.into_iter().enumerate() {
        // A new browser starts with the language the message was sent in.
        if language == "nl" {
            browser
                .goto(&format!("{}/lang/nl?back=/", zegel.base))
                .await;
        }
        if language == "sv" {
            let back = link.trim_start_matches(&zegel.base);
            browser
                .goto(&format!("{}/lang/sv?back={back}", zegel.base))
                .await;
        } else {
            browser.goto(&link).await;
        }
        check(browser, "the landing page", language).await;
        browser
            .screenshot(&format!("portal-landing-{language}-{width}"))
            .await;
        browser.click("form[action$='/challenge'] button").await;
        browser
            .wait_for(
                "document.querySelector('input[name=code]')",
                "the password field",
            )
            .await;
        check(browser, "the password step", language).await;
        // The show toggle: hidden without the script, with it it turns the field into plain text.
        let shown = browser
            .js(
                "const box = document.querySelector('#reveal'); box.click(); \
                 return [box.closest('.reveal').hidden, document.querySelector('input[name=code]').type];",
                vec![],
            )
            .await;
        assert_eq!(shown, json!([false, "text"]), "the show toggle");
        browser
            .screenshot(&format!("portal-password-{language}-{width}"))
            .await;
        // Mails keep the sender's language (Dutch); each round asks for a new password.
        let mail = wait_until(
            std::time::Duration::from_secs(30),
            "the password mail of this round",
            || {
                receiver
                    .mails()
                    .into_iter()
                    .filter(|m| {
                        m.rcpt_to.iter().any(|r| r == to) && m.subject.contains("wachtwoord")
                    })
                    .nth(round)
            },
        );
        let password = mail
            .text
            .lines()
            .find(|l| l.starts_with("    "))
            .expect("the password line")
            .trim()
            .to_owned();
        browser.type_into("input[name=code]", &password).await;
        browser.click("form[action$='/verify'] button").await;
        browser
            .wait_for("document.querySelector('ul.files')", "the message page")
            .await;
        check(browser, "the message page", language).await;
        let view = browser
            .js(
                "return document.querySelectorAll('form.view').length;",
                vec![],
            )
            .await;
        assert_eq!(view, json!(1), "the PDF can be viewed, the text file not");
        browser
            .screenshot(&format!("portal-message-{language}-{width}"))
            .await;
        let message_page = browser.js("return location.href;", vec![]).await;
        // Sign out, so the Swedish round starts at the landing page again.
        browser.click("form.signout button").await;
        browser
            .wait_for(
                "document.querySelector('h1') && !document.querySelector('form.signout')",
                "the signed-out page",
            )
            .await;
        check(browser, "the signed-out page", language).await;
        // The message page without a session: the organisation's page, not a dead end.
        browser.goto(message_page.as_str().unwrap()).await;
        check(browser, "the session-ended page", language).await;
        let brand = browser
            .js(
                "return document.querySelector('header .brand').innerText;",
                vec![],
            )
            .await;
        assert!(
            brand.as_str().unwrap().contains("Ziekenhuis Noordhaven"),
            "{brand}"
        );
        browser
            .screenshot(&format!("portal-session-ended-{language}-{width}"))
            .await;
    }
    phone.close().await;
    desktop.close().await;
}
