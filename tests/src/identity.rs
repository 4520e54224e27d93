//! A local OpenID Connect issuer standing in for Microsoft Entra ID: a discovery document and a JWKS on a
//! loopback port (keys shaped like Entra's: `x5t`, `x5c`, `issuer`, no `alg`), and version 2 access
//! tokens for Zegel's app registration as Office single sign-on hands them to an add-in (`aud` = the
//! client id, the user in `preferred_username`, `scp` = `access_as_user`). The keys are the throwaway
//! test keys of the server's API tests (`server/tests/api/fixtures/oidc_keys.json`).

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use serde_json::{Value, json};

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

/// The issuer, serving until dropped.
pub struct TestIssuer {
    /// The issuer URL (`iss`), `http://127.0.0.1:<port>`.
    pub url: String,
    jwks_fetches: Arc<AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestIssuer {
    /// Starts the issuer on a thread of its own (the tests' own runtimes may be busy or absent).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
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
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let jwks = json!({ "keys": [jwk] });
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
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
                    );
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
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// How often Zegel fetched the keys.
    pub fn jwks_fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }

    /// An access token for `email`, valid for an hour from now, as Office single sign-on returns it.
    pub fn access_token(&self, email: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let claims = json!({
            "aud": CLIENT_ID, "iss": self.url, "iat": now - 5, "nbf": now - 5, "exp": now + 3600,
            "name": "Test User", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "preferred_username": email, "scp": SCOPE,
            // Office's own client id: Office asks Entra ID for the token on the add-in's behalf.
            "azp": "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e", "azpacr": "0",
            "tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "ver": "2.0",
        });
        let der = base64::engine::general_purpose::STANDARD
            .decode(keys()[KID]["private_der"].as_str().unwrap())
            .unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(KID.to_owned());
        header.x5t = Some("dGVzdC14NXQ".to_owned());
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_rsa_der(&der),
        )
        .expect("the token signs")
    }
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
