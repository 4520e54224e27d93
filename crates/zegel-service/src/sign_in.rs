//! Staff sign in with the tenant's OpenID Connect issuer, to the admin page or to `/send`: the
//! authorization code flow with PKCE (S256). Each door has its own redirect URI, which the issuer binds
//! to the code, and its own flow cookie; the admin page also asks for the admin role.
//!
//! [`start`] finds the issuer from the domain of the address typed (the tenant's first trust
//! without a `--scope`, else its first), makes a random `state`, nonce and code verifier, stores their
//! hashes for [`FLOW_TTL_MS`] (`zegel_store::admin_oidc_flows`) and answers where to send the browser and
//! the verifier the browser keeps. [`finish`] takes the flow the `state` names (once), checks that the
//! browser is the one that started it (its verifier), redeems the code at the token endpoint with the
//! verifier, and authenticates the ID token as bearer JWTs are ([`oidc::authenticate_id_token`]: signature,
//! `iss`, `aud` = the trust's audience, which is the client id, `exp`) with the flow's nonce. Every
//! failure is logged for the operator (never a code, token or secret) and is one [`Finish::Failed`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use zegel_store::admin_oidc_flows::FLOW_TTL_MS;
use zegel_store::admin_oidc_flows::{self, AdminOidcFlow};
use zegel_store::oidc::TrustedIssuer;
use zegel_store::tenants::{self, User};

use crate::{ServiceError, Services, oidc};

/// The scopes asked for: the ID token and the claims that name the user.
pub const SCOPES: &str = "openid profile email";

/// Where a sign-in goes from [`start`].
#[derive(Debug)]
pub enum Start {
    /// Send the browser to `authorization_url`; it keeps `verifier` (a cookie) for [`finish`].
    Redirect {
        /// The issuer's authorization endpoint with the request's parameters.
        authorization_url: String,
        /// The PKCE code verifier, which also binds the flow to this browser.
        verifier: String,
    },
    /// The address's domain is no tenant's, or the tenant trusts no issuer.
    Unavailable,
    /// The issuer's discovery document could not be read or names no endpoints (logged).
    Failed,
}

/// How a sign-in ended in [`finish`].
#[derive(Debug)]
pub enum Finish {
    /// A user of the tenant signed in (with the role the issuer's claims or a grant gave them).
    SignedIn(User),
    /// Anything else (logged).
    Failed,
}

/// Which of a tenant's `trusts` its staff sign in with: the first without a required scope (ID tokens
/// carry none), else the first.
fn sign_in_trust(trusts: &[TrustedIssuer]) -> Option<&TrustedIssuer> {
    trusts
        .iter()
        .find(|t| t.required_scope.is_none())
        .or(trusts.first())
}

/// Starts a sign-in for `email`, whose browser comes back to `redirect_uri`.
#[tracing::instrument(skip_all, err)]
pub async fn start(
    state: &Services,
    email: &str,
    redirect_uri: &str,
) -> Result<Start, ServiceError> {
    let Ok(email) = zegel_core::address::normalize_email(email) else {
        return Ok(Start::Unavailable);
    };
    let domain = zegel_core::address::domain_of(&email);
    let Some(tenant) = tenants::tenant_for_domain(&state.db, domain).await? else {
        return Ok(Start::Unavailable);
    };
    let trusts = zegel_store::oidc::for_tenant(&state.db, &tenant.id).await?;
    let Some(trust) = sign_in_trust(&trusts) else {
        return Ok(Start::Unavailable);
    };
    let now = state.now_ms();
    let endpoints = match state.oidc.endpoints(&trust.issuer, now).await {
        Ok(endpoints) => endpoints,
        Err(error) => {
            tracing::warn!(
                issuer = trust.issuer,
                error = format!("{error:#}"),
                "sign-in: cannot read the issuer's discovery document"
            );
            return Ok(Start::Failed);
        }
    };
    let Ok(mut url) = url::Url::parse(&endpoints.authorization) else {
        return Ok(Start::Failed);
    };
    let (flow_state, nonce, verifier) = (
        zegel_crypto::random_token(),
        zegel_crypto::random_token(),
        zegel_crypto::random_token(),
    );
    admin_oidc_flows::create(
        &state.db,
        &AdminOidcFlow {
            state_hash: zegel_crypto::hash_token(&flow_state).to_vec(),
            verifier_hash: zegel_crypto::hash_token(&verifier).to_vec(),
            nonce_hash: zegel_crypto::hash_token(&nonce).to_vec(),
            tenant_id: tenant.id.clone(),
            issuer: trust.issuer.clone(),
            expires_at: now + FLOW_TTL_MS,
        },
        now,
    )
    .await?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &trust.audience)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPES)
        .append_pair("state", &flow_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &code_challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("login_hint", &email);
    Ok(Start::Redirect {
        authorization_url: url.into(),
        verifier,
    })
}

