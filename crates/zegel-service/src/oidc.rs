//! Sign-in with OpenID Connect: bearer JWTs (ID or access tokens) from an issuer a tenant trusts.
//!
//! A tenant trusts an issuer with `zegel admin oidc set` (issuer URL, audience, the claim naming the user,
//! the claim and value that make an admin). A token is accepted when
//! - its header names an asymmetric algorithm (RS*, PS*, ES256/ES384; never `none` or HS*: a public key
//!   must not double as an HMAC secret) that agrees with the key's type and, if the key says, its `alg`;
//! - its signature verifies with a key of the issuer's JWKS (discovery document → `jwks_uri`, fetched
//!   over HTTPS, cached, fetched again for an unknown key id but at most once per [`MIN_REFRESH_MS`]);
//! - `iss` is the trusted issuer, `aud` contains the tenant's audience, `exp` and `nbf` hold with
//!   [`LEEWAY_SECONDS`] of leeway on the server's clock;
//! - the user claim is an address whose domain belongs to the trusting tenant;
//! - when the trust names a scope (`--scope`), `scp` (Entra ID, a space-separated string or a list) or
//!   `scope` carries it: Office single sign-on tokens carry `access_as_user`, ID tokens no scope at all.
//!
//! Entra ID's forms: with the app registration's `accessTokenAcceptedVersion` at 2 (what the README
//! asks for) an SSO access token has `iss` = `https://login.microsoftonline.com/<tenant id>/v2.0` and `aud` =
//! the client id (version 1 tokens, `iss` = `https://sts.windows.net/<tenant id>/` and `aud` = the
//! Application ID URI, are not what the README sets up).
//!
//! The user is created on first sight. Every refusal is the same bare `401`: the reason is logged for the
//! operator (never the token), the client learns nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ServiceError;
use crate::Services;
use zegel_store::tenants::{self, User};
use zegel_store::{self as db, oidc::TrustedIssuer};

/// Leeway for `exp`, `nbf` and `iat`, for clocks that disagree a little.
pub const LEEWAY_SECONDS: i64 = 60;
/// The least time between two fetches of one issuer's keys (unknown key ids cannot make us hammer it).
pub const MIN_REFRESH_MS: i64 = 60_000;
/// Keys older than this are fetched again on next use, so removed keys stop working.
pub const MAX_KEY_AGE_MS: i64 = 24 * 3_600_000;
/// The longest token accepted.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The largest discovery document or JWKS read.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

/// The signature algorithms accepted: asymmetric only.
const ACCEPTED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

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
    async fn key(&self, issuer: &str, kid: Option<&str>, now: i64) -> Option<Jwk> {
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

fn find_key(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .cloned(),
        None if keys.len() == 1 => keys.first().cloned(),
        None => None,
    }
}

/// Whether an issuer (or JWKS) URL may be used: `https://`, or `http://` on a loopback address (tests
/// and a local identity provider).
pub fn check_issuer_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|_| format!("'{url}' is not a URL"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => return Err(format!("'{url}' has no host")),
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!("'{url}' must use https")),
    }
}

/// Whether the key may verify `alg`: right type (and curve), never symmetric, and the key's own `alg`
/// when it names one.
fn key_allows(jwk: &Jwk, alg: Algorithm) -> bool {
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(ec) => matches!(
            (&ec.curve, alg),
            (EllipticCurve::P256, Algorithm::ES256) | (EllipticCurve::P384, Algorithm::ES384)
        ),
        _ => false,
    };
    let by_alg = jwk.common.key_algorithm.is_none_or(|named| {
        named
            .to_string()
            .parse::<Algorithm>()
            .is_ok_and(|a| a == alg)
    });
    by_type && by_alg
}

/// Why a token was refused (logged, never sent).
#[derive(Debug)]
enum Refusal {
    Malformed,
    Algorithm,
    UntrustedIssuer,
    UnknownKey,
    Signature(jsonwebtoken::errors::Error),
    Expired,
    NotYetValid,
    NoUser,
    ForeignDomain,
    MissingScope,
    Nonce,
}

impl Refusal {
    /// The reason as the operator's log shows it.
    fn describe(&self) -> String {
        match self {
            Self::Signature(error) => format!("signature or claims: {error}"),
            other => format!("{other:?}"),
        }
    }
}

/// Authenticates a bearer JWT; the user it names, with the role its claims give.
pub async fn authenticate(state: &Services, token: &str) -> Result<User, ServiceError> {
    match verify(state, token).await {
        Ok(user) => Ok(user),
        Err(Ok(refusal)) => {
            tracing::info!(reason = refusal.describe(), "bearer token refused");
            Err(ServiceError::Unauthorized)
        }
        Err(Err(error)) => Err(error),
    }
}

