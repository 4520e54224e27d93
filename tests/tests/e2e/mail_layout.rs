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
    for width in [390, 1280] {
        let browser = Browser::start(&[&format!("--window-size={width},900")]).await;
        for file in &files {
            browser.goto(&format!("file://{}", file.display())).await;
            let overflow = browser
                .js(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
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
            assert!(card <= 560.0, "{} at {width} px: {card}", file.display());
        }
        browser
            .goto(&format!("file://{}", files[0].display()))
            .await;
        browser
            .screenshot(&format!("mail-notification-nl-{width}"))
            .await;
        browser.close().await;
    }
}
