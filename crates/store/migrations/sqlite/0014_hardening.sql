-- Hardening of accounts: a temporary password must be changed at the next login; the last
-- one-time-code time step used, so that a code cannot be replayed; failed logins counted per
-- account and client, with exponential back-off instead of a lock anyone could trigger.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE login_failures (
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_key      TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    blocked_until   BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_key)
);
CREATE INDEX login_failures_by_age ON login_failures (last_failure_at);

-- The audit chain's keyed hashes (HMAC under a key kept outside the database); NULL for
-- entries written before the chain was keyed.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
-- The first keyed entry, which every anchor records, found at once.
CREATE INDEX audit_log_keyed ON audit_log (seq) WHERE mac IS NOT NULL;

-- Sensors the demo's simulator feeds; it never writes into sensors people registered.
ALTER TABLE sensors ADD COLUMN simulated BOOLEAN NOT NULL DEFAULT FALSE;

-- Facts about the installation: the fingerprint of the server key the database is written
-- with, so that a process given another key refuses to start instead of writing entries that
-- never verify.
CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