fn string_values(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

async fn verify(state: &Services, token: &str) -> Result<User, Result<Refusal, ServiceError>> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Ok(Refusal::Malformed));
    }
    // The issuer decides which keys to check the signature with; nothing else is read before that.
    let unverified = jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .map_err(|_| Ok(Refusal::Malformed))?;
    let issuer = unverified
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or(Ok(Refusal::Malformed))?
        .to_owned();
    let trusts: Vec<TrustedIssuer> = db::oidc::for_issuer(&state.db, &issuer)
        .await
        .map_err(|e| Err(e.into()))?;
    if trusts.is_empty() {
        return Err(Ok(Refusal::UntrustedIssuer));
    }
    let audiences: Vec<&str> = trusts.iter().map(|t| t.audience.as_str()).collect();
    let claims = verified_claims(state, token, &issuer, &audiences).await?;

    let token_audiences = string_values(claims.get("aud"));
    let mut missing_scope = false;
    for trust in trusts
        .iter()
        .filter(|t| token_audiences.contains(&t.audience.as_str()))
    {
        if let Some(scope) = &trust.required_scope
            && !has_scope(&claims, scope)
        {
            missing_scope = true;
            continue;
        }
        if let Some(user) = user_for(state, trust, &claims).await? {
            return Ok(user);
        }
    }
    Err(Ok(if missing_scope {
        Refusal::MissingScope
    } else {
        Refusal::NoUser
    }))
}

/// The claims of `token` once they hold: an accepted algorithm the key agrees with, a signature by a
/// key of `issuer`'s JWKS, `iss` = `issuer`, an `aud` among `audiences`, and `exp`, `nbf` and `iat` on
/// the server's clock.
async fn verified_claims(
    state: &Services,
    token: &str,
    issuer: &str,
    audiences: &[&str],
) -> Result<Map<String, Value>, Result<Refusal, ServiceError>> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Ok(Refusal::Malformed));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Ok(Refusal::Malformed))?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(Ok(Refusal::Algorithm));
    }
    let now = state.clock.now();
    let jwk = state
        .oidc
        .key(issuer, header.kid.as_deref(), now.as_millisecond())
        .await
        .ok_or(Ok(Refusal::UnknownKey))?;
    if !key_allows(&jwk, header.alg) {
        return Err(Ok(Refusal::Algorithm));
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| Ok(Refusal::UnknownKey))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(audiences);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    // Time is checked below against the server's clock (which tests control).
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| Ok(Refusal::Signature(e)))?
        .claims;
    let seconds = now.as_second();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(Ok(Refusal::Expired))?;
    if exp + LEEWAY_SECONDS <= seconds {
        return Err(Ok(Refusal::Expired));
    }
    for early in ["nbf", "iat"] {
        if let Some(at) = claims.get(early)
            && at.as_i64().is_none_or(|at| at - LEEWAY_SECONDS > seconds)
        {
            return Err(Ok(Refusal::NotYetValid));
        }
    }
    Ok(claims)
}

/// The user `trust` finds in verified `claims`, created on first sight, with the role the claims give:
/// none when the user claim is not an address in one of the trusting tenant's domains.
async fn user_for(
    state: &Services,
    trust: &TrustedIssuer,
    claims: &Map<String, Value>,
) -> Result<Option<User>, Result<Refusal, ServiceError>> {
    let Some(name) = claims.get(&trust.user_claim).and_then(Value::as_str) else {
        return Ok(None);
    };
    let Ok(email) = zegel_core::address::normalize_email(name) else {
        return Ok(None);
    };
    let domain = zegel_core::address::domain_of(&email);
    let owner = tenants::tenant_for_domain(&state.db, domain)
        .await
        .map_err(|e| Err(e.into()))?;
    if owner.is_none_or(|tenant| tenant.id != trust.tenant_id) {
        return Ok(None);
    }
    let mut user = tenants::ensure_user(&state.db, &trust.tenant_id, &email, state.now_ms())
        .await
        .map_err(|e| Err(e.into()))?;
    if user.tenant_id != trust.tenant_id {
        return Err(Ok(Refusal::ForeignDomain));
    }
    if let (Some(claim), Some(value)) = (&trust.admin_claim, &trust.admin_value)
        && string_values(claims.get(claim)).contains(&value.as_str())
    {
        user.role = "admin".to_owned();
    }
    Ok(Some(user))
}

/// Authenticates the ID token an admin's sign-in (the authorization code flow) got from `trust`'s issuer:
/// checked as bearer tokens are ([`verified_claims`], the user claim), with `aud` = the trust's audience
/// (the client id) and a `nonce` whose SHA-256 is `nonce_hash`. The trust's `--scope` is not asked for:
/// it keeps ID tokens from serving as bearer tokens, and this ID token came from the issuer's token
/// endpoint in exchange for a code only this flow could redeem.
pub async fn authenticate_id_token(
    state: &Services,
    token: &str,
    trust: &TrustedIssuer,
    nonce_hash: &[u8],
) -> Result<User, ServiceError> {
    let verified = async {
        let claims =
            verified_claims(state, token, &trust.issuer, &[trust.audience.as_str()]).await?;
        let nonce = claims
            .get("nonce")
            .and_then(Value::as_str)
            .ok_or(Ok(Refusal::Nonce))?;
        if !zegel_crypto::ct_eq(&zegel_crypto::hash_token(nonce), nonce_hash) {
            return Err(Ok(Refusal::Nonce));
        }
        user_for(state, trust, &claims)
            .await?
            .ok_or(Ok(Refusal::NoUser))
    };
    match verified.await {
        Ok(user) => Ok(user),
        Err(Ok(refusal)) => {
            tracing::info!(reason = refusal.describe(), "ID token refused");
            Err(ServiceError::Unauthorized)
        }
        Err(Err(error)) => Err(error),
    }
}

