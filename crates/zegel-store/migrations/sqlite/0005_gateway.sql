-- The SMTP gateway's idempotency keys. Keep in step with migrations/postgres.

-- One row per mail the gateway accepted: the SHA-256 of (tenant, envelope sender, Message-ID,
-- recipients), written in the transaction that stores or queues the mail. A sending server that retries
-- after a lost `250` gets `250` again without a second message or relay. Kept for a week.
CREATE TABLE gateway_accepted (
    key_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    accepted_at INTEGER NOT NULL
);
CREATE INDEX gateway_accepted_at ON gateway_accepted (accepted_at);
