//! Tenant settings: the admin API (GET, PUT, PATCH, versions, audit), every field's validation, the
//! sender view, enforcement on `POST /api/v1/messages` and the content filter, and isolation between
//! two tenants.

use serde_json::{Value, json};
use sqlx::Row;
use zegel_store::Clock as _;

use crate::on_both;
use crate::support::{TestServer, secure_message};

/// An admin token for `email` (its tenant is created when needed).
async fn admin_token(server: &TestServer, email: &str) -> String {
    let token = server.token(email).await;
    zegel_server::admin::grant(&server.state, email, "admin")
        .await
        .unwrap();
    token
}

fn url(server: &TestServer, path: &str) -> String {
    format!("{}{path}", server.base)
}

async fn get(server: &TestServer, token: &str, path: &str) -> reqwest::Response {
    server
        .client
        .get(url(server, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn put(server: &TestServer, token: &str, body: &Value) -> reqwest::Response {
    server
        .client
        .put(url(server, "/api/v1/admin/settings"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn patch(server: &TestServer, token: &str, body: &Value) -> reqwest::Response {
    server
        .client
        .patch(url(server, "/api/v1/admin/settings"))
        .bearer_auth(token)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// The status and, for errors, the field the error names.
async fn outcome(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit_count(server: &TestServer, event: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE event = $1")
        .bind(event)
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn round_trip(server: TestServer) {
    let admin = admin_token(&server, "ciso@zorg.example").await;
    let sender = server.token("arts@zorg.example").await;

    // Day one: the care defaults, version 0.
    let response = get(&server, &admin, "/api/v1/admin/settings").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"0\"");
    let day_one: Value = response.json().await.unwrap();
    assert_eq!(day_one["internal_domains"], json!(["zorg.example"]));
    assert_eq!(day_one["external_only"], true);
    assert_eq!(day_one["expiry_days"], json!({"default": 14, "max": 14}));
    assert_eq!(day_one["max_downloads_default"], Value::Null);
    assert_eq!(
        day_one["password_options"],
        json!({"generated": true, "custom": true, "min_score": 3})
    );
    assert_eq!(
        (&day_one["allow_1fa"], &day_one["allow_deliver_other"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(day_one["sms_default_country"], "NL");
    assert_eq!(day_one["languages"], json!(["nl", "en", "sv"]));
    assert_eq!(
        day_one["content_filter"]["rules"][0],
        json!({"kind": "nl_bsn", "action": "force", "level": "2fa"})
    );
    for key in ["branding", "notification_from", "hide_subject"] {
        assert!(day_one.get(key).is_some(), "{key}");
    }

    // Only admins; no credentials at all is a 401 with a challenge.
    for path in [
        "/api/v1/admin/settings",
        "/api/v1/admin/settings/versions",
        "/api/v1/admin/settings/versions/1",
    ] {
        assert_eq!(get(&server, &sender, path).await.status(), 403, "{path}");
    }
    assert_eq!(put(&server, &sender, &day_one).await.status(), 403);
    assert_eq!(
        patch(&server, &sender, &json!({"allow_1fa": false}))
            .await
            .status(),
        403
    );
    let anonymous = server
        .client
        .get(url(&server, "/api/v1/admin/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));

    // PUT takes the whole document and returns it normalised.
    let mut document = day_one.clone();
    document["internal_domains"] = json!(["Zorg.Example", "@partner.example"]);
    document["branding"] = json!({"name": " Zorg Noord ", "color": "#AA3300", "logo_url": "https://zorg.example/logo.png"});
    document["notification_from"] = json!("veilig@zorg.example");
    document["content_filter"]["trigger_words"] =
        json!([{"word": " Uitslag ", "action": "force", "level": "2fa"}]);
    let response = put(&server, &admin, &document).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let saved: Value = response.json().await.unwrap();
    assert_eq!(
        saved["internal_domains"],
        json!(["zorg.example", "partner.example"])
    );
    assert_eq!(
        saved["branding"],
        json!({"name": "Zorg Noord", "color": "#aa3300", "logo_url": "https://zorg.example/logo.png"})
    );
    assert_eq!(
        saved["content_filter"]["trigger_words"][0]["word"],
        "Uitslag"
    );
    let again: Value = get(&server, &admin, "/api/v1/admin/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, saved, "GET returns what PUT saved");

    // PUT needs every field; PATCH changes only what it names, null clears an optional field.
    let mut partial = saved.clone();
    partial.as_object_mut().unwrap().remove("languages");
    let (status, body) = outcome(put(&server, &admin, &partial).await).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("languages"))
    );
    let patched: Value = patch(
        &server,
        &admin,
        &json!({"expiry_days": {"default": 7}, "max_downloads_default": 3}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(patched["expiry_days"], json!({"default": 7, "max": 14}));
    assert_eq!(patched["max_downloads_default"], 3);
    assert_eq!(
        patched["internal_domains"], saved["internal_domains"],
        "untouched fields stay"
    );
    let cleared: Value = patch(
        &server,
        &admin,
        &json!({"max_downloads_default": null, "branding": {"logo_url": null}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            &cleared["max_downloads_default"],
            &cleared["branding"]["logo_url"]
        ),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(cleared["branding"]["name"], "Zorg Noord");

    // A stale If-Match is refused; the right one is accepted.
    let stale = server
        .client
        .patch(url(&server, "/api/v1/admin/settings"))
        .bearer_auth(&admin)
        .header("if-match", "\"1\"")
        .json(&json!({"hide_subject": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let fresh = server
        .client
        .patch(url(&server, "/api/v1/admin/settings"))
        .bearer_auth(&admin)
        .header("if-match", "\"3\"")
        .json(&json!({"hide_subject": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    assert_eq!(fresh.headers()["etag"], "\"4\"");

    // Every version is kept with who and when, and every change is audited.
    let versions: Value = get(&server, &admin, "/api/v1/admin/settings/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions["current"], 4);
    let list = versions["versions"].as_array().unwrap();
    assert_eq!(
        list.iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [4, 3, 2, 1]
    );
    assert!(list.iter().all(
        |v| v["changed_by"] == "admin:ciso@zorg.example" && v["changed_at"].as_str().is_some()
    ));
    let first: Value = get(&server, &admin, "/api/v1/admin/settings/versions/1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["settings"], saved);
    assert_eq!(
        get(&server, &admin, "/api/v1/admin/settings/versions/5")
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&server, &admin, "/api/v1/admin/settings/versions/x")
            .await
            .status(),
        404
    );
    assert_eq!(audit_count(&server, "settings.changed").await, 4);
    // Refused changes store nothing.
    assert_eq!(
        patch(&server, &admin, &json!({"allow_1fa": "no"}))
            .await
            .status(),
        422
    );
    assert_eq!(audit_count(&server, "settings.changed").await, 4);
    let malformed = server
        .client
        .put(url(&server, "/api/v1/admin/settings"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}
on_both!(settings_round_trip, round_trip);

async fn validation(server: TestServer) {
    let admin = admin_token(&server, "ciso@zorg.example").await;
    let cases = [
        (
            json!({"internal_domains": ["zorg.example", "not a domain"]}),
            "internal_domains[1]",
        ),
        (
            json!({"internal_domains": "zorg.example"}),
            "internal_domains",
        ),
        (json!({"external_only": "yes"}), "external_only"),
        (json!({"expiry_days": {"max": 15}}), "expiry_days.max"),
        (json!({"expiry_days": {"max": 0}}), "expiry_days.max"),
        (
            json!({"expiry_days": {"default": 0}}),
            "expiry_days.default",
        ),
        (
            json!({"expiry_days": {"default": 10, "max": 7}}),
            "expiry_days.default",
        ),
        (json!({"expiry_days": {"days": 7}}), "expiry_days.days"),
        (json!({"max_downloads_default": 0}), "max_downloads_default"),
        (
            json!({"max_downloads_default": -2}),
            "max_downloads_default",
        ),
        (
            json!({"password_options": {"min_score": 2}}),
            "password_options.min_score",
        ),
        (
            json!({"password_options": {"min_score": 5}}),
            "password_options.min_score",
        ),
        (
            json!({"password_options": {"generated": false, "custom": false}}),
            "password_options",
        ),
        (
            json!({"password_options": {"custom": "no"}}),
            "password_options.custom",
        ),
        (json!({"allow_1fa": 1}), "allow_1fa"),
        (json!({"allow_deliver_other": null}), "allow_deliver_other"),
        (json!({"sms_default_country": "XX"}), "sms_default_country"),
        (json!({"sms_default_country": "NLD"}), "sms_default_country"),
        (json!({"languages": []}), "languages"),
        (json!({"languages": ["nl", "de"]}), "languages[1]"),
        (json!({"languages": ["en", "en"]}), "languages[1]"),
        (json!({"branding": {"name": ""}}), "branding.name"),
        (json!({"branding": {"color": "red"}}), "branding.color"),
        // White text on light yellow is 1.3:1, below WCAG AA's 4.5:1.
        (json!({"branding": {"color": "#ffe066"}}), "branding.color"),
        (
            json!({"branding": {"logo_url": "http://zorg.example/logo.png"}}),
            "branding.logo_url",
        ),
        (
            json!({"branding": {"logo_url": "javascript:alert(1)"}}),
            "branding.logo_url",
        ),
        (
            json!({"notification_from": "veilig@elders.example"}),
            "notification_from",
        ),
        (
            json!({"notification_from": "Zorg <veilig@zorg.example>"}),
            "notification_from",
        ),
        (json!({"hide_subject": "no"}), "hide_subject"),
        (
            json!({"content_filter": {"rules": [{"kind": "iban", "action": "auto", "level": "1fa"}, {"kind": "iban", "action": "force", "level": "2fa"}]}}),
            "content_filter.rules[1].kind",
        ),
        (
            json!({"content_filter": {"rules": [{"kind": "iban", "action": "explode", "level": "1fa"}]}}),
            "content_filter.rules[0].action",
        ),
        (
            json!({"content_filter": {"trigger_words": [{"word": " ", "action": "auto", "level": "1fa"}]}}),
            "content_filter.trigger_words[0].word",
        ),
        (
            json!({"content_filter": {"activation_words": [""]}}),
            "content_filter.activation_words[0]",
        ),
        (
            json!({"content_filter": {"warn_everyone": true}}),
            "content_filter.warn_everyone",
        ),
        (json!({"colour": "#ffffff"}), "colour"),
    ];
    for (patch_body, field) in cases {
        let (status, body) = outcome(patch(&server, &admin, &patch_body).await).await;
        assert_eq!(status, 422, "{patch_body} gave {body}");
        assert_eq!(body["error"]["code"], "invalid");
        assert_eq!(body["error"]["field"], field, "{patch_body} gave {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        audit_count(&server, "settings.changed").await,
        0,
        "nothing refused was stored"
    );

    // Beyond 14 days only when the operator allows it.
    zegel_server::admin::allow_expiry(&server.state, "zorg.example", 30)
        .await
        .unwrap();
    assert_eq!(
        patch(&server, &admin, &json!({"expiry_days": {"max": 30}}))
            .await
            .status(),
        200
    );
    let (status, body) =
        outcome(patch(&server, &admin, &json!({"expiry_days": {"max": 31}})).await).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("expiry_days.max"))
    );
    // Taking days away lowers what is in force at once.
    zegel_server::admin::allow_expiry(&server.state, "zorg.example", 10)
        .await
        .unwrap();
    let now: Value = get(&server, &admin, "/api/v1/admin/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["expiry_days"], json!({"default": 10, "max": 10}));
}
on_both!(settings_validation_names_every_field, validation);

/// Posts a message as `arts@zorg.example`; the status and body.
async fn send(server: &TestServer, meta: &Value) -> (u16, Value) {
    outcome(server.send(meta, &[("a.txt", b"inhoud".to_vec())]).await).await
}

async fn enforced(server: TestServer) {
    let admin = admin_token(&server, "ciso@zorg.example").await;
    let sender = server.token("arts@zorg.example").await;
    let sender_view = || async {
        get(&server, &sender, "/api/v1/settings")
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    let view = sender_view().await;
    assert_eq!(view["password_options"]["generated"], true);
    for hidden in [
        "content_filter",
        "rules",
        "trigger_words",
        "activation_words",
        "notification_from",
    ] {
        assert!(!view.to_string().contains(hidden), "{hidden} in {view}");
    }
    assert_eq!(
        get(&server, &admin, "/api/v1/settings").await.status(),
        200,
        "admins are senders too"
    );

    let generated = secure_message("jan@example.nl");
    let mut custom = generated.clone();
    custom["auth"] = json!({"level": "1fa", "password": {"custom": "kaas-fiets-Tulp-regen-97"}});
    let mut other = generated.clone();
    other["auth"]["deliver"] = json!("other");

    // The generated password hidden: the pane shows it, the API refuses it (also when implied).
    assert_eq!(
        patch(
            &server,
            &admin,
            &json!({"password_options": {"generated": false}})
        )
        .await
        .status(),
        200
    );
    assert_eq!(sender_view().await["password_options"]["generated"], false);
    let (status, body) = send(&server, &generated).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("auth.password")),
        "{body}"
    );
    let mut implied = generated.clone();
    implied["auth"] = json!({"level": "1fa"});
    assert_eq!(send(&server, &implied).await.0, 422);
    assert_eq!(send(&server, &custom).await.0, 201);

    // Custom passwords hidden.
    assert_eq!(
        patch(
            &server,
            &admin,
            &json!({"password_options": {"generated": true, "custom": false}})
        )
        .await
        .status(),
        200
    );
    assert_eq!(sender_view().await["password_options"]["custom"], false);
    let (status, body) = send(&server, &custom).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("auth.password"))
    );
    assert_eq!(send(&server, &generated).await.0, 201);

    // "Send via other" hidden.
    assert_eq!(
        patch(&server, &admin, &json!({"allow_deliver_other": false}))
            .await
            .status(),
        200
    );
    assert_eq!(sender_view().await["allow_deliver_other"], false);
    let (status, body) = send(&server, &other).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("auth.deliver"))
    );

    // 1FA hidden altogether: refused, never upgraded to 2FA behind the sender's back.
    assert_eq!(
        patch(&server, &admin, &json!({"allow_1fa": false}))
            .await
            .status(),
        200
    );
    assert_eq!(sender_view().await["allow_1fa"], false);
    let messages_before = server.count("messages").await;
    let (status, body) = send(&server, &generated).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("auth.level"))
    );
    assert_eq!(
        server.count("messages").await,
        messages_before,
        "a refused message stores nothing"
    );
    assert_eq!(
        patch(&server, &admin, &json!({"allow_1fa": true}))
            .await
            .status(),
        200
    );

    // Expiry: default from the settings, beyond the maximum refused; the download default applies.
    let body = json!({"expiry_days": {"default": 3, "max": 7}, "max_downloads_default": 2, "languages": ["en", "nl"]});
    assert_eq!(patch(&server, &admin, &body).await.status(), 200);
    let view = sender_view().await;
    assert_eq!(view["expiry_days"], json!({"default": 3, "max": 7}));
    assert_eq!(
        (&view["max_downloads_default"], &view["languages"]),
        (&json!(2), &json!(["en", "nl"]))
    );
    let mut long = generated.clone();
    long["expires_in_days"] = json!(8);
    let (status, body) = send(&server, &long).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("expires_in_days"))
    );
    let mut swedish = generated.clone();
    swedish["language"] = json!("sv");
    let (status, body) = send(&server, &swedish).await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("language")));
    let mut defaults = generated.clone();
    defaults.as_object_mut().unwrap().remove("language");
    let before = server.clock.now();
    let (status, created) = send(&server, &defaults).await;
    assert_eq!(status, 201, "{created}");
    let expires: jiff::Timestamp = created["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = expires.duration_since(before).as_secs_f64() / 3600.0;
    assert!(
        (hours - 72.0).abs() < 0.01,
        "the default of 3 days: {hours} hours"
    );
    let row = sqlx::query("SELECT max_downloads, language FROM messages WHERE id = $1")
        .bind(created["id"].as_str().unwrap())
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<Option<i64>, _>("max_downloads").unwrap(),
        Some(2)
    );
    assert_eq!(row.try_get::<String, _>("language").unwrap(), "en");

    // The content filter reads the tenant's internal domains and words.
    let scan = |body: Value| {
        let request = server
            .client
            .post(url(&server, "/api/v1/scan"))
            .bearer_auth(&sender)
            .json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let to_partner =
        json!({"body_text": "BSN 111222333", "recipients": [{"email": "arts@partner.example"}]});
    assert_eq!(
        scan(to_partner.clone()).await["decision"]["action"],
        "force"
    );
    let body = json!({"internal_domains": ["zorg.example", "partner.example"], "content_filter": {"activation_words": ["zegel-veilig"]}});
    assert_eq!(patch(&server, &admin, &body).await.status(), 200);
    assert_eq!(
        scan(to_partner).await["decision"]["action"],
        "allow",
        "partner.example is internal now"
    );
    let asked = scan(
        json!({"body_text": "graag [zegel-veilig]", "recipients": [{"email": "x@elders.example"}]}),
    )
    .await;
    assert_eq!(asked["decision"]["action"], "force");
    // Secure sending for colleagues too (seed 003).
    assert_eq!(
        patch(&server, &admin, &json!({"external_only": false}))
            .await
            .status(),
        200
    );
    let colleague = scan(
        json!({"body_text": "BSN 111222333", "recipients": [{"email": "collega@zorg.example"}]}),
    )
    .await;
    assert_eq!(colleague["decision"]["action"], "force");
}
on_both!(settings_are_enforced, enforced);

async fn notifications(server: TestServer) {
    let admin = admin_token(&server, "ciso@zorg.example").await;
    let body = json!({
        "notification_from": "veilig@zorg.example",
        "branding": {"name": "Zorg Noord", "color": "#aa3300"},
        "hide_subject": true,
        "support": {"name": "Servicedesk Zorg Noord", "email": "servicedesk@zorg.example", "phone": "+31 50 123 4567"},
        "privacy_url": "https://zorg.example/privacy"
    });
    assert_eq!(patch(&server, &admin, &body).await.status(), 200);
    assert_eq!(
        send(&server, &secure_message("jan@example.nl")).await.0,
        201
    );
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .find(|m| m.to == "jan@example.nl")
        .expect("a notification");
    assert_eq!(mail.from, "Zorg Noord <veilig@zorg.example>");
    assert_eq!(
        mail.subject, "Secure message",
        "the subject is hidden, and the mail named once"
    );
    assert!(!mail.text.contains("Dossier 42"), "{}", mail.text);
    let html = mail.html.unwrap();
    assert!(html.contains("Zorg Noord") && html.contains("#aa3300") && !html.contains("#0b6e4f"));
    // Whom to ask and the privacy statement, in the HTML and the plain text.
    for part in [&html, &mail.text] {
        assert!(
            part.contains("Contact Servicedesk Zorg Noord")
                && part.contains("servicedesk@zorg.example")
                && part.contains("+31 50 123 4567")
                && part.contains("https://zorg.example/privacy"),
            "{part}"
        );
    }
    // And on the recipient's page.
    let start = mail.text.find(&format!("{}/m/", server.base)).unwrap();
    let link = mail.text[start..].split_whitespace().next().unwrap();
    let landing = server
        .client
        .get(link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        landing.contains("id=\"support\"")
            && landing.contains("mailto:servicedesk@zorg.example")
            && landing.contains("href=\"https://zorg.example/privacy\""),
        "{landing}"
    );
    // The admin page's preview is the same rendering.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .post(url(&server, "/admin/login"))
        .header("origin", &server.base)
        .form(&[("token", admin.as_str())]);
    assert_eq!(login.send().await.unwrap().status(), 303);
    let preview = client
        .get(url(&server, "/admin/preview/en"))
        .send()
        .await
        .unwrap();
    let csp = preview.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !csp.contains("script") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    let preview = preview.text().await.unwrap();
    assert!(preview.contains("Zorg Noord") && preview.contains("#aa3300"));
}
on_both!(notifications_follow_the_settings, notifications);

async fn branding(server: TestServer) {
    let admin = admin_token(&server, "ciso@zorg.example").await;
    let body = json!({"branding": {"name": "Zorg Noord", "color": "#AA3300", "logo_url": "https://zorg.example/logo.png"}});
    assert_eq!(patch(&server, &admin, &body).await.status(), 200);
    assert_eq!(
        send(&server, &secure_message("jan@example.nl")).await.0,
        201
    );
    let link = server.link_for("jan@example.nl").await;
    let mail = server
        .mails()
        .into_iter()
        .find(|m| m.to == "jan@example.nl")
        .unwrap();
    assert!(
        mail.html
            .unwrap()
            .contains("<img src=\"https://zorg.example/logo.png\""),
        "the logo heads the e-mail"
    );
    // The recipient's pages carry the tenant's name and colour (through a stylesheet: the CSP forbids inline styles).
    let landing = server.client.get(&link).send().await.unwrap();
    let csp = landing.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: https://zorg.example;")
            && csp.contains("script-src 'self';")
            && !csp.contains("unsafe"),
        "{csp}"
    );
    let landing = landing.text().await.unwrap();
    assert!(
        landing.contains("Zorg Noord") && landing.contains("/static/brand.css?c=aa3300"),
        "{landing}"
    );
    assert!(
        landing.contains("<img class=\"logo\" src=\"https://zorg.example/logo.png\""),
        "{landing}"
    );
    // The password mail is branded too.
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    server.deliver().await;
    let password_mail = server
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == "jan@example.nl")
        .unwrap();
    let html = password_mail.html.unwrap();
    assert!(
        html.contains("Zorg Noord") && html.contains("#aa3300") && html.contains("logo.png"),
        "{html}"
    );
    let css = server
        .client
        .get(format!("{}/static/brand.css?c=aa3300", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("--green: #aa3300"));
    let hostile = server
        .client
        .get(format!("{}/static/brand.css?c=red;}}body{{x", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 404);
    // Unknown links belong to no tenant and look like Zegel.
    let unknown = server
        .client
        .get(format!("{}/m/{}", server.base, "A".repeat(43)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!unknown.contains("Zorg Noord") && !unknown.contains("brand.css"));
}
on_both!(portal_and_mails_carry_the_tenant_brand, branding);

async fn isolation(server: TestServer) {
    let admin_a = admin_token(&server, "ciso@zorg.example").await;
    let admin_b = admin_token(&server, "ciso@gemeente.example").await;
    let sender_b = server.token("ambtenaar@gemeente.example").await;
    for n in 0..3 {
        let body = json!({"branding": {"name": format!("Zorg Noord {n}")}, "hide_subject": true});
        assert_eq!(patch(&server, &admin_a, &body).await.status(), 200);
    }
    // B sees only its own settings and history; A's versions do not exist for B.
    let b: Value = get(&server, &admin_b, "/api/v1/admin/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["internal_domains"], json!(["gemeente.example"]));
    assert_eq!(b["branding"]["name"], "Tenant gemeente.example");
    assert_eq!(b["hide_subject"], false);
    let versions: Value = get(&server, &admin_b, "/api/v1/admin/settings/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions, json!({"current": 0, "versions": []}));
    for n in 1..=3 {
        let response = get(
            &server,
            &admin_b,
            &format!("/api/v1/admin/settings/versions/{n}"),
        )
        .await;
        assert_eq!(response.status(), 404);
        assert!(!response.text().await.unwrap().contains("Zorg Noord"));
    }
    let view: Value = get(&server, &sender_b, "/api/v1/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["branding"]["name"], "Tenant gemeente.example");
    // B's change does not touch A.
    assert_eq!(
        patch(&server, &admin_b, &json!({"allow_1fa": false}))
            .await
            .status(),
        200
    );
    let a: Value = get(&server, &admin_a, "/api/v1/admin/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&a["allow_1fa"], &a["branding"]["name"]),
        (&json!(true), &json!("Zorg Noord 2"))
    );
    // An admin of A is no admin of B, and a token bound to A's tenant cannot be replayed as B.
    let versions_a: Value = get(&server, &admin_a, "/api/v1/admin/settings/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions_a["current"], 3);

    // A message of A (with a remembered phone number): no route lets B's sender or admin read, count or
    // touch it. Each request carries a body the route accepts, so the answer is about ownership.
    let mut meta = secure_message("jan@example.nl");
    meta["recipients"][0]["phone"] = json!("0612345678");
    meta["auth"] = json!({"level": "2fa"});
    let (status, created) = send(&server, &meta).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let owner = server.token("arts@zorg.example").await;
    let found = server
        .client
        .get(url(&server, &format!("/api/v1/messages/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), 200, "the owner sees it");
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/api/v1/messages/{id}"), None),
        ("DELETE", format!("/api/v1/messages/{id}"), None),
        (
            "POST",
            format!("/api/v1/messages/{id}/block"),
            Some(json!({"target": "message"})),
        ),
        (
            "POST",
            format!("/api/v1/messages/{id}/block"),
            Some(json!({"target": "recipients"})),
        ),
        (
            "POST",
            format!("/api/v1/messages/{id}/unblock"),
            Some(json!({"target": "files"})),
        ),
        (
            "POST",
            format!("/api/v1/messages/{id}/phones"),
            Some(json!({"phones": {"jan@example.nl": "0612345678"}})),
        ),
        (
            "POST",
            format!("/api/v1/messages/{id}/unlock"),
            Some(json!({"email": "jan@example.nl"})),
        ),
    ];
    for token in [&sender_b, &admin_b] {
        for (method, path, body) in &routes {
            let mut request = match *method {
                "GET" => server.client.get(url(&server, path)),
                "DELETE" => server.client.delete(url(&server, path)),
                _ => server.client.post(url(&server, path)),
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.bearer_auth(token).send().await.unwrap();
            let status = response.status().as_u16();
            assert!(matches!(status, 403 | 404), "{method} {path} gave {status}");
            let text = response.text().await.unwrap();
            assert!(
                !text.contains("jan@example.nl")
                    && !text.contains("Dossier")
                    && !text.contains("678"),
                "{text}"
            );
        }
        // A's remembered number is A's: for B the address has none.
        let phone: Value = server
            .client
            .get(url(&server, "/api/v1/recipients/jan@example.nl/phone"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (&phone["known"], &phone["masked"]),
            (&json!(false), &Value::Null),
            "{phone}"
        );
        // Lists and exports of B hold nothing of A.
        for path in ["/api/v1/messages", "/api/v1/admin/audit"] {
            let response = server
                .client
                .get(url(&server, path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let text = response.text().await.unwrap();
            assert!(
                !text.contains(id)
                    && !text.contains("jan@example.nl")
                    && !text.contains("zorg.example"),
                "{path}: {text}"
            );
        }
    }
    // A's message is untouched by all that.
    let status: Value = server
        .client
        .get(url(&server, &format!("/api/v1/messages/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!status.to_string().contains("\"blocked\":true"), "{status}");
    let cookie_client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = cookie_client
        .post(url(&server, "/admin/login"))
        .header("origin", &server.base)
        .form(&[("token", admin_b.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let page = cookie_client
        .get(url(&server, "/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Tenant gemeente.example") && !page.contains("Zorg Noord"),
        "{page}"
    );
}
on_both!(tenants_are_isolated, isolation);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_page_signs_in_and_saves() {
    let server = TestServer::start_sqlite().await;
    let admin = admin_token(&server, "ciso@zorg.example").await;
    let sender = server.token("arts@zorg.example").await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = |token: String, origin: Option<String>| {
        let mut request = client
            .post(url(&server, "/admin/login"))
            .form(&[("token", token)]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    // Not signed in: the sign-in form, with a CSP that allows no script.
    let page = client.get(url(&server, "/admin")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script"),
        "{csp}"
    );
    assert!(page.text().await.unwrap().contains("name=\"token\""));
    assert_eq!(
        client
            .get(url(&server, "/admin/preview/nl"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Cross-site posts are refused; a sender's or a bad token does not sign in.
    assert_eq!(
        login(admin.clone(), Some("https://evil.example".into()))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(login(admin.clone(), None).await.unwrap().status(), 403);
    assert_eq!(
        login(sender, Some(server.base.clone()))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        login("zgl1.nope.nope".into(), Some(server.base.clone()))
            .await
            .unwrap()
            .status(),
        401
    );
    let signed = login(admin.clone(), Some(server.base.clone()))
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let page = client
        .get(url(&server, "/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Tenant zorg.example") && page.contains("name=\"expiry_max\""),
        "{page}"
    );
    for language in ["nl", "en", "sv"] {
        assert!(page.contains(&format!("/admin/preview/{language}")));
    }
    let preview = client
        .get(url(&server, "/admin/preview/sv"))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(preview.text().await.unwrap().contains("lang=\"sv\""));

    // Save the form as the page would send it: a validation error shows the field, then a good save.
    let mut form: Vec<(String, String)> = vec![
        ("version", "0"),
        ("internal_domains", "zorg.example"),
        ("external_only", "on"),
        ("expiry_default", "7"),
        ("expiry_max", "21"),
        ("max_downloads_default", ""),
        ("pw_generated", "on"),
        ("min_score", "4"),
        ("allow_1fa", "on"),
        ("sms_default_country", "se"),
        ("language", "nl"),
        ("language", "sv"),
        ("default_language", "sv"),
        ("brand_name", "Zorg Noord"),
        ("brand_color", "#123456"),
        ("logo_url", ""),
        ("notification_from", ""),
        ("rule_nl_bsn_action", "force"),
        ("rule_nl_bsn_level", "2fa"),
        ("activation_level", ""),
        ("trigger_words", "Uitslag | force | 2fa"),
        ("activation_words", "zegel-veilig"),
        // One upload-request template, and the page's empty row for a new one.
        ("tpl.0.name", "Scans"),
        ("tpl.0.nl", "Wilt u uw scans uploaden?"),
        ("tpl.0.sv", "Vill du ladda upp dina skanningar?"),
        ("tpl.0.en", "Would you upload your scans?"),
        ("tpl.0.type", "pdf"),
        ("tpl.0.type", "image"),
        ("replies_enabled", "on"),
        ("max_replies", "10"),
        ("web_send_outsiders", "to_organisation"),
        ("web_send_days", "30"),
        ("tpl.1.name", ""),
        ("tpl.1.nl", ""),
        ("tpl.1.sv", ""),
        ("tpl.1.en", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for kind in zegel_server::admin_page::form::RULE_KINDS.iter().skip(1) {
        form.push((format!("rule_{}_action", kind.as_str()), "allow".into()));
        form.push((format!("rule_{}_level", kind.as_str()), "1fa".into()));
    }
    let post = |form: Vec<(String, String)>, origin: &str| {
        client
            .post(url(&server, "/admin/settings"))
            .header("origin", origin)
            .form(&form)
            .send()
    };
    assert_eq!(
        post(form.clone(), "http://evil.example")
            .await
            .unwrap()
            .status(),
        403
    );
    let refused = post(form.clone(), &server.base).await.unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("id=\"expiry-error\">Kies hele dagen") && text.contains("value=\"21\""),
        "the error and the entered values: {text}"
    );
    form.iter_mut().find(|(k, _)| k == "expiry_max").unwrap().1 = "10".into();
    let saved = post(form, &server.base).await.unwrap();
    assert_eq!(saved.status(), 303);
    let settings: Value = get(&server, &admin, "/api/v1/admin/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["expiry_days"], json!({"default": 7, "max": 10}));
    assert_eq!(settings["languages"], json!(["sv", "nl"]));
    assert_eq!(
        settings["password_options"],
        json!({"generated": true, "custom": false, "min_score": 4})
    );
    assert_eq!(
        (
            &settings["allow_deliver_other"],
            &settings["sms_default_country"]
        ),
        (&json!(false), &json!("SE"))
    );
    assert_eq!(
        settings["content_filter"]["rules"],
        json!([{"kind": "nl_bsn", "action": "force", "level": "2fa"}])
    );
    assert_eq!(
        settings["content_filter"]["trigger_words"],
        json!([{"word": "Uitslag", "action": "force", "level": "2fa"}])
    );
    assert_eq!(
        settings["upload_request_templates"],
        json!([{"name": "Scans", "text": {"nl": "Wilt u uw scans uploaden?", "sv": "Vill du ladda upp dina skanningar?", "en": "Would you upload your scans?"}, "allowed_types": ["pdf", "image"]}])
    );
    let page = client
        .get(url(&server, "/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("value=\"Scans\"") && page.contains("name=\"tpl.1.name\""),
        "the template and a row for a new one"
    );
    assert!(
        page.contains("id=\"scanner-status\""),
        "the page says whether received files are scanned"
    );
    let versions: Value = get(&server, &admin, "/api/v1/admin/settings/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        versions["versions"][0]["changed_by"],
        "admin:ciso@zorg.example"
    );

    // Signing out forgets the cookie.
    let out = client
        .post(url(&server, "/admin/logout"))
        .header("origin", &server.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let page = client
        .get(url(&server, "/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"token\""));
}

async fn informal(server: TestServer) {
    let admin = admin_token(&server, "ciso@zorg.example").await;
    assert_eq!(
        patch(&server, &admin, &json!({"form_of_address": "je"}))
            .await
            .status(),
        200
    );
    let mut message = secure_message("jan@example.nl");
    message["language"] = json!("nl");
    assert_eq!(send(&server, &message).await.0, 201);
    server.deliver().await;
    let mail = server
        .mails()
        .into_iter()
        .find(|m| m.to == "jan@example.nl")
        .expect("a notification");
    assert!(
        mail.text.contains("heeft je het beveiligde bericht"),
        "{}",
        mail.text
    );
    let start = mail.text.find(&format!("{}/m/", server.base)).unwrap();
    let link = mail.text[start..].split_whitespace().next().unwrap();
    let landing = server.page(link).await;
    assert!(landing.contains("Stuur me het wachtwoord"), "{landing}");
    let (status, body) =
        outcome(patch(&server, &admin, &json!({"form_of_address": "jij"})).await).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("form_of_address"))
    );
}
on_both!(dutch_can_be_informal, informal);
