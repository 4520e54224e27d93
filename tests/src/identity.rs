//! A local OpenID Connect issuer standing in for Microsoft Entra ID: a discovery document and a JWKS on a
//! loopback port (keys shaped like Entra's: `x5t`, `x5c`, `issuer`, no `alg`), and version 2 access
//! tokens for Zegel's app registration as Office single sign-on hands them to an add-in (`aud` = the
//! client id, the user in `preferred_username`, `scp` = `access_as_user`). The keys are the throwaway
//! test keys of the server's API tests (`server/tests/api/fixtures/oidc_keys.json`).
//!
//! It also signs users in to a web app as Entra ID does for a browser with a signed-in session: the
//! authorization code flow with PKCE. `/oauth2/v2.0/authorize` redirects straight back to the
//! `redirect_uri` with a one-time `code` and the `state`, for the user [`TestIssuer::sign_in_as`] chose
//! (else the `login_hint`); `/oauth2/v2.0/token` redeems the code once, for the same client id and
//! redirect URI, only with the verifier of the S256 challenge (and the client secret, when
//! [`TestIssuer::require_client_secret`] set one), and answers with an ID token carrying the nonce.
//! [`TestIssuer::ask_to_pick_account`] makes the way back a link on the issuer's page, as Entra ID's
//! account picker is.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The client id of the tests' app registration.
pub const CLIENT_ID: &str = "3f8e2c1a-7b4d-4e9a-9c21-5d6f7a8b9c0d";
/// The scope Office single sign-on asks for.
pub const SCOPE: &str = "access_as_user";
/// The key the issuer signs with.
const KID: &str = "rsa-1";

fn keys() -> Value {
    serde_json::from_str(include_str!(
        "../../server/tests/api/fixtures/oidc_keys.json"
    ))
    .expect("the fixture keys parse")
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A JWT with `claims`, signed with the issuer's key as Entra ID signs (`kid`, `x5t`, RS256).
fn sign(claims: &Value) -> String {
    let der = base64::engine::general_purpose::STANDARD
        .decode(keys()[KID]["private_der"].as_str().unwrap())
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.to_owned());
    header.x5t = Some("dGVzdC14NXQ".to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_rsa_der(&der),
    )
    .expect("the token signs")
}

/// A code the authorization endpoint handed out, and what redeeming it must match.
struct Grant {
    email: String,
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
}

/// What the sign-in endpoints remember.
#[derive(Default)]
struct Sessions {
    /// The user the browser is signed in as, if the test chose one.
    signed_in: Option<String>,
    /// App roles per user (the `roles` claim).
    roles: HashMap<String, Vec<String>>,
    /// The client secret the token endpoint requires, if any.
    client_secret: Option<String>,
    /// Whether the authorization endpoint shows an account to pick instead of redirecting at once.
    pick_account: bool,
    /// Codes not yet redeemed.
    grants: HashMap<String, Grant>,
    /// How many codes were handed out (they are numbered, and unguessable enough for a test).
    issued: u64,
}

#[derive(Clone)]
struct Issuer {
    url: String,
    sessions: Arc<Mutex<Sessions>>,
}

