-- Two-factor access by SMS: remembered phone numbers, the number each recipient of a message gets codes
-- on, held messages and the sender's single-use links to enter missing numbers.

-- Numbers senders gave, per tenant and recipient address; sealed, each in its own envelope.
CREATE TABLE recipient_phones (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    sealed_phone BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, email)
);

-- The number a recipient's codes go to for this message (sealed with the message key), and the last
-- SMS failure the sender should see.
ALTER TABLE recipients ADD COLUMN sealed_phone BYTEA;
ALTER TABLE recipients ADD COLUMN sms_error TEXT;

-- Single-use links for the sender of a held message to enter missing numbers.
CREATE TABLE phone_requests (
    token_hash BYTEA PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX phone_requests_message ON phone_requests (message_id);
