//! Upload portals: the admin makes one (recipients and domains the tenant's own), a visitor proves their
//! address with a mailed code, uploads under that session and sends to the chosen recipient, who gets
//! the neutral notice while the visitor gets a confirmation; rate limits hold under parallel requests.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestServer;

const ADMIN: &str = "beheer@gemeente.example";
const VISITOR: &str = "burger@example.nl";

async fn admin_token(server: &TestServer) -> String {
    let token = server.token(ADMIN).await;
    let user = zegel_store::tenants::tenant_for_domain(&server.state.db, "gemeente.example")
        .await
        .unwrap()
        .unwrap();
    let admin = zegel_store::tenants::ensure_user(&server.state.db, &user.id, ADMIN, 0)
        .await
        .unwrap();
    zegel_store::tenants::set_role(&server.state.db, &user.id, &admin.id, "admin")
        .await
        .unwrap();
    token
}

async fn admin(
    server: &TestServer,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn choose_portal() -> Value {
    json!({
        "slug": "inkomen",
        "title": "Inkomensgegevens aanleveren",
        "intro": {"nl": "Stuur hier uw loonstroken.", "en": "Send your payslips here."},
        "to": "choose",
        "recipients": [
            {"email": "wmo@gemeente.example", "name": "Team Wmo"},
            {"email": "bijstand@gemeente.example", "name": "Team Bijstand"},
        ],
        "allowed_types": ["pdf", "image"],
        "max_files": 3,
    })
}

async fn code_for(server: &TestServer, to: &str) -> String {
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == to && m.text.lines().any(|l| l.trim().len() == 6))
        .unwrap_or_else(|| panic!("no code mail for {to}"));
    mail.text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned()
}

