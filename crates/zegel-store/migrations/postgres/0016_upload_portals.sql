-- Upload portals: long-lived pages where anyone can send files to the organisation after proving their
-- address. Keep in step with the other engine's migrations. The document (title, introduction,
-- recipients, allowed domains and kinds) is the admin's configuration, not anyone's message.
CREATE TABLE upload_portals (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL,
    -- The admin who made it: the owner of its visits' rows.
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX upload_portals_tenant ON upload_portals (tenant_id, slug);

-- A visit: a message of purpose 'portal_visit' whose one recipient is the visitor (their codes,
-- throttles and session are every recipient's), on which portal, for which address (SHA-256).
CREATE TABLE portal_visits (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    portal_id TEXT NOT NULL REFERENCES upload_portals(id) ON DELETE CASCADE,
    email_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX portal_visits_lookup ON portal_visits (portal_id, email_hash, created_at);

-- Files received through a portal name it.
ALTER TABLE received ADD COLUMN portal_id TEXT REFERENCES upload_portals(id) ON DELETE SET NULL;

-- Rate limits counted in windows: one upsert per count, so they hold for parallel requests and
-- several instances.
CREATE TABLE rate_windows (
    rate_key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (rate_key, window_start)
);
