-- Tenant settings and sign-in: every version of a tenant's settings document, the longest link expiry
-- its operator allows, and the OpenID Connect issuers it trusts. Keep in step with migrations/sqlite.

-- The settings document (JSON) in every version, with who changed it and when. The highest version is
-- in force; a tenant without rows has the day-one defaults.
CREATE TABLE tenant_settings (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    document TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

-- Set by the operator (`zegel admin tenant allow-expiry`): a tenant admin cannot go beyond it.
ALTER TABLE tenants ADD COLUMN max_expiry_days BIGINT NOT NULL DEFAULT 14;

-- Issuers whose ID tokens sign in the tenant's users (`zegel admin oidc set`).
CREATE TABLE oidc_issuers (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    audience TEXT NOT NULL,
    user_claim TEXT NOT NULL,
    admin_claim TEXT,
    admin_value TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, issuer)
);
CREATE INDEX oidc_issuers_issuer ON oidc_issuers (issuer);