async fn post(server: &TestServer, path: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn upload(server: &TestServer, name: &str, bytes: &[u8]) -> Result<String, StatusCode> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let created = server
        .client
        .post(format!("{}/api/v1/uploads", server.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", format!("filename {}", b64(name)))
        .send()
        .await
        .unwrap();
    if created.status() != StatusCode::CREATED {
        return Err(created.status());
    }
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched = server
        .client
        .patch(format!("{}/api/v1/uploads/{id}", server.base))
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    Ok(id)
}

async fn sign_in(server: &TestServer, slug: &str, email: &str) {
    let (sent, body) = post(
        server,
        &format!("/api/v1/portals/{slug}/challenge"),
        json!({"email": email}),
    )
    .await;
    assert_eq!(sent, StatusCode::ACCEPTED, "{body}");
    let code = code_for(server, email).await;
    let (verified, body) = post(
        server,
        &format!("/api/v1/portals/{slug}/verify"),
        json!({"email": email, "code": code}),
    )
    .await;
    assert_eq!(verified, StatusCode::OK, "{body}");
}

async fn manage(server: TestServer) {
    let token = admin_token(&server).await;
    let (created, portal) = admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(choose_portal()),
    )
    .await;
    assert_eq!(created, StatusCode::CREATED, "{portal}");
    let id = portal["id"].as_str().unwrap().to_owned();
    assert_eq!(portal["url"], format!("{}/p/inkomen", server.base));
    assert_eq!(
        portal["max_bytes"],
        json!(server.state.config.max_upload_bytes)
    );
    // One address per portal, across tenants too.
    let (taken, _) = admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(choose_portal()),
    )
    .await;
    assert_eq!(taken, StatusCode::CONFLICT);
    // A portal never delivers outside the organisation.
    let mut outsider = choose_portal();
    outsider["slug"] = json!("elders");
    outsider["recipients"] = json!([{"email": "iemand@elders.example"}]);
    let (refused, body) = admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(outsider),
    )
    .await;
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "recipients[0].email");
    // Change, read, list.
    let (patched, body) = admin(
        &server,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/upload-portals/{id}"),
        Some(json!({"title": "Inkomen", "max_files": 5})),
    )
    .await;
    assert_eq!(patched, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["title"], &body["max_files"]),
        (&json!("Inkomen"), &json!(5))
    );
    assert_eq!(
        body["recipients"].as_array().unwrap().len(),
        2,
        "the rest stays"
    );
    let (_, list) = admin(
        &server,
        &token,
        reqwest::Method::GET,
        "/api/v1/admin/upload-portals",
        None,
    )
    .await;
    assert_eq!(list["portals"].as_array().unwrap().len(), 1);
    // Senders and other tenants' admins do not manage it.
    let sender = server.token("medewerker@gemeente.example").await;
    let (forbidden, _) = admin(
        &server,
        &sender,
        reqwest::Method::GET,
        "/api/v1/admin/upload-portals",
        None,
    )
    .await;
    assert_eq!(forbidden, StatusCode::FORBIDDEN);
    let other = server.token("beheer@zorg.example").await;
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let other_user =
        zegel_store::tenants::ensure_user(&server.state.db, &tenant.id, "beheer@zorg.example", 0)
            .await
            .unwrap();
    zegel_store::tenants::set_role(&server.state.db, &tenant.id, &other_user.id, "admin")
        .await
        .unwrap();
    let (hidden, _) = admin(
        &server,
        &other,
        reqwest::Method::GET,
        &format!("/api/v1/admin/upload-portals/{id}"),
        None,
    )
    .await;
    assert_eq!(hidden, StatusCode::NOT_FOUND);
    // Deleted: the page is gone.
    let (deleted, _) = admin(
        &server,
        &token,
        reqwest::Method::DELETE,
        &format!("/api/v1/admin/upload-portals/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted, StatusCode::NO_CONTENT);
    let gone = server
        .client
        .get(format!("{}/api/v1/portals/inkomen", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}
on_both!(admins_manage_portals_of_their_own_organisation, manage);

async fn visit(server: TestServer) {
    let token = admin_token(&server).await;
    let (created, _) = admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(choose_portal()),
    )
    .await;
    assert_eq!(created, StatusCode::CREATED);
    let page: Value = server
        .client
        .get(format!("{}/api/v1/portals/inkomen?lang=en", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["intro"], "Send your payslips here.");
    assert_eq!(page["recipients"][1]["name"], "Team Bijstand");
    // Nothing goes up before the address is proven.
    assert_eq!(
        upload(&server, "loonstrook.pdf", b"%PDF-1.4\n").await,
        Err(StatusCode::UNAUTHORIZED)
    );
    // A wrong code, or a code for an address that asked for none, opens nothing.
    let (wrong, _) = post(
        &server,
        "/api/v1/portals/inkomen/verify",
        json!({"email": VISITOR, "code": "123456"}),
    )
    .await;
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    sign_in(&server, "inkomen", VISITOR).await;
    let mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == VISITOR)
        .unwrap();
    assert_eq!(mail.subject, "Uw verificatiecode");
    assert!(mail.text.contains("Inkomensgegevens aanleveren"));
    let id = upload(
        &server,
        "loonstrook.pdf",
        b"%PDF-1.4\nloonstrook mei\n%%EOF\n",
    )
    .await
    .unwrap();
    // Only to the portal's recipients.
    let (outside, body) = post(
        &server,
        "/api/v1/portals/inkomen/submit",
        json!({"to": "boef@elders.example", "uploads": [id], "message": "Zie bijlage"}),
    )
    .await;
    assert_eq!(outside, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "to");
    let (sent, body) = post(
        &server,
        "/api/v1/portals/inkomen/submit",
        json!({"to": "bijstand@gemeente.example", "uploads": [id], "message": "Mijn loonstrook van mei."}),
    )
    .await;
    assert_eq!(sent, StatusCode::CREATED, "{body}");
    assert_eq!(body["files"][0]["file_type"], "pdf");
    let (again, _) = post(
        &server,
        "/api/v1/portals/inkomen/submit",
        json!({"to": "bijstand@gemeente.example", "uploads": [id]}),
    )
    .await;
    assert_eq!(again, StatusCode::CONFLICT, "one delivery per visit");
    server.deliver().await;
    let mails = server.mails();
    let notice = mails
        .iter()
        .find(|m| m.to == "bijstand@gemeente.example")
        .expect("the chosen recipient's notice");
    assert_eq!(notice.subject, "Er zijn bestanden voor u geüpload");
    assert!(notice.text.contains(VISITOR) && !notice.text.contains("loonstrook"));
    assert!(
        mails.iter().all(|m| m.to != "wmo@gemeente.example"),
        "only the chosen one"
    );
    let confirmation = mails
        .iter()
        .find(|m| m.to == VISITOR && m.subject == "Uw bestanden zijn verzonden")
        .expect("the visitor's confirmation");
    assert!(confirmation.text.contains("loonstrook.pdf"));
    // The recipient opens the files like any received files.
    let link = server.link_for("bijstand@gemeente.example").await;
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    let code = code_for(&server, "bijstand@gemeente.example").await;
    assert_eq!(server.verify(&api, &code).await, 200);
    let message = server.message(&link).await;
    assert_eq!(message["sender"], VISITOR);
    assert_eq!(message["body_text"], "Mijn loonstrook van mei.");
}
on_both!(a_visitor_sends_files_to_the_chosen_recipient, visit);

async fn throttles(server: TestServer) {
    let token = admin_token(&server).await;
    admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(choose_portal()),
    )
    .await;
    // 50 parallel requests for one address: no more codes than the hourly window allows.
    let answers = futures_util::future::join_all((0..50).map(|_| {
        post(
            &server,
            "/api/v1/portals/inkomen/challenge",
            json!({"email": VISITOR}),
        )
    }))
    .await;
    let accepted = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::ACCEPTED)
        .count();
    let window = zegel_service::portals::CHALLENGES_PER_ADDRESS_HOUR as usize;
    assert!(
        (1..=window).contains(&accepted),
        "{accepted} codes accepted"
    );
    assert!(
        answers
            .iter()
            .all(|(s, _)| matches!(*s, StatusCode::ACCEPTED | StatusCode::TOO_MANY_REQUESTS))
    );
    server.deliver().await;
    let codes = server.mails().iter().filter(|m| m.to == VISITOR).count();
    assert!(codes <= window, "{codes} code mails");
    // Many addresses from one client: the client's window closes.
    let mut refused = false;
    for i in 0..zegel_service::portals::CHALLENGES_PER_IP_HOUR {
        let (status, _) = post(
            &server,
            "/api/v1/portals/inkomen/challenge",
            json!({"email": format!("burger{i}@example.nl")}),
        )
        .await;
        refused |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(
        refused,
        "one client cannot mail codes to any number of addresses"
    );
    server.deliver().await;
}
on_both!(codes_are_throttled_per_client_and_per_address, throttles);

async fn free_and_fixed(server: TestServer) {
    let token = admin_token(&server).await;
    let (created, body) = admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(json!({"slug": "vrij", "title": "Vrij", "to": "free", "allowed_domains": ["gemeente.example"]})),
    )
    .await;
    assert_eq!(created, StatusCode::CREATED, "{body}");
    sign_in(&server, "vrij", VISITOR).await;
    let id = upload(&server, "brief.txt", b"Geachte heer,\n")
        .await
        .unwrap();
    let (outside, _) = post(
        &server,
        "/api/v1/portals/vrij/submit",
        json!({"to": "iemand@elders.example", "uploads": [id]}),
    )
    .await;
    assert_eq!(outside, StatusCode::UNPROCESSABLE_ENTITY);
    let (sent, body) = post(
        &server,
        "/api/v1/portals/vrij/submit",
        json!({"to": "afdeling@gemeente.example", "uploads": [id]}),
    )
    .await;
    assert_eq!(sent, StatusCode::CREATED, "{body}");
    // Fixed: every recipient of the portal hears; the visitor names none.
    admin(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/v1/admin/upload-portals",
        Some(
            json!({"slug": "vast", "title": "Vast", "to": "fixed", "recipients": [
            {"email": "een@gemeente.example"}, {"email": "twee@gemeente.example"}]}),
        ),
    )
    .await;
    sign_in(&server, "vast", "ander@example.nl").await;
    let id = upload(&server, "brief.txt", b"Geachte heer,\n")
        .await
        .unwrap();
    let (sent, body) = post(
        &server,
        "/api/v1/portals/vast/submit",
        json!({"uploads": [id]}),
    )
    .await;
    assert_eq!(sent, StatusCode::CREATED, "{body}");
    server.deliver().await;
    for to in [
        "afdeling@gemeente.example",
        "een@gemeente.example",
        "twee@gemeente.example",
    ] {
        assert!(
            server
                .mails()
                .iter()
                .any(|m| m.to == to && m.subject == "Er zijn bestanden voor u geüpload"),
            "{to} hears"
        );
    }
}
on_both!(
    free_and_fixed_portals_deliver_inside_the_organisation,
    free_and_fixed
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_manages_portals() {
    let server = TestServer::start_sqlite().await;
    let token = admin_token(&server).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = client
        .post(format!("{}/admin/login", server.base))
        .header("origin", &server.base)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let settings = client
        .get(format!("{}/admin", server.base))
        .header("accept-language", "nl")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        settings.contains("href=\"/admin/portals\""),
        "a link to the portals"
    );
    let post = |path: &str, form: Vec<(&str, &str)>| {
        client
            .post(format!("{}{path}", server.base))
            .header("origin", &server.base)
            .header("accept-language", "nl")
            .form(&form)
            .send()
    };
    // An outsider as recipient: refused, explained in Dutch beside the form, the values kept.
    let refused = post(
        "/admin/portals",
        vec![
            ("slug", "inkomen"),
            ("title", "Inkomensgegevens"),
            ("to", "choose"),
            (
                "recipients",
                "wmo@gemeente.example | Team Wmo\niemand@elders.example",
            ),
            ("type", "pdf"),
            ("max_files", "5"),
            ("max_mb", ""),
        ],
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains(
            "id=\"portal-new-error\">Vul ontvangers in met een adres van uw eigen domeinen"
        ),
        "{page}"
    );
    assert!(page.contains("Team Wmo"), "the values entered stay");
    let saved = post(
        "/admin/portals",
        vec![
            ("slug", "inkomen"),
            ("title", "Inkomensgegevens"),
            ("intro_nl", "Stuur hier uw loonstroken."),
            ("to", "choose"),
            (
                "recipients",
                "wmo@gemeente.example | Team Wmo\nbijstand@gemeente.example | Team Bijstand",
            ),
            ("type", "pdf"),
            ("type", "image"),
            ("max_files", "5"),
            ("max_mb", "100"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(saved.status(), 303);
    let (_, list) = admin(
        &server,
        &token,
        reqwest::Method::GET,
        "/api/v1/admin/upload-portals",
        None,
    )
    .await;
    let portal = &list["portals"][0];
    assert_eq!(
        portal["recipients"][1],
        json!({"email": "bijstand@gemeente.example", "name": "Team Bijstand"})
    );
    assert_eq!(portal["allowed_types"], json!(["pdf", "image"]));
    assert_eq!(portal["max_bytes"], json!(100_000_000));
    let id = portal["id"].as_str().unwrap().to_owned();
    // Changed on the page, then deleted.
    let changed = post(
        &format!("/admin/portals/{id}"),
        vec![
            ("slug", "inkomen"),
            ("title", "Inkomen"),
            ("to", "fixed"),
            ("recipients", "bijstand@gemeente.example"),
            ("max_files", "5"),
            ("max_mb", ""),
        ],
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), 303);
    let (_, portal) = admin(
        &server,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/admin/upload-portals/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (&portal["title"], &portal["to"]),
        (&json!("Inkomen"), &json!("fixed"))
    );
    let page = client
        .get(format!("{}/admin/portals", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/p/inkomen") && page.contains("value=\"Inkomen\""));
    // Cross-site posts are refused.
    let forged = client
        .post(format!("{}/admin/portals/{id}/delete", server.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let deleted = post(&format!("/admin/portals/{id}/delete"), vec![])
        .await
        .unwrap();
    assert_eq!(deleted.status(), 303);
    assert_eq!(server.count("upload_portals").await, 0);
}