/// The issuer, serving until dropped.
pub struct TestIssuer {
    /// The issuer URL (`iss`), `http://127.0.0.1:<port>`.
    pub url: String,
    jwks_fetches: Arc<AtomicUsize>,
    sessions: Arc<Mutex<Sessions>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestIssuer {
    /// Starts the issuer on a thread of its own (the tests' own runtimes may be busy or absent).
    pub fn start() -> Self {
        Self::start_as("127.0.0.1")
    }

    /// Starts the issuer as `http://localhost:<port>`: another site than Zegel's `127.0.0.1` to a
    /// browser, as Entra ID is, so SameSite cookies behave as they do in production.
    pub fn start_on_another_site() -> Self {
        Self::start_as("localhost")
    }

    fn start_as(host: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{host}:{}", listener.local_addr().unwrap().port());
        let mut jwk = keys()[KID]["jwk"].clone();
        let object = jwk.as_object_mut().unwrap();
        object.remove("alg");
        object.insert("use".into(), json!("sig"));
        object.insert("x5t".into(), json!("dGVzdC14NXQ"));
        object.insert("x5c".into(), json!(["TUlJQzhEQ0NBZGlnQXdJQkFnSVE="]));
        object.insert("issuer".into(), json!(url));
        let discovery = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/discovery/v2.0/keys"),
            "authorization_endpoint": format!("{url}/oauth2/v2.0/authorize"),
            "token_endpoint": format!("{url}/oauth2/v2.0/token"),
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let jwks = json!({ "keys": [jwk] });
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        let sessions = Arc::new(Mutex::new(Sessions::default()));
        let issuer = Issuer {
            url: url.clone(),
            sessions: sessions.clone(),
        };
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the issuer");
            runtime.block_on(async move {
                let app = axum::Router::new()
                    .route(
                        "/.well-known/openid-configuration",
                        axum::routing::get(move || async move { axum::Json(discovery) }),
                    )
                    .route(
                        "/discovery/v2.0/keys",
                        axum::routing::get(move || async move {
                            counter.fetch_add(1, Ordering::SeqCst);
                            axum::Json(jwks)
                        }),
                    )
                    .route("/oauth2/v2.0/authorize", axum::routing::get(authorize))
                    .route("/oauth2/v2.0/token", axum::routing::post(token))
                    .with_state(issuer);
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            url,
            jwks_fetches: fetches,
            sessions,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// How often Zegel fetched the keys.
    pub fn jwks_fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }

    /// The browser is signed in at the issuer as `email`: the authorization endpoint signs in this user,
    /// whatever the `login_hint` says.
    pub fn sign_in_as(&self, email: &str) {
        self.sessions.lock().unwrap().signed_in = Some(email.to_owned());
    }

    /// Gives `email` app roles (the `roles` claim of its ID tokens), as an Entra ID app role assignment.
    pub fn assign_roles(&self, email: &str, roles: &[&str]) {
        self.sessions.lock().unwrap().roles.insert(
            email.to_owned(),
            roles.iter().map(|r| (*r).to_owned()).collect(),
        );
    }

    /// The authorization endpoint shows Entra ID's "Pick an account" page (a link back for the signed-in
    /// user, `#account`) instead of redirecting at once: the way back then starts on the issuer's site.
    pub fn ask_to_pick_account(&self) {
        self.sessions.lock().unwrap().pick_account = true;
    }

    /// The token endpoint requires `secret` as `client_secret` (a confidential client).
    pub fn require_client_secret(&self, secret: &str) {
        self.sessions.lock().unwrap().client_secret = Some(secret.to_owned());
    }

    /// An access token for `email`, valid for an hour from now, as Office single sign-on returns it.
    pub fn access_token(&self, email: &str) -> String {
        let now = now_seconds();
        sign(&json!({
            "aud": CLIENT_ID, "iss": self.url, "iat": now - 5, "nbf": now - 5, "exp": now + 3600,
            "name": "Test User", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "preferred_username": email, "scp": SCOPE,
            // Office's own client id: Office asks Entra ID for the token on the add-in's behalf.
            "azp": "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e", "azpacr": "0",
            "tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "ver": "2.0",
        }))
    }
}

/// An OAuth error answer of the token endpoint.
fn token_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// `GET /oauth2/v2.0/authorize`: a browser with a signed-in session comes straight back with a code.
async fn authorize(
    State(issuer): State<Issuer>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    // Like Entra ID, an unknown client or a bad redirect URI is an error page, never a redirect.
    let Ok(mut back) = reqwest::Url::parse(get("redirect_uri")) else {
        return (StatusCode::BAD_REQUEST, "AADSTS50011: invalid redirect_uri").into_response();
    };
    if get("client_id") != CLIENT_ID {
        return (StatusCode::BAD_REQUEST, "AADSTS700016: unknown client_id").into_response();
    }
    let mut sessions = issuer.sessions.lock().unwrap();
    let user = sessions
        .signed_in
        .clone()
        .or_else(|| query.get("login_hint").cloned());
    let refusal = if get("response_type") != "code" {
        Some("unsupported_response_type")
    } else if !get("scope").split(' ').any(|s| s == "openid")
        || get("code_challenge_method") != "S256"
        || get("code_challenge").len() != 43
    {
        Some("invalid_request")
    } else if user.is_none() {
        Some("login_required")
    } else {
        None
    };
    match (refusal, user) {
        (None, Some(email)) => {
            sessions.issued += 1;
            let code = format!(
                "code-{}-{}",
                sessions.issued,
                URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{email}{}", now_seconds())))
            );
            sessions.grants.insert(
                code.clone(),
                Grant {
                    email,
                    client_id: get("client_id").to_owned(),
                    redirect_uri: get("redirect_uri").to_owned(),
                    code_challenge: get("code_challenge").to_owned(),
                    nonce: query.get("nonce").cloned(),
                },
            );
            back.query_pairs_mut().append_pair("code", &code);
        }
        (refusal, _) => {
            back.query_pairs_mut()
                .append_pair("error", refusal.unwrap_or("server_error"));
        }
    }
    if let Some(state) = query.get("state") {
        back.query_pairs_mut().append_pair("state", state);
    }
    if sessions.pick_account {
        let back = back.as_str().replace('&', "&amp;").replace('"', "&quot;");
        return axum::response::Html(format!(
            "<!doctype html><title>Pick an account</title><a id=\"account\" href=\"{back}\">Continue</a>"
        ))
        .into_response();
    }
    // Entra ID answers 302.
    (
        StatusCode::FOUND,
        [(axum::http::header::LOCATION, back.to_string())],
    )
        .into_response()
}

/// `POST /oauth2/v2.0/token`: a code, once, for the verifier of its challenge.
async fn token(
    State(issuer): State<Issuer>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if get("grant_type") != "authorization_code" {
        return token_error("unsupported_grant_type", "only authorization_code");
    }
    let mut sessions = issuer.sessions.lock().unwrap();
    if let Some(secret) = &sessions.client_secret
        && get("client_secret") != secret
    {
        return token_error(
            "invalid_client",
            "AADSTS7000218: client_secret is missing or wrong",
        );
    }
    // A code is redeemed at most once, whether this try succeeds or not.
    let Some(grant) = sessions.grants.remove(get("code")) else {
        return token_error("invalid_grant", "AADSTS70008: the code is unknown or used");
    };
    if grant.client_id != get("client_id") {
        return token_error("invalid_client", "the code was issued to another client");
    }
    if grant.redirect_uri != get("redirect_uri") {
        return token_error("invalid_grant", "AADSTS50148: redirect_uri differs");
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
    if challenge != grant.code_challenge {
        return token_error(
            "invalid_grant",
            "AADSTS501481: the code_verifier does not match",
        );
    }
    let now = now_seconds();
    let mut claims = json!({
        "aud": CLIENT_ID, "iss": issuer.url, "iat": now - 5, "nbf": now - 5, "exp": now + 3600,
        "name": "Test User", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(grant.email.as_bytes())),
        "preferred_username": grant.email, "email": grant.email,
        "tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "ver": "2.0",
    });
    if let Some(nonce) = grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    if let Some(roles) = sessions.roles.get(&grant.email) {
        claims["roles"] = json!(roles);
    }
    axum::Json(json!({
        "token_type": "Bearer",
        "scope": "openid profile email",
        "expires_in": 3600,
        "access_token": "an opaque access token for Microsoft Graph",
        "id_token": sign(&claims),
    }))
    .into_response()
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
