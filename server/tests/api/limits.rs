//! Limits under parallel requests, on one instance and on two sharing the database: tries per code, the
//! failure lock, sends per hour, download limits and the password-hashing budget. Also: a GET or HEAD
//! consumes nothing, and recipient sessions end (idle, absolute, logout).

use jiff::SignedDuration;
use serde_json::{Value, json};
use sqlx::Row;

use crate::on_both;
use crate::support::{TestServer, secure_message};

fn two_factor(to: &str, phone: &str) -> Value {
    json!({"subject": "Uitslag", "body_text": "Zie bijlage.", "kind": "secure_files",
           "recipients": [{"email": to, "phone": phone}], "auth": {"level": "2fa"}, "language": "en"})
}

/// A 1FA message whose generated password the sender tells: `(JSON access API, password)`.
async fn told_password(server: &TestServer, to: &str) -> (String, String) {
    let mut meta = secure_message(to);
    meta["auth"] = json!({"level": "1fa", "password": "generated", "deliver": "other"});
    let created: Value = server.send(&meta, &[]).await.json().await.unwrap();
    let password = created["password"].as_str().unwrap().to_owned();
    (server.api_of(&server.link_for(to).await), password)
}

/// The same URL on the other instance.
fn on(other: &TestServer, server: &TestServer, url: &str) -> String {
    url.replacen(&server.base, &other.base, 1)
}

/// POSTs every `(url, JSON body)` at once, each from its own task; the statuses in order.
async fn burst(requests: Vec<(String, Value)>) -> Vec<u16> {
    let client = reqwest::Client::new();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(url, body)| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

/// `codes` sent to verify at once, alternating between the two instances.
async fn verify_burst(
    server: &TestServer,
    other: &TestServer,
    api: &str,
    codes: &[&str],
) -> Vec<u16> {
    let requests = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let api = if i % 2 == 0 {
                api.to_owned()
            } else {
                on(other, server, api)
            };
            (format!("{api}/verify"), json!({"code": code}))
        })
        .collect();
    burst(requests).await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// A recipient's failures in a row, whether it is locked, and when it opened the message.
async fn recipient(server: &TestServer, email: &str) -> (i64, bool, Option<i64>) {
    let row =
        sqlx::query("SELECT failed_attempts, locked, opened_at FROM recipients WHERE email = $1")
            .bind(email)
            .fetch_one(&server.state.db.pool)
            .await
            .unwrap();
    (
        row.try_get("failed_attempts").unwrap(),
        row.try_get::<i64, _>("locked").unwrap() != 0,
        row.try_get("opened_at").unwrap(),
    )
}

async fn audited(server: &TestServer, event: &str) -> i64 {
    server
        .count(&format!("audit_events WHERE event = '{event}'"))
        .await
}

async fn deliver_all(server: &TestServer) {
    while server.deliver().await > 0 {}
}

async fn code_tries(server: TestServer) {
    let other = server.second_instance().await;
    server
        .send(&two_factor("a@example.nl", "0612345678"), &[])
        .await;
    let api = server.api_of(&server.link_for("a@example.nl").await);
    assert_eq!(server.challenge(&api).await, 202);
    let code = server.code_for("+31612345678").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    // 60 wrong codes at once: five are checked (the free tries, and the code's five), the rest wait.
    let statuses = verify_burst(&server, &other, &api, &[wrong; 60]).await;
    assert_eq!(count(&statuses, 401), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 55, "{statuses:?}");
    assert_eq!(recipient(&server, "a@example.nl").await.0, 5);
    assert_eq!(
        server
            .count("access_codes WHERE spent = 0 AND tries = 5")
            .await,
        1
    );

    // The code's tries are used up: the right code in the middle of the next burst is not accepted.
    server.clock.advance(SignedDuration::from_mins(2));
    let mut codes = [wrong; 30];
    codes[15] = code.as_str();
    let statuses = verify_burst(&server, &other, &api, &codes).await;
    assert!(!statuses.contains(&200), "{statuses:?}");
    assert_eq!(count(&statuses, 401), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 29, "{statuses:?}");
    server.clock.advance(SignedDuration::from_mins(2));
    assert_eq!(server.verify(&api, &code).await, 401);

    // A fresh code opens the message, once.
    assert_eq!(server.challenge(&api).await, 202);
    let fresh = server.code_for("+31612345678").await;
    server.clock.advance(SignedDuration::from_mins(2));
    assert_eq!(server.verify(&api, &fresh).await, 200);
    assert_eq!(recipient(&server, "a@example.nl").await.0, 0);
}
on_both!(code_tries_hold_under_a_burst, code_tries);

