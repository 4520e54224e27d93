-- Whether the sender gets a mail each time a recipient downloads (per message; the sender's choice or
-- the tenant's default at sending). Keep in step with the other engine's migrations.
ALTER TABLE messages ADD COLUMN notify_downloads INTEGER NOT NULL DEFAULT 0;
