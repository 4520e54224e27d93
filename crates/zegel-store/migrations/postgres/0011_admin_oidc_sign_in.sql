-- An admin's sign-in with OpenID Connect in progress, from `/admin/oidc/start` to `/admin/oidc/callback`
-- (the authorization code flow with PKCE): used once, for at most ten minutes. Only SHA-256 hashes: of the
-- `state` the issuer hands back, of the nonce its ID token must carry, and of the PKCE code verifier,
-- which only the browser that started the flow holds (in a cookie) and which binds the flow to it.
-- Keep in step with the other engine's migrations.
CREATE TABLE admin_oidc_flows (
    state_hash BYTEA PRIMARY KEY,
    verifier_hash BYTEA NOT NULL,
    nonce_hash BYTEA NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_oidc_flows_expiry ON admin_oidc_flows (expires_at);

-- 1 for the session of an admin by the issuer's admin claim rather than by `zegel admin grant`: the claim
-- was checked at sign-in and holds for the session (at most eight hours); a granted role is looked up on
-- every request.
ALTER TABLE admin_sessions ADD COLUMN admin_by_claim BIGINT NOT NULL DEFAULT 0;
