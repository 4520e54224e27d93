-- Asking for files (upload requests). Keep in step with the other engine's migrations.
-- A message's purpose: 'message' (a sender's message), 'upload_request' (a sender asks its recipients for
-- files; their links lead to the upload page) or 'received' (files someone uploaded, delivered to the
-- member of staff who asked for them as a message of its own).
ALTER TABLE messages ADD COLUMN purpose TEXT NOT NULL DEFAULT 'message';

-- What an upload request accepts from each recipient.
CREATE TABLE upload_requests (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    -- The accepted kinds by content, comma-separated; empty accepts any recognised kind.
    allowed_types TEXT NOT NULL,
    max_files INTEGER NOT NULL,
    max_bytes INTEGER NOT NULL
);

-- Files received: the 'received' message they were delivered in, who sent them and how the malware
-- scanner judged them ('clean', 'pending', 'infected', 'unscanned'). `answers` is the upload request's
-- recipient whose one answer this is: UNIQUE, so a second submission (or a parallel one) fails.
CREATE TABLE received (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    request_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
    answers TEXT UNIQUE REFERENCES recipients(id) ON DELETE SET NULL,
    from_email TEXT NOT NULL,
    scan TEXT NOT NULL,
    scan_tries INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX received_request ON received (request_id);
CREATE INDEX received_scan ON received (scan);