async fn lock(server: TestServer) {
    let other = server.second_instance().await;
    server
        .send(&two_factor("a@example.nl", "0612345678"), &[])
        .await;
    let api = server.api_of(&server.link_for("a@example.nl").await);
    assert_eq!(server.challenge(&api).await, 202);
    let code = server.code_for("+31612345678").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    // One failure short of the lock, the last one long ago (so no backoff applies).
    sqlx::query(
        "UPDATE recipients SET failed_attempts = 99, last_failure_at = $1 WHERE email = $2",
    )
    .bind(server.state.now_ms() - 3_600_000)
    .bind("a@example.nl")
    .execute(&server.state.db.pool)
    .await
    .unwrap();
    let statuses = verify_burst(&server, &other, &api, &[wrong; 50]).await;
    assert_eq!(count(&statuses, 403), 50, "{statuses:?}");
    let (failures, locked, _) = recipient(&server, "a@example.nl").await;
    assert_eq!(failures, 100, "exactly one more try was checked");
    assert!(locked);
    assert_eq!(audited(&server, "access.verification_failed").await, 1);
    assert_eq!(audited(&server, "access.locked").await, 1);
    // Locked means locked: not even the right code, nor a new one.
    server.clock.advance(SignedDuration::from_mins(10));
    assert_eq!(server.verify(&api, &code).await, 403);
    assert_eq!(server.challenge(&api).await, 403);
}
on_both!(the_failure_lock_holds_under_a_burst, lock);

async fn sends(server: TestServer) {
    let other = server.second_instance().await;
    server.send(&secure_message("mail@example.nl"), &[]).await;
    server
        .send(&two_factor("sms@example.nl", "0612345678"), &[])
        .await;
    let mail_api = server.api_of(&server.link_for("mail@example.nl").await);
    let sms_api = server.api_of(&server.link_for("sms@example.nl").await);
    let mut requests = Vec::new();
    for i in 0..30 {
        for api in [&mail_api, &sms_api] {
            let api = if i % 2 == 0 {
                api.clone()
            } else {
                on(&other, &server, api)
            };
            requests.push((format!("{api}/challenge"), json!({})));
        }
    }
    let statuses = burst(requests).await;
    let mail: Vec<u16> = statuses.iter().step_by(2).copied().collect();
    let sms: Vec<u16> = statuses.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(count(&mail, 202), 5, "{mail:?}");
    assert_eq!(count(&mail, 429), 25, "{mail:?}");
    assert_eq!(count(&sms, 202), 5, "{sms:?}");
    assert_eq!(count(&sms, 429), 25, "{sms:?}");
    deliver_all(&server).await;
    let password_mails = server
        .mails()
        .into_iter()
        .filter(|m| m.to == "mail@example.nl" && !m.text.contains("/m/"))
        .count();
    assert_eq!(password_mails, 5);
    assert_eq!(
        server
            .sms()
            .iter()
            .filter(|s| s.to == "+31612345678")
            .count(),
        5
    );
    // An hour later the next send goes out.
    server.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(server.challenge(&mail_api).await, 202);
}
on_both!(sends_per_hour_hold_under_a_burst, sends);

