-- Resumable (tus) uploads: a file sealed over many requests before it becomes part of a message. Keep in
-- step with the other engine's migrations. The file name is sealed (envelope) like every file name; the
-- bytes are in the blob store.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- Who owns it: 'sender' (owner_id = users.id); later also a visitor's session.
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    length INTEGER NOT NULL,
    -- Plaintext bytes durable on disk: a whole number of 64 KiB chunks, or the length.
    durable_offset INTEGER NOT NULL DEFAULT 0,
    -- The sealed high-water mark: no chunk at or past this index was sealed under the current segment.
    sealed_until INTEGER NOT NULL DEFAULT 0,
    -- The current segment number (FORMAT.md, "Segments"); only ever goes up.
    segment INTEGER NOT NULL DEFAULT 0,
    sealed_name BLOB,
    file_type TEXT,
    completed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX uploads_owner ON uploads (owner_kind, owner_id);
CREATE INDEX uploads_expiry ON uploads (expires_at);

-- Where each segment of an upload's blob begins (segment 0 at chunk 0 is implied when absent).
CREATE TABLE upload_segments (
    upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    segment INTEGER NOT NULL,
    first_chunk INTEGER NOT NULL,
    PRIMARY KEY (upload_id, segment)
);

-- Open uploads per owner, counted in one conditional UPDATE so the quota holds for parallel requests
-- and several instances.
CREATE TABLE upload_quotas (
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    open_uploads INTEGER NOT NULL DEFAULT 0,
    open_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_kind, owner_id)
);

-- A file made from an upload keeps the context its blob was sealed under (NULL: the message and file
-- ids) and the blob's segment list ("number:first_chunk,..."; NULL: one segment).
ALTER TABLE files ADD COLUMN seal_message TEXT;
ALTER TABLE files ADD COLUMN seal_file TEXT;
ALTER TABLE files ADD COLUMN segments TEXT;
