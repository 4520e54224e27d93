//! The notification and the password mail as a phone (390 px) and a desktop (1280 px) show them in
//! Chromium: fluid up to 560 px, no horizontal scrolling, long addresses wrapped, in every language.

use serde_json::json;
use zegel_core::{Language, MessageKind};
use zegel_mail::render::{self, Look, Notification};
use zegel_tests::browser::Browser;

#[tokio::test]
async fn mails_fit_a_phone_and_a_desktop() {
    let dir = tempfile::TempDir::new().unwrap();
    let sender = "dr.a.van.den.berg-jansen@ziekenhuis-noordhaven.example";
    let mut files = Vec::new();
    for language in Language::ALL {
        let notification = render::notification(&Notification {
            language,
            kind: MessageKind::SecureMessage,
            subject: "Verwijsbrief mevrouw De Vries, afdeling cardiologie, met uitslagen",
            sender,
            plain_body: None,
            files: &[],
            link: "https://zegel.example/m/6f3Yq2c8kLwP0vB4nX7rT1uZ9aHdJ5sE",
            expires_at: 1_800_000_000_000,
            timezone: "Europe/Amsterdam",
            from: "Zegel <no-reply@zegel.example>",
            to: "jan@example.nl",
        });
        let password = render::password(
            language,
            "Verwijsbrief",
            sender,
            "Kx7-p2Qa-9mZt-4wRb",
            Some(30),
            "jan@example.nl",
            "Zegel <no-reply@zegel.example>",
            &Look::ZEGEL,
        );
        for (what, mail) in [("notification", notification), ("password", password)] {
            let path = dir.path().join(format!("{what}-{}.html", language.code()));
            std::fs::write(&path, mail.html.unwrap()).unwrap();
            files.push(path);
        }
    }
    // The page is held to the width: a window cannot be made narrower than about 500 px, so the mail's
    // root element gets the phone's width and everything inside must fit it.
    let browser = Browser::start(&["--window-size=1400,1000"]).await;
    for width in [390, 1280] {
        for file in &files {
            let mail = std::fs::read_to_string(file).unwrap();
            let held = dir.path().join(format!("at-{width}.html"));
            std::fs::write(
                &held,
                mail.replacen(
                    "</head>",
                    &format!("<style>html {{ width: {width}px }}</style></head>"),
                    1,
                ),
            )
            .unwrap();
            browser.goto(&format!("file://{}", held.display())).await;
            let overflow = browser
                .js(
                    "const b = document.body; return b.scrollWidth - b.clientWidth;",
                    vec![],
                )
                .await;
            assert_eq!(overflow, json!(0), "{} at {width} px", file.display());
            let card = browser
                .js(
                    "return document.querySelectorAll('table')[1].getBoundingClientRect().width;",
                    vec![],
                )
                .await
                .as_f64()
                .unwrap();
            assert!(
                card <= 560.0 && card <= f64::from(width),
                "{} at {width} px: {card}",
                file.display()
            );
            if file.ends_with("notification-nl.html") {
                browser
                    .screenshot(&format!("mail-notification-nl-{width}"))
                    .await;
            }
        }
    }
    browser.close().await;
}
