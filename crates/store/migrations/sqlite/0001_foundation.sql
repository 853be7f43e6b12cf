-- Foundation: regions, units and their aliases, enterprises, users, sessions, API tokens and the
-- hash-chained audit log. Times are UTC epoch milliseconds; dates are ISO 8601 text.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code),
    level       TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    path        TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);
CREATE INDEX regions_path ON regions(path);

CREATE TABLE enterprises (
    id                   INTEGER PRIMARY KEY,
    credit_code          TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    region_code          TEXT NOT NULL REFERENCES regions(code),
    address              TEXT NOT NULL,
    longitude            DOUBLE PRECISION,
    latitude             DOUBLE PRECISION,
    industry             TEXT NOT NULL,
    scale                TEXT NOT NULL,
    principal_name       TEXT NOT NULL,
    principal_phone      TEXT NOT NULL,
    safety_manager_name  TEXT NOT NULL,
    safety_manager_phone TEXT NOT NULL,
    standardization      TEXT NOT NULL,
    insurer              TEXT,
    insurance_cover_yuan BIGINT,
    insurance_expires_on TEXT,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX enterprises_region ON enterprises(region_code);
CREATE INDEX enterprises_name ON enterprises(name);

CREATE TABLE enterprise_sectors (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id) ON DELETE CASCADE,
    sector        TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, sector)
);
CREATE INDEX enterprise_sectors_sector ON enterprise_sectors(sector);

CREATE TABLE enterprise_licences (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    number        TEXT NOT NULL,
    expires_on    TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, position)
);

CREATE TABLE units (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    region_code   TEXT REFERENCES regions(code),
    enterprise_id INTEGER REFERENCES enterprises(id),
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX units_kind_region_name ON units(kind, COALESCE(region_code, ''), name);

CREATE TABLE unit_aliases (
    lookup_key TEXT PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE
);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL,
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    totp_secret         TEXT,
    failed_login_count  BIGINT NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at BIGINT NOT NULL,
    created_at          BIGINT NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    occurred_at  BIGINT NOT NULL,
    actor_id     BIGINT,
    actor_name   TEXT NOT NULL,
    unit_id      BIGINT,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    details      TEXT NOT NULL,
    client       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_occurred ON audit_log(occurred_at);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
