-- The scope a trusted issuer's tokens must carry (`zegel admin oidc set --scope`), e.g. the
-- `access_as_user` scope Office single sign-on asks Entra ID for: with it an ID token, or an access
-- token for another scope of the same app, does not sign in. NULL: no scope is required (as before).
-- Keep in step with the other engine's migrations.
ALTER TABLE oidc_issuers ADD COLUMN required_scope TEXT;
