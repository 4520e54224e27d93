//! Sign-in with OpenID Connect against a test issuer on loopback: an axum server serving a discovery
//! document and a JWKS, signing tokens with fixed test keys (`fixtures/oidc_keys.json`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use zegel_store::Clock as _;

use crate::on_both;
use crate::support::TestServer;

const AUDIENCE: &str = "zegel-test-client";

fn keys() -> Value {
    serde_json::from_str(include_str!("fixtures/oidc_keys.json")).unwrap()
}

/// A test identity provider: discovery document and JWKS, and a count of JWKS fetches.
struct Issuer {
    url: String,
    jwks: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Issuer {
    async fn start(kids: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let all = keys();
        let jwks = Arc::new(Mutex::new(
            kids.iter()
                .map(|kid| all[*kid]["jwk"].clone())
                .collect::<Vec<_>>(),
        ));
        let fetches = Arc::new(AtomicUsize::new(0));
        let discovery = json!({"issuer": url, "jwks_uri": format!("{url}/keys"), "id_token_signing_alg_values_supported": ["RS256", "ES256"]});
        let (served, counter) = (jwks.clone(), fetches.clone());
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || async move { axum::Json(discovery) }),
            )
            .route(
                "/keys",
                axum::routing::get(move || async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let keys = served.lock().unwrap().clone();
                    axum::Json(json!({"keys": keys}))
                }),
            );
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            jwks,
            fetches,
            server,
        }
    }

    fn publish(&self, kids: &[&str]) {
        let all = keys();
        *self.jwks.lock().unwrap() = kids.iter().map(|kid| all[*kid]["jwk"].clone()).collect();
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Claims for `email`, valid now on the server's clock.
    fn claims(&self, server: &TestServer, email: &str) -> Value {
        let now = server.clock.now().as_second();
        json!({"iss": self.url, "aud": AUDIENCE, "sub": "u-1", "email": email, "iat": now, "nbf": now, "exp": now + 600})
    }
}

/// A signed token with key `kid` of the fixtures.
fn sign(kid: &str, claims: &Value) -> String {
    let key = &keys()[kid];
    let der = STANDARD
        .decode(key["private_der"].as_str().unwrap())
        .unwrap();
    let (alg, encoding) = if kid.starts_with("ec") {
        (Algorithm::ES256, EncodingKey::from_ec_der(&der))
    } else {
        (Algorithm::RS256, EncodingKey::from_rsa_der(&der))
    };
    let header = Header {
        kid: Some(kid.to_owned()),
        ..Header::new(alg)
    };
    jsonwebtoken::encode(&header, claims, &encoding).unwrap()
}

/// A token with a hand-made header and signature (for the attacks the library would never produce).
fn forge(header: &Value, claims: &Value, sign_with: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{head}.{body}");
    let signature = URL_SAFE_NO_PAD.encode(sign_with(input.as_bytes()));
    format!("{input}.{signature}")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HS256 as an attacker computes it, through jsonwebtoken's own HMAC signer.
    let signature =
        jsonwebtoken::crypto::sign(data, &EncodingKey::from_secret(key), Algorithm::HS256).unwrap();
    URL_SAFE_NO_PAD.decode(signature).unwrap()
}

/// `GET /api/v1/settings` with a bearer token; the status.
async fn status(server: &TestServer, token: &str) -> u16 {
    let response = server
        .client
        .get(format!("{}/api/v1/settings", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 401 {
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"zegel\""
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "unauthorized", "message": "authentication required"}}),
            "no detail"
        );
    }
    status
}

async fn trust(server: &TestServer, domain: &str, issuer: &str, audience: &str) {
    if zegel_store::tenants::tenant_for_domain(&server.state.db, domain)
        .await
        .unwrap()
        .is_none()
    {
        zegel_server::admin::add_tenant(
            &server.state,
            &format!("Tenant {domain}"),
            &[domain.to_owned()],
        )
        .await
        .unwrap();
    }
    let trust = zegel_server::admin::OidcTrust {
        domain: domain.to_owned(),
        issuer: issuer.to_owned(),
        audience: audience.to_owned(),
        user_claim: "email".to_owned(),
        admin_claim: Some("groups".to_owned()),
        admin_value: Some("zegel-admins".to_owned()),
        scope: None,
    };
    zegel_server::admin::oidc_set(&server.state, &trust)
        .await
        .unwrap();
}

