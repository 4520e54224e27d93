-- Zegel schema, PostgreSQL flavour. Keep in step with migrations/sqlite; migrations are append-only.
-- Nothing here holds a subject, body, file name or file content in plaintext: those live in sealed
-- envelopes (zegel-crypto format) in the sealed_* columns and the blob store.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tenant_domains (
    domain TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    sender_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    auth_level TEXT,
    deliver TEXT,
    password_hash TEXT,
    sealed_password BYTEA,
    language TEXT NOT NULL,
    wrapped_key BYTEA,
    sealed_content BYTEA,
    max_downloads BIGINT,
    status TEXT NOT NULL,
    blocked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX messages_sender ON messages (tenant_id, sender_id, created_at);
CREATE INDEX messages_expiry ON messages (status, expires_at);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    sealed_name BYTEA NOT NULL,
    size BIGINT NOT NULL,
    blob_id TEXT NOT NULL,
    blocked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX files_message ON files (message_id, position);

CREATE TABLE recipients (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    kind TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    blocked BIGINT NOT NULL DEFAULT 0,
    notified_at BIGINT,
    delivery_failed BIGINT NOT NULL DEFAULT 0,
    opened_at BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    last_failure_at BIGINT,
    locked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX recipients_message ON recipients (message_id);

-- One-time passwords and codes sent to a recipient; only their hash is kept.
CREATE TABLE access_codes (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    spent BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX access_codes_recipient ON access_codes (recipient_id, created_at);

CREATE TABLE recipient_sessions (
    token_hash BYTEA PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE downloads (
    id BIGSERIAL PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    at BIGINT NOT NULL
);
CREATE INDEX downloads_file ON downloads (file_id, recipient_id);

-- The transactional outbox: rows are written in the same transaction as the change that needs them.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    purpose TEXT NOT NULL,
    recipient_id TEXT,
    sealed_payload BYTEA NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    dead BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (dead, next_attempt_at);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    tenant_id TEXT,
    message_id TEXT,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX audit_message ON audit_events (message_id);
