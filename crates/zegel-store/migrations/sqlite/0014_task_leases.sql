-- Tasks that must run on one instance at a time (expiry and crypto-shredding, sweeps): the instance whose
-- lease is live runs them; a lease not renewed in time passes to another instance. Keep in step with the
-- other engine's migrations.
CREATE TABLE task_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until INTEGER NOT NULL
);