/// The S256 code challenge of a verifier (RFC 7636): base64url of its SHA-256, unpadded.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(zegel_crypto::hash_token(verifier))
}

/// What the browser brings back to the redirect URI.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    /// The `state` parameter.
    pub state: &'a str,
    /// The `code` parameter.
    pub code: &'a str,
    /// The verifier the browser kept, if it sent its cookie.
    pub verifier: Option<&'a str>,
}

/// Finishes a sign-in that came back to `redirect_uri` (the same as for [`start`]); `client_secret` is
/// sent to the token endpoint when the app registration has one.
#[tracing::instrument(skip_all, err)]
pub async fn finish(
    state: &Services,
    callback: Callback<'_>,
    redirect_uri: &str,
    client_secret: Option<&str>,
) -> Result<Finish, ServiceError> {
    let failed = |reason: &str| {
        tracing::info!(reason, "sign-in with OpenID Connect failed");
        Ok(Finish::Failed)
    };
    let now = state.now_ms();
    let state_hash = zegel_crypto::hash_token(callback.state);
    let Some(flow) = admin_oidc_flows::take(&state.db, &state_hash, now).await? else {
        return failed("no sign-in with this state (unknown, used, or older than ten minutes)");
    };
    // The flow is used up from here on, whatever follows.
    let Some(verifier) = callback.verifier else {
        return failed("the browser did not send the sign-in cookie");
    };
    if !zegel_crypto::ct_eq(&zegel_crypto::hash_token(verifier), &flow.verifier_hash) {
        return failed("the sign-in was started in another browser");
    }
    let trusts = zegel_store::oidc::for_tenant(&state.db, &flow.tenant_id).await?;
    let Some(trust) = trusts.iter().find(|t| t.issuer == flow.issuer) else {
        return failed("the tenant no longer trusts the issuer");
    };
    let endpoints = match state.oidc.endpoints(&trust.issuer, now).await {
        Ok(endpoints) => endpoints,
        Err(error) => return failed(&format!("discovery: {error:#}")),
    };
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", callback.code),
        ("redirect_uri", redirect_uri),
        ("client_id", trust.audience.as_str()),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = client_secret {
        form.push(("client_secret", secret));
    }
    let id_token = match state.oidc.redeem_code(&endpoints.token, &form).await {
        Ok(id_token) => id_token,
        Err(error) => return failed(&format!("code exchange: {error:#}")),
    };
    let user = match oidc::authenticate_id_token(state, &id_token, trust, &flow.nonce_hash).await {
        Ok(user) => user,
        // The reason was logged with the refusal.
        Err(ServiceError::Unauthorized) => return failed("the ID token was refused"),
        Err(other) => return Err(other),
    };
    Ok(Finish::SignedIn(user))
}

/// Ends the flow `flow_state` names without signing in (the issuer answered with an error).
pub async fn abandon(state: &Services, flow_state: &str) -> Result<(), ServiceError> {
    let state_hash = zegel_crypto::hash_token(flow_state);
    admin_oidc_flows::take(&state.db, &state_hash, state.now_ms()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn staff_sign_in_with_the_trust_meant_for_id_tokens() {
        let trust = |issuer: &str, scope: Option<&str>| TrustedIssuer {
            tenant_id: "t".into(),
            issuer: issuer.into(),
            audience: "a".into(),
            user_claim: "email".into(),
            admin_claim: None,
            admin_value: None,
            required_scope: scope.map(str::to_owned),
        };
        let sso = trust("https://a.example", Some("access_as_user"));
        let plain = trust("https://b.example", None);
        assert_eq!(sign_in_trust(&[sso.clone(), plain.clone()]), Some(&plain));
        assert_eq!(sign_in_trust(std::slice::from_ref(&sso)), Some(&sso));
        assert_eq!(sign_in_trust(&[]), None);
    }
}
