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

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
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

/// The issuer over HTTP: discovery documents, signing keys, sign-in endpoints, code redemption.
mod issuer;

pub use issuer::{Endpoints, OidcKeys};

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
    use super::issuer::find_key;
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
