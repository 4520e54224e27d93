-- Limits that hold under attack: recipient sessions with an idle timeout, server-side sessions for the
-- admin page, and remembered phone numbers only the recipient or an admin can vouch for. Keep in step
-- with migrations/sqlite.

-- When a recipient session was last used: it ends 30 minutes after that (and 12 hours after it began).
ALTER TABLE recipient_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE recipient_sessions SET last_seen_at = created_at;
CREATE INDEX recipient_sessions_expiry ON recipient_sessions (expires_at);

-- The admin page's sign-in: the cookie holds a random session id, this table only its SHA-256.
CREATE TABLE admin_sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

-- Who vouched for a remembered number: 'recipient' (a code sent to it was entered) or 'admin'. NULL for
-- numbers a sender gave before this migration.
ALTER TABLE recipient_phones ADD COLUMN confirmed_by TEXT;