async fn tokens(server: TestServer) {
    let issuer = Issuer::start(&["rsa-1", "ec-1"]).await;
    trust(&server, "zorg.example", &issuer.url, AUDIENCE).await;
    let users_before = server.count("users").await;

    // Valid: RS256 and ES256; the user is created on first sight, as a sender.
    let claims = issuer.claims(&server, "Arts@Zorg.Example");
    assert_eq!(status(&server, &sign("rsa-1", &claims)).await, 200);
    assert_eq!(status(&server, &sign("ec-1", &claims)).await, 200);
    assert_eq!(server.count("users").await, users_before + 1);
    assert_eq!(issuer.fetches(), 1, "the keys are cached");
    let admin_url = format!("{}/api/v1/admin/settings", server.base);
    let as_sender = server
        .client
        .get(&admin_url)
        .bearer_auth(sign("rsa-1", &claims))
        .send()
        .await
        .unwrap();
    assert_eq!(as_sender.status(), 403);
    // The admin role comes from the configured group.
    let mut admin_claims = issuer.claims(&server, "ciso@zorg.example");
    admin_claims["groups"] = json!(["staff", "zegel-admins"]);
    let as_admin = server
        .client
        .get(&admin_url)
        .bearer_auth(sign("rsa-1", &admin_claims))
        .send()
        .await
        .unwrap();
    assert_eq!(as_admin.status(), 200);
    let patched = server
        .client
        .patch(&admin_url)
        .bearer_auth(sign("rsa-1", &admin_claims))
        .json(&json!({"hide_subject": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let versions: Value = server
        .client
        .get(format!("{admin_url}/versions"))
        .bearer_auth(sign("rsa-1", &admin_claims))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        versions["versions"][0]["changed_by"],
        "admin:ciso@zorg.example"
    );

    // Expired, not yet valid, wrong audience, wrong or missing issuer, no user claim.
    let now = server.clock.now().as_second();
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 3600);
    let mut early = claims.clone();
    early["nbf"] = json!(now + 3600);
    let mut audience = claims.clone();
    audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims.clone();
    wrong_issuer["iss"] = json!("https://idp.elders.example");
    let mut no_issuer = claims.clone();
    no_issuer.as_object_mut().unwrap().remove("iss");
    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut no_user = claims.clone();
    no_user.as_object_mut().unwrap().remove("email");
    let mut not_an_address = claims.clone();
    not_an_address["email"] = json!("arts");
    for (name, bad) in [
        ("expired", &expired),
        ("not yet valid", &early),
        ("wrong audience", &audience),
        ("wrong issuer", &wrong_issuer),
        ("no issuer", &no_issuer),
        ("no exp", &no_exp),
        ("no user claim", &no_user),
        ("not an address", &not_an_address),
    ] {
        assert_eq!(status(&server, &sign("rsa-1", bad)).await, 401, "{name}");
    }
    // Within the leeway is fine.
    let mut nearly = claims.clone();
    nearly["exp"] = json!(now - 30);
    assert_eq!(status(&server, &sign("rsa-1", &nearly)).await, 200);
    // A multi-valued audience that contains ours is fine.
    let mut audiences = claims.clone();
    audiences["aud"] = json!(["other", AUDIENCE]);
    assert_eq!(status(&server, &sign("rsa-1", &audiences)).await, 200);

    // Another issuer with its own keys is not trusted, even for the same users.
    let stranger = Issuer::start(&["rsa-2"]).await;
    let mut foreign = stranger.claims(&server, "arts@zorg.example");
    foreign["aud"] = json!(AUDIENCE);
    assert_eq!(status(&server, &sign("rsa-2", &foreign)).await, 401);
    assert_eq!(
        stranger.fetches(),
        0,
        "an untrusted issuer is never contacted"
    );
    // A trusted issuer's claims signed with a key it does not publish.
    let mut misattributed = Header::new(Algorithm::RS256);
    misattributed.kid = Some("rsa-1".into());
    let der = STANDARD
        .decode(keys()["rsa-2"]["private_der"].as_str().unwrap())
        .unwrap();
    let token =
        jsonwebtoken::encode(&misattributed, &claims, &EncodingKey::from_rsa_der(&der)).unwrap();
    assert_eq!(status(&server, &token).await, 401);
    // Tampered payload.
    let good = sign("rsa-1", &claims);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(json!({"email": "ciso@zorg.example", "groups": ["zegel-admins"], "iss": issuer.url, "aud": AUDIENCE, "exp": now + 600}).to_string());
    assert_eq!(status(&server, &parts.join(".")).await, 401);

    // alg "none" (unsigned) and HS256 signed with the RSA public key as the HMAC secret.
    let none = forge(
        &json!({"alg": "none", "typ": "JWT", "kid": "rsa-1"}),
        &claims,
        |_| Vec::new(),
    );
    assert_eq!(status(&server, &none).await, 401);
    let none_upper = forge(&json!({"alg": "None", "kid": "rsa-1"}), &claims, |_| {
        Vec::new()
    });
    assert_eq!(status(&server, &none_upper).await, 401);
    for secret in [
        keys()["rsa-1"]["public_pem"]
            .as_str()
            .unwrap()
            .as_bytes()
            .to_vec(),
        URL_SAFE_NO_PAD
            .decode(keys()["rsa-1"]["jwk"]["n"].as_str().unwrap())
            .unwrap(),
    ] {
        let confused = forge(
            &json!({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}),
            &claims,
            |input| hmac_sha256(&secret, input),
        );
        assert_eq!(status(&server, &confused).await, 401);
        let no_kid = forge(&json!({"alg": "HS256", "typ": "JWT"}), &claims, |input| {
            hmac_sha256(&secret, input)
        });
        assert_eq!(status(&server, &no_kid).await, 401);
    }
    // The EC key used with an RSA algorithm, and garbage.
    let mut wrong_family = Header::new(Algorithm::RS256);
    wrong_family.kid = Some("ec-1".into());
    let der = STANDARD
        .decode(keys()["rsa-1"]["private_der"].as_str().unwrap())
        .unwrap();
    let token =
        jsonwebtoken::encode(&wrong_family, &claims, &EncodingKey::from_rsa_der(&der)).unwrap();
    assert_eq!(status(&server, &token).await, 401);
    for garbage in ["eyJ", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30."] {
        assert_eq!(status(&server, garbage).await, 401, "{garbage}");
    }
    assert_eq!(
        server.count("users").await,
        users_before + 2,
        "only the two real users were created"
    );
}
on_both!(oidc_tokens, tokens);

async fn rotation(server: TestServer) {
    let issuer = Issuer::start(&["rsa-1"]).await;
    trust(&server, "zorg.example", &issuer.url, AUDIENCE).await;
    let claims = issuer.claims(&server, "arts@zorg.example");
    assert_eq!(status(&server, &sign("rsa-1", &claims)).await, 200);
    assert_eq!(issuer.fetches(), 1);

    // The issuer rotates to a new key. A token with the unknown key id makes the server fetch again…
    issuer.publish(&["rsa-1", "rsa-2"]);
    server.clock.advance(jiff::SignedDuration::from_secs(61));
    let claims = issuer.claims(&server, "arts@zorg.example");
    assert_eq!(status(&server, &sign("rsa-2", &claims)).await, 200);
    assert_eq!(issuer.fetches(), 2);
    // …but at most once a minute, however many unknown key ids arrive: until then a new key fails and a
    // withdrawn one still works.
    issuer.publish(&["rsa-2", "ec-1"]);
    for _ in 0..5 {
        assert_eq!(status(&server, &sign("ec-1", &claims)).await, 401);
    }
    assert_eq!(
        issuer.fetches(),
        2,
        "no fetch within a minute of the last one"
    );
    assert_eq!(status(&server, &sign("rsa-1", &claims)).await, 200);
    server.clock.advance(jiff::SignedDuration::from_secs(61));
    let claims = issuer.claims(&server, "arts@zorg.example");
    assert_eq!(status(&server, &sign("ec-1", &claims)).await, 200);
    assert_eq!(issuer.fetches(), 3);
    assert_eq!(
        status(&server, &sign("rsa-1", &claims)).await,
        401,
        "rsa-1 was withdrawn with that fetch"
    );
    assert_eq!(status(&server, &sign("rsa-2", &claims)).await, 200);
    assert_eq!(issuer.fetches(), 3, "known keys need no fetch");

    // A day later the keys are fetched again even for a known key id, so withdrawn keys stop working.
    issuer.publish(&["ec-1"]);
    server.clock.advance(jiff::SignedDuration::from_hours(25));
    let claims = issuer.claims(&server, "arts@zorg.example");
    assert_eq!(status(&server, &sign("rsa-2", &claims)).await, 401);
    assert_eq!(issuer.fetches(), 4);
}
on_both!(oidc_key_rotation, rotation);

async fn isolation(server: TestServer) {
    let issuer = Issuer::start(&["rsa-1"]).await;
    trust(&server, "zorg.example", &issuer.url, AUDIENCE).await;
    trust(&server, "gemeente.example", &issuer.url, "gemeente-client").await;
    zegel_server::admin::add_tenant(&server.state, "Elders", &["elders.example".to_owned()])
        .await
        .unwrap();
    let users_before = server.count("users").await;

    // Each tenant's audience signs in only its own domains' users.
    let zorg = issuer.claims(&server, "arts@zorg.example");
    assert_eq!(status(&server, &sign("rsa-1", &zorg)).await, 200);
    let mut gemeente = issuer.claims(&server, "ambtenaar@gemeente.example");
    gemeente["aud"] = json!("gemeente-client");
    assert_eq!(status(&server, &sign("rsa-1", &gemeente)).await, 200);
    let mut crossed = issuer.claims(&server, "ambtenaar@gemeente.example");
    crossed["aud"] = json!(AUDIENCE);
    assert_eq!(
        status(&server, &sign("rsa-1", &crossed)).await,
        401,
        "zorg's audience cannot sign in gemeente's users"
    );
    // A tenant that does not trust the issuer, and a domain no tenant owns.
    for email in ["iemand@elders.example", "iemand@nergens.example"] {
        assert_eq!(
            status(&server, &sign("rsa-1", &issuer.claims(&server, email))).await,
            401,
            "{email}"
        );
    }
    assert_eq!(server.count("users").await, users_before + 2);

    // An admin group in one tenant's token gives no rights in the other.
    let mut admin = issuer.claims(&server, "ciso@zorg.example");
    admin["groups"] = json!("zegel-admins");
    let token = sign("rsa-1", &admin);
    let settings: Value = server
        .client
        .get(format!("{}/api/v1/admin/settings", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["internal_domains"], json!(["zorg.example"]));

    // Removing the trust ends the sign-in.
    zegel_server::admin::oidc_remove(&server.state, "zorg.example", &issuer.url)
        .await
        .unwrap();
    assert_eq!(status(&server, &sign("rsa-1", &zorg)).await, 401);
    assert_eq!(status(&server, &sign("rsa-1", &gemeente)).await, 200);
    let listed = zegel_server::admin::oidc_list(&server.state, "gemeente.example")
        .await
        .unwrap();
    assert_eq!(
        listed,
        [format!(
            "{} audience=gemeente-client user-claim=email admin=groups:zegel-admins",
            issuer.url
        )]
    );
}
on_both!(oidc_tenants_are_isolated, isolation);

#[tokio::test]
async fn issuers_must_use_https() {
    let server = TestServer::start_sqlite().await;
    zegel_server::admin::add_tenant(&server.state, "Zorg", &["zorg.example".to_owned()])
        .await
        .unwrap();
    let trust = zegel_server::admin::OidcTrust {
        domain: "zorg.example".into(),
        issuer: "http://idp.zorg.example".into(),
        audience: AUDIENCE.into(),
        user_claim: "email".into(),
        admin_claim: None,
        admin_value: None,
        scope: None,
    };
    let error = zegel_server::admin::oidc_set(&server.state, &trust)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("https"), "{error}");
}

/// The Entra ID app registration of the tests' Office single sign-on.
const CLIENT_ID: &str = "3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d";

/// Office single sign-on as Entra ID does it: a JWKS whose keys carry Entra's extra members (`x5t`,
/// `x5c`, `issuer`, no `alg`), version 2 access tokens with the client id as audience, the user in
/// `preferred_username` and the `access_as_user` scope in `scp`. With `--scope access_as_user` an ID token
/// of the same app (no `scp`) or a token for another scope does not sign in.
async fn office_sso(server: TestServer) {
    let issuer = Issuer::start(&["rsa-1"]).await;
    let mut entra_key = keys()["rsa-1"]["jwk"].clone();
    entra_key.as_object_mut().unwrap().remove("alg");
    entra_key["x5t"] = json!("bW9jay14NXQ");
    entra_key["x5c"] = json!(["TUlJQzhEQ0NBZGlnQXdJQkFnSVE="]);
    entra_key["issuer"] = json!(issuer.url);
    entra_key["use"] = json!("sig");
    *issuer.jwks.lock().unwrap() = vec![entra_key];
    zegel_server::admin::add_tenant(&server.state, "Zorg", &["zorg.example".to_owned()])
        .await
        .unwrap();
    let trust = zegel_server::admin::OidcTrust {
        domain: "zorg.example".into(),
        issuer: issuer.url.clone(),
        audience: CLIENT_ID.into(),
        user_claim: "preferred_username".into(),
        admin_claim: None,
        admin_value: None,
        scope: Some("access_as_user".into()),
    };
    zegel_server::admin::oidc_set(&server.state, &trust)
        .await
        .unwrap();
    assert_eq!(
        zegel_server::admin::oidc_list(&server.state, "zorg.example")
            .await
            .unwrap(),
        [format!(
            "{} audience={CLIENT_ID} user-claim=preferred_username scope=access_as_user",
            issuer.url
        )]
    );
    let now = server.clock.now().as_second();
    let access = json!({
        "aud": CLIENT_ID, "iss": issuer.url, "iat": now, "nbf": now, "exp": now + 3600,
        "name": "Anna Arts", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "preferred_username": "Anna@Zorg.Example", "scp": "access_as_user",
        "azp": "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e", "azpacr": "0",
        "tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "ver": "2.0", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    });
    let with_x5t = |claims: &Value| {
        let key = &keys()["rsa-1"];
        let der = STANDARD
            .decode(key["private_der"].as_str().unwrap())
            .unwrap();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rsa-1".into());
        header.x5t = Some("bW9jay14NXQ".into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
    };
    assert_eq!(status(&server, &with_x5t(&access)).await, 200);
    let users = server.count("users").await;
    // Scopes as a list, or among others, are fine too.
    let mut listed = access.clone();
    listed["scp"] = json!(["openid", "access_as_user"]);
    assert_eq!(status(&server, &with_x5t(&listed)).await, 200);
    let mut among = access.clone();
    among["scp"] = json!("profile access_as_user openid");
    assert_eq!(status(&server, &with_x5t(&among)).await, 200);
    assert_eq!(server.count("users").await, users, "the same user");

    // An ID token of the same app, a token for another scope, a scope that only starts the same way,
    // the Application ID URI as audience (a version 1 token, which needs a trust of its own), and a
    // user of another domain.
    let mut id_token = access.clone();
    id_token.as_object_mut().unwrap().remove("scp");
    let mut other_scope = access.clone();
    other_scope["scp"] = json!("Files.Read");
    let mut prefix = access.clone();
    prefix["scp"] = json!("access_as_user_not");
    let mut app_id_uri = access.clone();
    app_id_uri["aud"] = json!(format!("api://zegel.zorg.example/{CLIENT_ID}"));
    let mut stranger = access.clone();
    stranger["preferred_username"] = json!("iemand@elders.example");
    for (name, bad) in [
        ("ID token", &id_token),
        ("other scope", &other_scope),
        ("scope prefix", &prefix),
        ("Application ID URI", &app_id_uri),
        ("foreign user", &stranger),
    ] {
        assert_eq!(status(&server, &with_x5t(bad)).await, 401, "{name}");
    }
    // The scope is one word.
    let mut spaced = trust.clone();
    spaced.scope = Some("access_as_user openid".into());
    let error = zegel_server::admin::oidc_set(&server.state, &spaced)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("--scope"), "{error}");
}
on_both!(oidc_office_single_sign_on, office_sso);

/// `GET /api/v1/policy?domain=`: what the on-send check learns without a sign-in.
async fn policy_hint(server: TestServer) {
    zegel_server::admin::add_tenant(&server.state, "Zorg", &["zorg.example".to_owned()])
        .await
        .unwrap();
    zegel_server::admin::add_tenant(&server.state, "Gemeente", &["gemeente.example".to_owned()])
        .await
        .unwrap();
    // The gemeente's filter only notifies.
    let gemeente = zegel_store::tenants::tenant_for_domain(&server.state.db, "gemeente.example")
        .await
        .unwrap()
        .unwrap();
    let admin = zegel_store::tenants::ensure_user(
        &server.state.db,
        &gemeente.id,
        "ciso@gemeente.example",
        server.state.now_ms(),
    )
    .await
    .unwrap();
    zegel_server::admin::grant(&server.state, &admin.email, "admin")
        .await
        .unwrap();
    let token = zegel_service::auth::issue_token(&server.state, &admin, 1);
    let patched = server
        .client
        .patch(format!("{}/api/v1/admin/settings", server.base))
        .bearer_auth(&token)
        .json(&json!({"content_filter": {"rules": []}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());

    let ask = |query: &'static str| {
        let (client, base) = (server.client.clone(), server.base.clone());
        async move {
            let response = client
                .get(format!("{base}/api/v1/policy{query}"))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // The day-one policy forces 2FA for a BSN.
    assert_eq!(
        ask("?domain=zorg.example").await,
        (200, json!({"policy_forces": true}))
    );
    assert_eq!(
        ask("?domain=%40Zorg.Example").await,
        (200, json!({"policy_forces": true}))
    );
    assert_eq!(
        ask("?domain=gemeente.example").await,
        (200, json!({"policy_forces": false}))
    );
    // A domain no tenant owns answers like a tenant that never forces.
    assert_eq!(
        ask("?domain=nergens.example").await,
        (200, json!({"policy_forces": false}))
    );
    for bad in ["", "?domain=", "?domain=not%20a%20domain"] {
        let (status, body) = ask(bad).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(body["error"]["field"], "domain", "{bad}");
    }
}
on_both!(policy_hint_without_sign_in, policy_hint);

/// The manifest names the app registration when `ZEGEL_ADDIN_CLIENT_ID` is set, and classic Outlook finds
/// the one script allowed to ask for tokens.
#[tokio::test]
async fn the_manifest_carries_web_application_info_from_the_configuration() {
    let server = TestServer::start_with(None, &[("ZEGEL_ADDIN_CLIENT_ID", CLIENT_ID)]).await;
    let xml = server
        .client
        .get(format!("{}/addin/manifest.xml", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(addin_manifest::rules::check(&xml), Vec::<String>::new());
    let authority = server.base.trim_start_matches("http://");
    assert!(
        xml.contains(&format!(
            "<Id>{CLIENT_ID}</Id>\n        <Resource>api://{authority}/{CLIENT_ID}</Resource>"
        )),
        "{xml}"
    );
    let allowed: Value = server
        .client
        .get(format!(
            "{}/.well-known/microsoft-officeaddins-allowed.json",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        allowed,
        json!({"allowed": [format!("{}/addin/launchevent.js", server.base)]})
    );
    // Without a client id the manifest has no single sign-on.
    let plain = TestServer::start_sqlite().await;
    let xml = plain
        .client
        .get(format!("{}/addin/manifest.xml", plain.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!xml.contains("WebApplicationInfo>"));
}

/// An admin's sign-in in progress (`/admin/oidc/start` to the callback) is stored only hashed, taken at
/// most once, and not after ten minutes; a new one forgets those that ended unused.
async fn admin_sign_in_flows(server: TestServer) {
    use zegel_store::admin_oidc_flows::{self, AdminOidcFlow, FLOW_TTL_MS};
    server.token("ciso@zorg.example").await;
    let db = &server.state.db;
    let tenant = zegel_store::tenants::tenant_for_domain(db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let now = server.clock.now().as_millisecond();
    let flow = |state: &str, at: i64| AdminOidcFlow {
        state_hash: zegel_crypto::hash_token(state).to_vec(),
        verifier_hash: zegel_crypto::hash_token("the browser's verifier").to_vec(),
        nonce_hash: zegel_crypto::hash_token("the nonce").to_vec(),
        tenant_id: tenant.id.clone(),
        issuer: "https://idp.example/v2.0".into(),
        expires_at: at + FLOW_TTL_MS,
    };
    for state in ["a", "b"] {
        admin_oidc_flows::create(db, &flow(state, now), now)
            .await
            .unwrap();
    }
    let take = |state: &'static str, at: i64| async move {
        admin_oidc_flows::take(db, &zegel_crypto::hash_token(state), at)
            .await
            .unwrap()
    };
    assert_eq!(take("a", now).await, Some(flow("a", now)));
    assert_eq!(take("a", now).await, None, "used once");
    assert_eq!(take("b", now + FLOW_TTL_MS).await, None, "ten minutes");
    assert_eq!(server.count("admin_oidc_flows").await, 0);
    admin_oidc_flows::create(db, &flow("c", now), now)
        .await
        .unwrap();
    let later = now + FLOW_TTL_MS;
    admin_oidc_flows::create(db, &flow("d", later), later)
        .await
        .unwrap();
    assert_eq!(server.count("admin_oidc_flows").await, 1, "c is forgotten");
    assert!(take("d", later).await.is_some());
}
on_both!(admin_sign_in_flows_are_used_once, admin_sign_in_flows);

/// The ID token of an admin's sign-in is checked as bearer tokens are, with the client id as audience
/// and the flow's nonce; a trust's `--scope` is not asked of it.
async fn id_tokens_of_the_code_flow(server: TestServer) {
    use zegel_service::ServiceError;
    use zegel_service::oidc::authenticate_id_token;
    let issuer = Issuer::start(&["rsa-1"]).await;
    trust(&server, "zorg.example", &issuer.url, AUDIENCE).await;
    let mut trusted = zegel_store::oidc::for_issuer(&server.state.db, &issuer.url)
        .await
        .unwrap()
        .remove(0);
    trusted.required_scope = Some("access_as_user".to_owned());
    let nonce = zegel_crypto::hash_token("the flow's nonce");
    let with = |changes: Value| {
        let mut claims = issuer.claims(&server, "hoofd@zorg.example");
        claims["nonce"] = json!("the flow's nonce");
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        sign("rsa-1", &claims)
    };
    let user = authenticate_id_token(&server.state, &with(json!({})), &trusted, &nonce)
        .await
        .unwrap();
    assert_eq!(
        (user.email.as_str(), user.role.as_str()),
        ("hoofd@zorg.example", "sender")
    );
    let admin = with(json!({"groups": ["zegel-admins"]}));
    let user = authenticate_id_token(&server.state, &admin, &trusted, &nonce)
        .await
        .unwrap();
    assert_eq!(user.role, "admin", "the trust's admin claim");
    let now = server.clock.now().as_second();
    for (why, changes) in [
        ("another nonce", json!({"nonce": "someone else's"})),
        ("no nonce", json!({"nonce": null})),
        ("another audience", json!({"aud": "another-app"})),
        ("another issuer", json!({"iss": "http://127.0.0.1:1"})),
        ("expired", json!({"exp": now - 3600})),
        (
            "another tenant's user",
            json!({"email": "iemand@elders.example"}),
        ),
    ] {
        let refused = authenticate_id_token(&server.state, &with(changes), &trusted, &nonce).await;
        assert!(
            matches!(refused, Err(ServiceError::Unauthorized)),
            "{why}: {refused:?}"
        );
    }
}
on_both!(
    oidc_id_tokens_of_the_admin_sign_in,
    id_tokens_of_the_code_flow
);
