-- Log & block: tracking times per recipient, and the tamper-evident audit chain. Keep in step with
-- migrations/postgres.

-- When a recipient last asked for a password or code, and last authenticated.
ALTER TABLE recipients ADD COLUMN challenge_sent_at INTEGER;
ALTER TABLE recipients ADD COLUMN verified_at INTEGER;

-- When a message's content was destroyed (expired or deleted by its sender); the rows stay as the
-- tracking record.
ALTER TABLE messages ADD COLUMN destroyed_at INTEGER;

-- The audit chain: entry `seq` stores the hash of entry `seq - 1` and its own hash over its fields.
-- `detail` names the object of an event (a file id, a recipient address), never a secret or a name.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN detail TEXT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_seq ON audit_events (seq);
CREATE INDEX audit_tenant_at ON audit_events (tenant_id, at);

-- The head of the chain: the newest entry's number and hash. Appends lock this row, so the chain
-- never forks; rows written before this migration are chained once at start-up.
CREATE TABLE audit_chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
