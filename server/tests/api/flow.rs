//! The whole recipient flow through the JSON access API and the HTML portal.

use std::io::Read;

use serde_json::{Value, json};

use crate::on_both;
use crate::support::{TestServer, secure_message};

async fn json_flow(server: TestServer) {
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let response = server
        .send(
            &secure_message("jan@example.nl"),
            &[
                ("scan.pdf", big.clone()),
                ("brief €.txt", b"hallo".to_vec()),
            ],
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "sent");
    // The generated password is shown to the sender (behind the eye), also when Zegel e-mails it.
    let shown = created["password"].as_str().unwrap().to_owned();

    let link = server.link_for("jan@example.nl").await;
    let api = server.api_of(&link);
    // Without a session the message stays closed.
    assert_eq!(
        server
            .client
            .get(format!("{api}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let challenge = server
        .client
        .post(format!("{api}/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status(), 202);
    assert_eq!(
        challenge.json::<Value>().await.unwrap()["destination"],
        "j*n@e*****e.nl"
    );
    let password = server.password_for("jan@example.nl").await;
    assert_eq!(
        password, shown,
        "the recipient gets the password the sender saw"
    );
    let verified = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"code": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    let cookie = verified
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.starts_with("zs-"),
        "{cookie}"
    );

    let message: Value = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(message["subject"], "Dossier 42");
    assert_eq!(message["sender"], "arts@zorg.example");
    assert_eq!(message["body_text"], "Beste Jan, zie de bijlage.");
    let files = message["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["name"], "scan.pdf");
    assert_eq!(files[0]["size"], 300_000);

    let download = server
        .client
        .post(format!("{api}/files/{}", files[0]["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), big.as_slice());
    let second = server
        .client
        .post(format!("{api}/files/{}", files[1]["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert!(
        second.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''brief%20%E2%82%AC.txt")
    );

    let zip_bytes = server
        .client
        .post(format!("{api}/files.zip"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
    let mut contents = Vec::new();
    archive
        .by_name("scan.pdf")
        .unwrap()
        .read_to_end(&mut contents)
        .unwrap();
    assert_eq!(contents, big);
    let mut small = String::new();
    archive
        .by_name("brief €.txt")
        .unwrap()
        .read_to_string(&mut small)
        .unwrap();
    assert_eq!(small, "hallo");

    // The message's password (shown to the sender, e-mailed as it is) opens it again, like the
    // sender's own; one-time passwords are for gateway mail (see rules.rs).
    let again = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"code": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
}
on_both!(json_access_flow, json_flow);

async fn html_flow(server: TestServer) {
    let mut meta = secure_message("piet@example.nl");
    meta["body_html"] = json!(
        "<p>Hallo <b>Piet</b><script>alert(1)</script><img src=\"https://tracker.example/x.gif\"></p>"
    );
    meta["language"] = json!("nl");
    assert_eq!(
        server
            .send(&meta, &[("a.txt", b"abc".to_vec())])
            .await
            .status(),
        201
    );
    let link = server.link_for("piet@example.nl").await;

    let landing = server.client.get(&link).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    assert_eq!(landing.headers()["referrer-policy"], "no-referrer");
    let html = landing.text().await.unwrap();
    assert!(
        html.contains("Stuur mij het wachtwoord") && html.contains("p**t@e*****e.nl"),
        "{html}"
    );
    // Fetching the landing page (as link scanners do) sends nothing.
    assert_eq!(server.deliver().await, 0);

    let sent = server
        .client
        .post(format!("{link}/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let password = server.password_for("piet@example.nl").await;
    let wrong = server
        .client
        .post(format!("{link}/verify"))
        .form(&[("code", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("klopt niet"));
    let verified = server
        .client
        .post(format!("{link}/verify"))
        .form(&[("code", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303);
    let location = verified.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/r/") && !location.contains(link.rsplit('/').next().unwrap()),
        "the token leaves the URL"
    );

    let page = server.page(&format!("{}{location}", server.base)).await;
    assert!(page.contains("Hallo <b>Piet</b>"), "{page}");
    assert!(
        !page.contains("alert(1)") && !page.contains("tracker.example"),
        "{page}"
    );
    assert!(page.contains("a.txt"));
}
on_both!(html_portal_flow, html_flow);

async fn public_files(server: TestServer) {
    let meta = json!({"kind": "public_files", "subject": "Foto's", "body_text": "Zie de foto's.",
        "recipients": [{"email": "a@example.nl"}, {"email": "b@example.nl", "kind": "bcc"}]});
    assert_eq!(
        server
            .send(&meta, &[("x.jpg", vec![1, 2, 3]), ("y.jpg", vec![4, 5])])
            .await
            .status(),
        201
    );
    let link = server.link_for("a@example.nl").await;
    server.link_for("b@example.nl").await;
    let notification = server
        .mails()
        .into_iter()
        .find(|m| m.to == "b@example.nl")
        .unwrap();
    assert!(
        notification.text.contains("Zie de foto's."),
        "the body of public files travels as plain mail"
    );
    assert!(
        !notification.text.contains("a@example.nl"),
        "Bcc recipients never see the others"
    );

    let landing = server.page(&link).await;
    assert!(landing.contains("x.jpg") && landing.contains("files.zip"));
    let message = server.message(&link).await;
    let id = message["files"][1]["id"].as_str().unwrap();
    let bytes = server
        .client
        .post(format!("{link}/files/{id}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), &[4, 5]);
}
on_both!(public_files_need_no_password, public_files);

async fn sender_password(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["auth"] = json!({"level": "1fa", "password": "generated", "deliver": "other"});
    let created: Value = server.send(&meta, &[]).await.json().await.unwrap();
    let password = created["password"]
        .as_str()
        .expect("a generated password told by the sender is shown once")
        .to_owned();
    let api = server.api_of(&server.link_for("jan@example.nl").await);
    // There is no password to e-mail.
    assert_eq!(
        server
            .client
            .post(format!("{api}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        server
            .client
            .post(format!("{api}/verify"))
            .json(&json!({"code": "wrong"}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        server
            .client
            .post(format!("{api}/verify"))
            .json(&json!({"code": password}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A custom password delivered by e-mail is sent as the sender set it.
    let mut meta = secure_message("kees@example.nl");
    meta["auth"] = json!({"level": "1fa", "password": {"custom": "paars-olifant-Zwemt-traag-81"}, "deliver": "email"});
    assert_eq!(server.send(&meta, &[]).await.status(), 201);
    let api = server.api_of(&server.link_for("kees@example.nl").await);
    assert_eq!(
        server
            .client
            .post(format!("{api}/challenge"))
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        server.password_for("kees@example.nl").await,
        "paars-olifant-Zwemt-traag-81"
    );
    let ok = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"code": "paars-olifant-Zwemt-traag-81"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
on_both!(passwords_told_by_the_sender_or_mailed, sender_password);

async fn reopening(server: TestServer) {
    server.send_one_time("jan@example.nl").await;
    let link = server.link_for("jan@example.nl").await;
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    let password = server.password_for("jan@example.nl").await;
    assert_eq!(server.verify(&api, &password).await, 200);
    let mails = server.mails().len();
    // The recipient opens the mail's link again: with a valid session it goes straight to the message,
    // and no new password is sent.
    let again = server.client.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 303);
    let to = again.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/r/"), "{to}");
    let page = server
        .client
        .get(format!("{}{to}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    server.deliver().await;
    assert_eq!(server.mails().len(), mails, "no new password mail");
    // Another browser (no session) still gets the landing page.
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let landing = fresh.get(&link).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(landing.text().await.unwrap().contains("Send my password"));
    // The server's home says what it is, in the browser's language, and nothing is indexed.
    let home = fresh
        .get(format!("{}/", server.base))
        .header("accept-language", "sv-SE,sv;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert_eq!(home.headers()["x-robots-tag"], "noindex, nofollow");
    assert!(home.text().await.unwrap().contains("Säkra meddelanden"));
    let robots = fresh
        .get(format!("{}/robots.txt", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(robots.contains("Disallow: /"), "{robots}");
}
on_both!(reopening_the_link_reuses_the_session, reopening);

async fn file_list(server: TestServer) {
    let mut meta = secure_message("jan@example.nl");
    meta["max_downloads"] = json!(2);
    meta["language"] = json!("nl");
    let id = crate::tracking::send_id(
        &server,
        &meta,
        &[
            ("uitslag.txt", b"uitslag".to_vec()),
            ("brief.txt", b"brief".to_vec()),
        ],
    )
    .await;
    let api = crate::tracking::session(&server, "jan@example.nl").await;
    let message = |server: &TestServer| {
        let url = format!("{api}/message");
        let client = server.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let before = message(&server).await;
    assert_eq!(before["files"][0]["downloads_left"], 2);
    let first = before["files"][0]["id"].as_str().unwrap().to_owned();
    let second = before["files"][1]["id"].as_str().unwrap().to_owned();
    let download = server
        .client
        .post(format!("{api}/files/{first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    crate::tracking::block(
        &server,
        &id,
        "block",
        json!({"target": "file", "file_id": second}),
    )
    .await;
    let after = message(&server).await;
    assert_eq!(after["files"].as_array().unwrap().len(), 1);
    assert_eq!(after["files"][0]["downloads_left"], 1);
    assert_eq!(after["withdrawn"], json!(["brief.txt"]));
    // The page says how many downloads remain and that the sender withdrew the other file.
    let link = server.link_for("jan@example.nl").await;
    let again = server.client.get(&link).send().await.unwrap();
    let page = server
        .client
        .get(format!(
            "{}{}",
            server.base,
            again.headers()["location"].to_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("nog 1 keer te downloaden"), "{page}");
    assert!(
        page.contains("brief.txt") && page.contains("ingetrokken door de afzender"),
        "{page}"
    );
}
on_both!(
    the_file_list_says_what_is_left_and_what_was_withdrawn,
    file_list
);

async fn language_switch(server: TestServer) {
    server.send_one_time("jan@example.nl").await;
    let link = server.link_for("jan@example.nl").await;
    let path = link.trim_start_matches(&server.base).to_owned();
    let landing = server.page(&link).await;
    assert!(
        landing.contains("Send my password"),
        "the sender chose English"
    );
    assert!(
        landing.contains(&format!("/lang/sv?back={path}")),
        "{landing}"
    );
    // The recipient reads Swedish: the choice is a cookie in the browser, and the page comes back.
    let switched = server
        .client
        .get(format!("{}/lang/sv?back={path}/challenge", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    assert_eq!(switched.headers()["location"], path.as_str());
    let cookie = switched.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("zl=sv;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let landing = server.page(&link).await;
    assert!(
        landing.contains("<html lang=\"sv\"") && landing.contains("Skicka mitt lösenord"),
        "{landing}"
    );
    // Only pages of the portal: any other address goes home.
    for away in [
        "//evil.example/x",
        "https://evil.example/m/abc",
        "/administrator",
    ] {
        let response = server
            .client
            .get(format!("{}/lang/nl?back={away}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], "/", "{away}");
    }
}
on_both!(recipients_choose_the_page_language, language_switch);

/// PDFs and pictures can be looked at in the browser: only when their bytes are what the name says,
/// inline under a script-free sandbox, and a GET of the address changes nothing.
async fn viewing(server: TestServer) {
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let fake = b"<html><script>alert(1)</script></html>".to_vec();
    let meta = json!({"kind": "public_files", "subject": "Uitslagen",
        "recipients": [{"email": "a@example.nl"}], "language": "nl"});
    let files = [
        ("scan.pdf", pdf.clone()),
        ("foto.png", png),
        ("nep.pdf", fake.clone()),
        ("brief.txt", b"hallo".to_vec()),
    ];
    assert_eq!(server.send(&meta, &files).await.status(), 201);
    let link = server.link_for("a@example.nl").await;
    let landing = server.page(&link).await;
    assert_eq!(
        landing.matches("/view\" target=\"_blank\"").count(),
        3,
        "View is offered for the PDFs and the picture, not the text file: {landing}"
    );
    assert!(landing.contains(">Bekijken<"), "{landing}");
    let message = server.message(&link).await;
    let id = |name: &str| {
        message["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let view = |name: &str| {
        server
            .client
            .post(format!("{link}/files/{}/view", id(name)))
            .send()
    };
    let before = server.count("downloads").await;
    let looked = server
        .client
        .get(format!("{link}/files/{}/view", id("scan.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(looked.status(), 303);
    assert!(link.ends_with(looked.headers()["location"].to_str().unwrap()));
    assert_eq!(
        server.count("downloads").await,
        before,
        "GET counts nothing"
    );

    let viewed = view("scan.pdf").await.unwrap();
    assert_eq!(viewed.status(), 200);
    let headers = viewed.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline; filename=\"scan.pdf\""),
        "{headers:?}"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("sandbox;")
            && csp.contains("default-src 'none'")
            && !csp.contains("script"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(viewed.bytes().await.unwrap().as_ref(), pdf.as_slice());
    assert_eq!(
        server.count("downloads").await,
        before + 1,
        "a view is a download"
    );

    let picture = view("foto.png").await.unwrap();
    assert_eq!(picture.headers()["content-type"], "image/png");

    // A file that only calls itself a PDF is downloaded, never shown.
    let fake_view = view("nep.pdf").await.unwrap();
    assert_eq!(
        fake_view.headers()["content-type"],
        "application/octet-stream"
    );
    assert!(
        fake_view.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(fake_view.bytes().await.unwrap().as_ref(), fake.as_slice());
}
on_both!(pdfs_and_pictures_are_viewed_in_a_sandbox, viewing);

/// Error pages carry the organisation's look when the page knows whose message it is about, and
/// Zegel's own for a link that does not exist.
async fn branded_errors(server: TestServer) {
    let admin = server.token("ciso@zorg.example").await;
    zegel_server::admin::grant(&server.state, "ciso@zorg.example", "admin")
        .await
        .unwrap();
    let patched = server
        .client
        .patch(format!("{}/api/v1/admin/settings", server.base))
        .bearer_auth(&admin)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"branding": {"name": "Zorg Noord", "color": "#0b4f6e"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let mut meta = secure_message("piet@example.nl");
    meta["language"] = json!("nl");
    assert_eq!(server.send(&meta, &[]).await.status(), 201);
    let link = server.link_for("piet@example.nl").await;
    server
        .client
        .post(format!("{link}/challenge"))
        .send()
        .await
        .unwrap();
    let password = server.password_for("piet@example.nl").await;
    let verified = server
        .client
        .post(format!("{link}/verify"))
        .form(&[("code", password.as_str())])
        .send()
        .await
        .unwrap();
    let location = verified.headers()["location"].to_str().unwrap().to_owned();

    // Another browser, without the session: the organisation's page says the session has ended.
    let stranger = reqwest::Client::new();
    let ended = stranger
        .get(format!("{}{location}", server.base))
        .header("accept-language", "nl")
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 401);
    let html = ended.text().await.unwrap();
    assert!(
        html.contains("Zorg Noord") && html.contains("/static/brand.css?c=0b4f6e"),
        "{html}"
    );
    assert!(html.contains("Uw sessie is verlopen"), "{html}");

    let unknown = stranger
        .get(format!("{}/m/{}", server.base, "A".repeat(43)))
        .header("accept-language", "nl")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let html = unknown.text().await.unwrap();
    assert!(
        !html.contains("Zorg Noord"),
        "an unknown link names no organisation"
    );
}
on_both!(error_pages_carry_the_organisations_look, branded_errors);
