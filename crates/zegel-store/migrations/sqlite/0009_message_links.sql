-- Finding gateway mail by its Internet Message-ID, and one link per message whose notification the
-- sender's own client sends. Keep in step with migrations/postgres.

-- The Internet Message-ID of the mail the gateway protected (the sender's copy in Sent Items carries the
-- same), as SHA-256 hex of the id without angle brackets: the read pane finds the message by it.
CREATE TABLE message_internet_ids (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    id_hash TEXT NOT NULL
);
CREATE INDEX message_internet_ids_hash ON message_internet_ids (id_hash);

-- The one link of a message sent with "notify": "client" (SHA-256 of its token): the page asks for the
-- recipient's address. Public files download through it as the message's first recipient.
CREATE TABLE message_links (
    token_hash BLOB PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    first_recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE
);
