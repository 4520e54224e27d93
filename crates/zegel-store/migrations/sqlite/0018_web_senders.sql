-- Sending from the browser (/send): codes that prove a sender's address, and the sessions they open on
-- one browser. Keep in step with the other engine's migrations. Only hashes of codes and session tokens.
CREATE TABLE sender_codes (
    id TEXT PRIMARY KEY,
    email_hash TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    spent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sender_codes_email ON sender_codes (email_hash, created_at);

CREATE TABLE sender_sessions (
    token_hash BLOB PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
