//! The issuer over HTTP: its discovery document, its signing keys (cached, fetched again for an unknown
//! key id but at most once per [`MIN_REFRESH_MS`], and after [`MAX_KEY_AGE_MS`]), its sign-in endpoints,
//! and the redemption of an authorization code. One client for all of it: no redirects followed, a
//! connect and a total timeout, documents read up to [`MAX_DOCUMENT_BYTES`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use serde_json::Value;

use super::{MAX_KEY_AGE_MS, MIN_REFRESH_MS, check_issuer_url};

/// The largest discovery document, JWKS or token answer read.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, Default)]
struct CachedKeys {
    keys: Vec<Jwk>,
    fetched_at: Option<i64>,
    attempted_at: Option<i64>,
}

/// The issuers' signing keys, fetched on demand and cached in memory (per server instance).
#[derive(Debug)]
pub struct OidcKeys {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, CachedKeys>>,
    /// The issuers' sign-in endpoints and when they were read.
    endpoints: Mutex<HashMap<String, (Endpoints, i64)>>,
    /// One fetch at a time, so a burst of tokens with a new key id fetches once.
    refreshing: tokio::sync::Mutex<()>,
}

impl Default for OidcKeys {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

/// Where an issuer signs users in: the endpoints of the authorization code flow, from its discovery
/// document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Where the browser is sent to sign in (`authorization_endpoint`).
    pub authorization: String,
    /// Where the server exchanges the code for tokens (`token_endpoint`).
    pub token: String,
}

impl OidcKeys {
    /// An empty cache with an HTTP client that follows no redirects and gives up after 10 seconds.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client builds");
        Self {
            http,
            cache: Mutex::default(),
            endpoints: Mutex::default(),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, issuer: &str, kid: Option<&str>, now: i64) -> (Option<Jwk>, bool) {
        let cache = self.cache.lock().expect("key cache lock poisoned");
        let Some(entry) = cache.get(issuer) else {
            return (None, true);
        };
        let stale = entry.fetched_at.is_none_or(|at| now - at > MAX_KEY_AGE_MS);
        let may_refresh = entry
            .attempted_at
            .is_none_or(|at| now - at >= MIN_REFRESH_MS);
        (find_key(&entry.keys, kid), stale && may_refresh)
    }

    /// The key `kid` of `issuer` (or its only key when the token names none).
    pub(super) async fn key(&self, issuer: &str, kid: Option<&str>, now: i64) -> Option<Jwk> {
        if let (Some(key), false) = self.cached(issuer, kid, now) {
            return Some(key);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        // Someone else may have fetched while we waited.
        let (found, stale) = self.cached(issuer, kid, now);
        if found.is_some() && !stale {
            return found;
        }
        let may_fetch = {
            let mut cache = self.cache.lock().expect("key cache lock poisoned");
            let entry = cache.entry(issuer.to_owned()).or_default();
            let may = entry
                .attempted_at
                .is_none_or(|at| now - at >= MIN_REFRESH_MS);
            if may {
                entry.attempted_at = Some(now);
            }
            may
        };
        if !may_fetch {
            return found;
        }
        match self.fetch(issuer).await {
            Ok(keys) => {
                tracing::info!(
                    issuer,
                    keys = keys.len(),
                    "fetched the issuer's signing keys"
                );
                let mut cache = self.cache.lock().expect("key cache lock poisoned");
                let entry = cache.entry(issuer.to_owned()).or_default();
                entry.keys = keys;
                entry.fetched_at = Some(now);
                find_key(&entry.keys, kid)
            }
            Err(error) => {
                tracing::warn!(
                    issuer,
                    error = format!("{error:#}"),
                    "cannot fetch the issuer's signing keys"
                );
                found
            }
        }
    }

    /// The issuer's discovery document, checked to name the issuer itself.
    async fn discover(&self, issuer: &str) -> anyhow::Result<Discovery> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery: Discovery = serde_json::from_slice(&self.get(&discovery_url).await?)?;
        if discovery.issuer != issuer {
            anyhow::bail!(
                "the discovery document names the issuer {}",
                discovery.issuer
            );
        }
        Ok(discovery)
    }

    /// The issuer's sign-in endpoints (`https`, or `http` on loopback), read from its discovery document
    /// and kept for [`MAX_KEY_AGE_MS`].
    pub async fn endpoints(&self, issuer: &str, now: i64) -> anyhow::Result<Endpoints> {
        let cached = self
            .endpoints
            .lock()
            .expect("endpoint cache lock poisoned")
            .get(issuer)
            .filter(|(_, at)| now - at <= MAX_KEY_AGE_MS)
            .map(|(endpoints, _)| endpoints.clone());
        if let Some(endpoints) = cached {
            return Ok(endpoints);
        }
        let discovery = self.discover(issuer).await?;
        let (Some(authorization), Some(token)) =
            (discovery.authorization_endpoint, discovery.token_endpoint)
        else {
            anyhow::bail!("the discovery document names no authorization or token endpoint");
        };
        for (name, url) in [
            ("authorization_endpoint", &authorization),
            ("token_endpoint", &token),
        ] {
            check_issuer_url(url).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        let endpoints = Endpoints {
            authorization,
            token,
        };
        self.endpoints
            .lock()
            .expect("endpoint cache lock poisoned")
            .insert(issuer.to_owned(), (endpoints.clone(), now));
        Ok(endpoints)
    }

    /// Exchanges an authorization code at `token_endpoint` (`form`: the token request's parameters);
    /// the `id_token` of the answer. An error names the issuer's `error` code, never the request.
    pub async fn redeem_code(
        &self,
        token_endpoint: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct TokenAnswer {
            id_token: Option<String>,
            error: Option<String>,
        }
        let response = self
            .http
            .post(token_endpoint)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await?;
        let status = response.status();
        let body = read_limited(response, token_endpoint).await?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| anyhow::anyhow!("the token endpoint answered {status} without JSON"))?;
        if !status.is_success() {
            // The error code (`invalid_grant`, ...) says what went wrong and holds no secret.
            let code = answer.error.unwrap_or_default();
            let code: String = code
                .chars()
                .filter(char::is_ascii_graphic)
                .take(64)
                .collect();
            anyhow::bail!("the token endpoint answered {status} {code}");
        }
        answer
            .id_token
            .ok_or_else(|| anyhow::anyhow!("the token endpoint's answer has no id_token"))
    }

    async fn fetch(&self, issuer: &str) -> anyhow::Result<Vec<Jwk>> {
        let discovery = self.discover(issuer).await?;
        check_issuer_url(&discovery.jwks_uri).map_err(|e| anyhow::anyhow!("jwks_uri: {e}"))?;
        let set: Value = serde_json::from_slice(&self.get(&discovery.jwks_uri).await?)?;
        let keys = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("the JWKS has no keys"))?;
        // Keys of types this server does not use are skipped, not fatal.
        Ok(keys
            .iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .collect())
    }

    async fn get(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await?
            .error_for_status()?;
        read_limited(response, url).await
    }
}

/// A response's body, at most [`MAX_DOCUMENT_BYTES`].
async fn read_limited(mut response: reqwest::Response, url: &str) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            anyhow::bail!("{url} is larger than {MAX_DOCUMENT_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The key `kid` of `keys`, or the only key when the token names none.
pub(super) fn find_key(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .cloned(),
        None if keys.len() == 1 => keys.first().cloned(),
        None => None,
    }
}