/// Whether the token grants `scope`: `scp` (Entra ID; Okta sends a list) or `scope` (RFC 9068), each a
/// space-separated string or a list of strings.
fn has_scope(claims: &Map<String, Value>, scope: &str) -> bool {
    ["scp", "scope"].iter().any(|name| {
        string_values(claims.get(*name))
            .iter()
            .any(|value| value.split_whitespace().any(|s| s == scope))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_urls_need_https_except_on_loopback() {
        assert!(check_issuer_url("https://login.microsoftonline.com/x/v2.0").is_ok());
        assert!(check_issuer_url("http://127.0.0.1:8080").is_ok());
        assert!(check_issuer_url("http://localhost:9000/realms/zorg").is_ok());
        assert!(check_issuer_url("http://[::1]:9000").is_ok());
        assert!(check_issuer_url("http://idp.example").is_err());
        assert!(check_issuer_url("ftp://idp.example").is_err());
        assert!(check_issuer_url("idp.example").is_err());
    }

    /// What jsonwebtoken itself does with the classic attacks, checked here so an upgrade that changes it
    /// is noticed (the server refuses both before the library sees them anyway).
    #[test]
    fn the_library_refuses_none_and_hmac_with_a_public_key() {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let keys: Value = serde_json::from_str(include_str!(
            "../../../server/tests/api/fixtures/oidc_keys.json"
        ))
        .unwrap();
        let jwk: Jwk = serde_json::from_value(keys["rsa-1"]["jwk"].clone()).unwrap();
        let rsa = DecodingKey::from_jwk(&jwk).unwrap();
        let claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"x","aud":"a","exp":9999999999}"#);
        // `alg: none` is not an algorithm jsonwebtoken knows: the header does not even parse.
        let none = format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert!(jsonwebtoken::decode_header(&none).is_err());
        // HS256 keyed with the public key: refused even by a validation that would allow HS256.
        let input = format!(
            "{}.{claims}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#)
        );
        let secret = keys["rsa-1"]["public_pem"].as_str().unwrap().as_bytes();
        let mac = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(secret),
            Algorithm::HS256,
        )
        .unwrap();
        let forged = format!("{input}.{mac}");
        let mut lenient = Validation::new(Algorithm::HS256);
        lenient.validate_aud = false;
        assert!(jsonwebtoken::decode::<Value>(&forged, &rsa, &lenient).is_err());
        // And with the HMAC key itself the same token verifies: the refusal above is the key's family.
        assert!(
            jsonwebtoken::decode::<Value>(&forged, &DecodingKey::from_secret(secret), &lenient)
                .is_ok()
        );
    }

    #[test]
    fn keys_and_algorithms_must_agree() {
        let rsa: Jwk = serde_json::from_value(
            serde_json::json!({"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}),
        )
        .unwrap();
        let rsa_rs256: Jwk = serde_json::from_value(
            serde_json::json!({"kty":"RSA","kid":"r","alg":"RS256","n":"AQAB","e":"AQAB"}),
        )
        .unwrap();
        let ec: Jwk = serde_json::from_value(
            serde_json::json!({"kty":"EC","kid":"e","crv":"P-256","x":"AQAB","y":"AQAB"}),
        )
        .unwrap();
        let oct: Jwk =
            serde_json::from_value(serde_json::json!({"kty":"oct","kid":"o","k":"c2VjcmV0"}))
                .unwrap();
        assert!(key_allows(&rsa, Algorithm::RS256) && key_allows(&rsa, Algorithm::PS512));
        assert!(!key_allows(&rsa, Algorithm::HS256) && !key_allows(&rsa, Algorithm::ES256));
        assert!(
            key_allows(&rsa_rs256, Algorithm::RS256) && !key_allows(&rsa_rs256, Algorithm::RS512)
        );
        assert!(key_allows(&ec, Algorithm::ES256) && !key_allows(&ec, Algorithm::ES384));
        assert!(
            !key_allows(&oct, Algorithm::HS256),
            "symmetric keys are never used"
        );
        assert_eq!(
            find_key(std::slice::from_ref(&rsa), None).map(|k| k.common.key_id),
            Some(Some("r".into()))
        );
        assert!(find_key(&[rsa.clone(), ec.clone()], None).is_none());
        assert!(find_key(&[rsa, ec], Some("e")).is_some());
    }
}
