-- Replies and the conversation. Keep in step with the other engine's migrations. A reply is a message of
-- purpose 'reply'; this row places it in its conversation. The first message of a conversation counts its
-- replies (one conditional UPDATE, so the cap holds for parallel replies and several instances).
ALTER TABLE messages ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE replies (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    -- The message answered, and the conversation's first message.
    parent_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    root_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    -- The recipient (of the parent) who wrote it.
    author_recipient_id TEXT NOT NULL,
    -- Its place in the conversation: the first message's reply count when it was taken.
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX replies_root ON replies (root_id, position);