/// The first file's id of a public-files link.
async fn file_ids(server: &TestServer, link: &str) -> Vec<String> {
    let message: Value = server
        .client
        .get(format!("{}/message", server.api_of(link)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    message["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn downloads(server: TestServer) {
    let other = server.second_instance().await;
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let meta = json!({"kind": "public_files", "recipients": [{"email": "a@example.nl"}], "max_downloads": 1});
    server.send(&meta, &[("scan.pdf", content.clone())]).await;
    let link = server.link_for("a@example.nl").await;
    let id = file_ids(&server, &link).await.remove(0);
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let url = format!("{link}/files/{id}");
            let url = if i % 2 == 0 {
                url
            } else {
                on(&other, &server, &url)
            };
            let client = client.clone();
            tokio::spawn(async move {
                let response = client.post(url).send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.bytes().await.ok())
            })
        })
        .collect();
    let mut complete = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            (200, Some(bytes)) => {
                assert!(
                    bytes.as_ref() == content.as_slice(),
                    "a whole, correct copy"
                );
                complete += 1;
            }
            (410, _) => refused += 1,
            (status, _) => panic!("unexpected {status}"),
        }
    }
    assert_eq!((complete, refused), (1, 9));
    assert_eq!(server.count("downloads").await, 1);

    // A ZIP holds every file still allowed and lists, inside, what was left out and why; when nothing is
    // left it is refused and counts nothing.
    let meta = json!({"kind": "public_files", "subject": "Uitslagen 12/2026", "recipients": [{"email": "b@example.nl"}], "max_downloads": 1, "language": "nl"});
    server
        .send(&meta, &[("a.txt", b"a".to_vec()), ("b.txt", b"b".to_vec())])
        .await;
    let link = server.link_for("b@example.nl").await;
    let ids = file_ids(&server, &link).await;
    let post = |url: String| {
        let client = client.clone();
        async move { client.post(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(format!("{link}/files/{}", ids[0])).await, 200);
    let zip = client
        .post(format!("{link}/files.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let disposition = zip.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename=\"Uitslagen 12-2026.zip\""),
        "named after the subject: {disposition}"
    );
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.contains(&"Niet in deze zip.txt".to_owned()),
        "{names:?}"
    );
    let mut note = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("Niet in deze zip.txt").unwrap(),
        &mut note,
    )
    .unwrap();
    assert!(note.contains("downloadlimiet bereikt"), "{note}");
    assert_eq!(server.count("downloads").await, 3);
    assert_eq!(post(format!("{link}/files/{}", ids[1])).await, 410);
    // Nothing left: refused, counting nothing, on a page with a way back to the link.
    let refused = client
        .post(format!("{link}/files.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 410);
    let page = refused.text().await.unwrap();
    let path = link.trim_start_matches(&server.base);
    assert!(
        page.contains(&format!("href=\"{path}\"")) && page.contains("Terug naar het bericht"),
        "{page}"
    );
    assert_eq!(server.count("downloads").await, 3);
}
on_both!(one_copy_of_a_single_download_file_from_a_burst, downloads);

async fn scanners(server: TestServer) {
    let meta = json!({"kind": "public_files", "recipients": [{"email": "a@example.nl"}], "max_downloads": 1});
    server
        .send(&meta, &[("a.txt", b"a".to_vec()), ("b.txt", b"b".to_vec())])
        .await;
    let link = server.link_for("a@example.nl").await;
    let api = server.api_of(&link);
    let id = file_ids(&server, &link).await.remove(0);
    let token = link.rsplit('/').next().unwrap();
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let fetch = |url: String| server.client.request(method.clone(), url).send();
        assert_eq!(fetch(link.clone()).await.unwrap().status(), 200);
        for url in [format!("{link}/files/{id}"), format!("{link}/files.zip")] {
            let response = fetch(url).await.unwrap();
            assert_eq!(response.status(), 303);
            assert_eq!(response.headers()["location"], format!("/m/{token}"));
        }
        for url in [format!("{api}/files/{id}"), format!("{api}/files.zip")] {
            let response = fetch(url).await.unwrap();
            assert_eq!(response.status(), 405);
            assert_eq!(response.headers()["allow"], "POST");
            if method == reqwest::Method::GET {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "method_not_allowed");
            }
        }
        assert_eq!(fetch(format!("{api}/message")).await.unwrap().status(), 200);
    }
    // Nothing was counted, opened or used up.
    assert_eq!(server.count("downloads").await, 0);
    assert_eq!(recipient(&server, "a@example.nl").await.2, None);
    assert_eq!(audited(&server, "message.opened").await, 0);
    assert_eq!(audited(&server, "file.downloaded").await, 0);
    // The recipient's click gets the one download, and opens the message.
    let click = server
        .client
        .post(format!("{link}/files/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(click.status(), 200);
    assert_eq!(click.bytes().await.unwrap().as_ref(), b"a");
    assert!(recipient(&server, "a@example.nl").await.2.is_some());
    assert_eq!(audited(&server, "message.opened").await, 1);
    let again = server
        .client
        .post(format!("{api}/files/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    // The landing page offers downloads as buttons of forms that POST.
    let landing = server
        .client
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        landing.contains(&format!(
            "<form method=\"post\" action=\"/m/{token}/files/{id}\">"
        )),
        "{landing}"
    );
}
on_both!(a_get_or_head_consumes_nothing, scanners);

async fn hashing(server: TestServer) {
    let other = server.second_instance().await;
    let mut links = Vec::new();
    for i in 0..12 {
        links.push(told_password(&server, &format!("r{i}@example.nl")).await);
    }
    // 60 wrong passwords at once, five per link, half on each instance.
    let requests = (0..60)
        .map(|i| {
            let (api, _) = &links[i % 12];
            let api = if i % 2 == 0 {
                api.clone()
            } else {
                on(&other, &server, api)
            };
            (format!("{api}/verify"), json!({"code": "not-the-password"}))
        })
        .collect();
    let statuses = burst(requests).await;
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(count(&statuses, 401) > 0, "{statuses:?}");
    for instance in [&server, &other] {
        let budget = &instance.state.password_budget;
        assert!(
            (1..=budget.concurrency()).contains(&budget.peak()),
            "at most {} hashes at once, saw {}",
            budget.concurrency(),
            budget.peak()
        );
    }
    // The right password still works once the backoff has passed.
    server.clock.advance(SignedDuration::from_mins(1));
    let (api, password) = &links[0];
    assert_eq!(server.verify(api, password).await, 200);

    // A full budget refuses at once, says when to come back, and counts nothing.
    let (api, password) = &links[1];
    let mut held = Vec::new();
    while let Ok(admission) = server.state.password_budget.admit() {
        held.push(admission);
    }
    let before = recipient(&server, "r1@example.nl").await.0;
    let busy = server
        .client
        .post(format!("{api}/verify"))
        .json(&json!({"code": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 429);
    assert_eq!(busy.headers()["retry-after"], "1");
    let body: Value = busy.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    assert_eq!(recipient(&server, "r1@example.nl").await.0, before);
    drop(held);
    assert_eq!(server.verify(api, password).await, 200);
}
on_both!(password_checks_run_under_a_budget, hashing);

/// Signs in through the portal form; returns the message page's path and the session cookie.
async fn sign_in(server: &TestServer, link: &str, password: &str) -> (String, String) {
    let response = server
        .client
        .post(format!("{link}/verify"))
        .form(&[("code", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.headers()["location"].to_str().unwrap().to_owned();
    (page, cookie)
}

async fn sessions(server: TestServer) {
    let (api, password) = told_password(&server, "jan@example.nl").await;
    let link = api.replace("/api/v1/access/", "/m/");
    let status = |path: String| {
        let url = format!("{}{path}", server.base);
        async {
            server
                .client
                .get(url)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    // The cookie dies with the browser: no Max-Age, no Expires.
    let (page, cookie) = sign_in(&server, &link, &password).await;
    let lower = cookie.to_ascii_lowercase();
    assert!(
        lower.contains("httponly")
            && lower.contains("samesite=strict")
            && !lower.contains("max-age")
            && !lower.contains("expires"),
        "{cookie}"
    );
    assert_eq!(audited(&server, "message.opened").await, 1);
    // Idle: 30 minutes without a request end it; each request starts the 30 minutes again.
    assert_eq!(status(page.clone()).await, 200);
    server.clock.advance(SignedDuration::from_mins(29));
    assert_eq!(status(page.clone()).await, 200);
    server.clock.advance(SignedDuration::from_mins(29));
    assert_eq!(status(page.clone()).await, 200);
    server.clock.advance(SignedDuration::from_mins(31));
    let ended = server
        .client
        .get(format!("{}{page}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 401);
    // One message for one situation: the session ended, not "this link is not available" — in the
    // message's language.
    let text = ended.text().await.unwrap();
    assert!(
        text.contains("Your session has ended") && !text.contains("not available"),
        "{text}"
    );

    // Absolute: twelve hours after signing in, however busy.
    sign_in(&server, &link, &password).await;
    for _ in 0..35 {
        server.clock.advance(SignedDuration::from_mins(20));
        assert_eq!(status(page.clone()).await, 200);
    }
    server.clock.advance(SignedDuration::from_mins(20));
    assert_eq!(status(page.clone()).await, 401);

    // Logout ends the session on the server, not only in the browser.
    let (_, cookie) = sign_in(&server, &link, &password).await;
    let pair = cookie.split(';').next().unwrap().to_owned();
    let recipient_id = page.trim_start_matches("/r/");
    let message_page = server
        .client
        .get(format!("{}{page}", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        message_page.contains(&format!(
            "<form method=\"post\" action=\"/r/{recipient_id}/logout\""
        )) && message_page.contains("Sign out"),
        "{message_page}"
    );
    let out = server
        .client
        .post(format!("{}/r/{recipient_id}/logout", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert!(out.text().await.unwrap().contains("You are signed out"));
    let replayed = reqwest::Client::new()
        .get(format!("{}{page}", server.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 401);

    // The JSON API's logout does the same.
    assert_eq!(server.verify(&api, &password).await, 200);
    assert_eq!(
        server
            .client
            .get(format!("{api}/message"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let out = server
        .client
        .post(format!("{api}/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
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
    // Ended sessions are removed by the maintenance run.
    assert!(server.count("recipient_sessions").await >= 2);
    server.clock.advance(SignedDuration::from_mins(31));
    zegel_store::access::forget_ended_sessions(
        &server.state.db,
        server.state.now_ms(),
        zegel_service::access::SESSION_IDLE_MS,
    )
    .await
    .unwrap();
    assert_eq!(server.count("recipient_sessions").await, 0);
}
on_both!(recipient_sessions_idle_out_end_and_sign_out, sessions);

async fn admin_sessions(server: TestServer) {
    let token = server.token("ciso@zorg.example").await;
    zegel_server::admin::grant(&server.state, "ciso@zorg.example", "admin")
        .await
        .unwrap();
    let browser = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let sign_in = || async {
        let response = browser()
            .post(format!("{}/admin/login", server.base))
            .header("origin", &server.base)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        let lower = cookie.to_ascii_lowercase();
        assert!(
            !lower.contains("max-age") && !lower.contains("expires") && lower.contains("httponly"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_owned()
    };
    // Whether the page shows the settings (signed in) rather than the sign-in form.
    let admin_url = format!("{}/admin", server.base);
    let signed_in = |cookie: String| {
        let url = admin_url.clone();
        async move {
            let page = browser()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            !page.contains("name=\"token\"")
        }
    };

    // The cookie holds a session of its own, stored only hashed; never the bearer token.
    let cookie = sign_in().await;
    let value = cookie.split_once('=').unwrap().1.to_owned();
    assert!(!token.contains(&value) && !value.contains(&token));
    let stored: Vec<u8> = sqlx::query("SELECT token_hash FROM admin_sessions")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap()
        .try_get("token_hash")
        .unwrap();
    assert_eq!(stored, zegel_crypto::hash_token(&value).to_vec());
    assert!(signed_in(cookie.clone()).await);

    // Logout ends it on the server: the same cookie, replayed, opens nothing.
    let out = browser()
        .post(format!("{}/admin/logout", server.base))
        .header("origin", &server.base)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(!signed_in(cookie.clone()).await);
    assert_eq!(server.count("admin_sessions").await, 0);

    // Idle for 30 minutes ends it; using it keeps it alive, up to 8 hours.
    let cookie = sign_in().await;
    server.clock.advance(SignedDuration::from_mins(29));
    assert!(signed_in(cookie.clone()).await);
    server.clock.advance(SignedDuration::from_mins(31));
    assert!(!signed_in(cookie.clone()).await);
    let cookie = sign_in().await;
    for _ in 0..23 {
        server.clock.advance(SignedDuration::from_mins(20));
        assert!(signed_in(cookie.clone()).await);
    }
    server.clock.advance(SignedDuration::from_mins(20));
    assert!(!signed_in(cookie.clone()).await);

    // Taking the admin role away ends what a session may do at once.
    let cookie = sign_in().await;
    zegel_server::admin::grant(&server.state, "ciso@zorg.example", "sender")
        .await
        .unwrap();
    assert!(!signed_in(cookie).await);
}
on_both!(the_admin_page_has_server_side_sessions, admin_sessions);
