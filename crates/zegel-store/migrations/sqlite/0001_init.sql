-- Zegel schema, SQLite flavour. Keep in step with migrations/postgres; migrations are append-only.
-- Nothing here holds a subject, body, file name or file content in plaintext: those live in sealed
-- envelopes (zegel-crypto format) in the sealed_* columns and the blob store.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
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
    created_at INTEGER NOT NULL
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    sender_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    auth_level TEXT,
    deliver TEXT,
    password_hash TEXT,
    sealed_password BLOB,
    language TEXT NOT NULL,
    wrapped_key BLOB,
    sealed_content BLOB,
    max_downloads INTEGER,
    status TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX messages_sender ON messages (tenant_id, sender_id, created_at);
CREATE INDEX messages_expiry ON messages (status, expires_at);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sealed_name BLOB NOT NULL,
    size INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX files_message ON files (message_id, position);

CREATE TABLE recipients (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    kind TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    blocked INTEGER NOT NULL DEFAULT 0,
    notified_at INTEGER,
    delivery_failed INTEGER NOT NULL DEFAULT 0,
    opened_at INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_failure_at INTEGER,
    locked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recipients_message ON recipients (message_id);

-- One-time passwords and codes sent to a recipient; only their hash is kept.
CREATE TABLE access_codes (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    spent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_codes_recipient ON access_codes (recipient_id, created_at);

CREATE TABLE recipient_sessions (
    token_hash BLOB PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE downloads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE,
    at INTEGER NOT NULL
);
CREATE INDEX downloads_file ON downloads (file_id, recipient_id);

-- The transactional outbox: rows are written in the same transaction as the change that needs them.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    purpose TEXT NOT NULL,
    recipient_id TEXT,
    sealed_payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (dead, next_attempt_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    tenant_id TEXT,
    message_id TEXT,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX audit_message ON audit_events (message_id);
