-- Accidents (事故): reports with their statutory level, casualty updates within the window that
-- regrade them, the investigation by the tier the level names, the rectification measures of the
-- approved report and their assessment; concealed and late reports marked. Credit: events entered
-- by hand (refused penalties, unlicensed operation) and granted repairs; the rest of an
-- enterprise's record is read from accidents, penalties and hidden dangers.

CREATE TABLE accidents (
    id                  INTEGER PRIMARY KEY,
    enterprise_id       INTEGER REFERENCES enterprises(id),
    region_code         TEXT NOT NULL REFERENCES regions(code),
    occurred_at         BIGINT NOT NULL,
    reported_at         BIGINT NOT NULL,
    kind                TEXT NOT NULL,
    road_traffic        BOOLEAN NOT NULL,
    deaths              INTEGER NOT NULL CHECK (deaths >= 0),
    missing             INTEGER NOT NULL CHECK (missing >= 0),
    serious_injuries    INTEGER NOT NULL CHECK (serious_injuries >= 0),
    direct_loss_yuan    BIGINT NOT NULL CHECK (direct_loss_yuan >= 0),
    level               TEXT NOT NULL CHECK (level IN ('general', 'larger', 'major', 'especially_major')),
    liability           BOOLEAN NOT NULL,
    concealed           BOOLEAN NOT NULL,
    late_reported       BOOLEAN NOT NULL,
    summary             TEXT NOT NULL,
    investigation_state TEXT NOT NULL CHECK (investigation_state IN ('investigating', 'report_approved', 'closed')),
    report_approved_on  TEXT,
    findings            TEXT NOT NULL,
    assessed_on         TEXT,
    reported_by         INTEGER NOT NULL REFERENCES users(id),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX accidents_region ON accidents(region_code, occurred_at);
CREATE INDEX accidents_enterprise ON accidents(enterprise_id, occurred_at);

CREATE TABLE accident_updates (
    id               INTEGER PRIMARY KEY,
    accident_id      INTEGER NOT NULL REFERENCES accidents(id),
    deaths           INTEGER NOT NULL,
    missing          INTEGER NOT NULL,
    serious_injuries INTEGER NOT NULL,
    direct_loss_yuan BIGINT NOT NULL,
    level            TEXT NOT NULL,
    note             TEXT NOT NULL,
    updated_by       INTEGER NOT NULL REFERENCES users(id),
    updated_at       BIGINT NOT NULL
);
CREATE INDEX accident_updates_accident ON accident_updates(accident_id);

CREATE TABLE accident_measures (
    id          INTEGER PRIMARY KEY,
    accident_id INTEGER NOT NULL REFERENCES accidents(id),
    measure     TEXT NOT NULL,
    responsible TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    done_on     TEXT
);
CREATE INDEX accident_measures_accident ON accident_measures(accident_id);

CREATE TABLE credit_events (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    kind          TEXT NOT NULL CHECK (kind IN ('refused_penalty', 'unlicensed')),
    occurred_on   TEXT NOT NULL,
    note          TEXT NOT NULL,
    recorded_by   INTEGER NOT NULL REFERENCES users(id),
    recorded_at   BIGINT NOT NULL
);
CREATE INDEX credit_events_enterprise ON credit_events(enterprise_id);

CREATE TABLE credit_repairs (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    repaired_on   TEXT NOT NULL,
    reason        TEXT NOT NULL,
    decided_by    INTEGER NOT NULL REFERENCES users(id),
    decided_at    BIGINT NOT NULL
);
CREATE INDEX credit_repairs_enterprise ON credit_repairs(enterprise_id);
