-- Major hazard sources (重大危险源) with the chemicals that grade them by GB 18218-2018, their
-- monitoring points (sensors), the compressed telemetry chunks those sensors report, and the
-- alarms the rule engine raises. S, R and the level are stored as the grading computed them from
-- the chemicals, so a list can filter and sort by level without re-grading.

CREATE TABLE hazard_sources (
    id                 INTEGER PRIMARY KEY,
    enterprise_id      INTEGER NOT NULL REFERENCES enterprises(id),
    name               TEXT NOT NULL,
    unit_kind          TEXT NOT NULL CHECK (unit_kind IN ('production', 'storage')),
    people_nearby      INTEGER NOT NULL CHECK (people_nearby >= 0),
    principal_person   TEXT NOT NULL,
    technical_person   TEXT NOT NULL,
    operating_person   TEXT NOT NULL,
    s_value            DOUBLE PRECISION NOT NULL,
    r_value            DOUBLE PRECISION NOT NULL,
    is_major           BOOLEAN NOT NULL,
    level              INTEGER CHECK (level BETWEEN 1 AND 4),
    created_by         INTEGER NOT NULL REFERENCES users(id),
    created_at         BIGINT NOT NULL,
    UNIQUE (enterprise_id, name)
);
CREATE INDEX hazard_sources_enterprise ON hazard_sources(enterprise_id);

CREATE TABLE hazard_source_chemicals (
    source_id           INTEGER NOT NULL REFERENCES hazard_sources(id),
    position            INTEGER NOT NULL,
    substance           TEXT NOT NULL,
    categories          TEXT NOT NULL,
    quantity_millionths BIGINT NOT NULL CHECK (quantity_millionths >= 0),
    PRIMARY KEY (source_id, position)
);

CREATE TABLE sensors (
    id                      INTEGER PRIMARY KEY,
    source_id               INTEGER NOT NULL REFERENCES hazard_sources(id),
    enterprise_id           INTEGER NOT NULL REFERENCES enterprises(id),
    code                    TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL,
    kind                    TEXT NOT NULL CHECK (kind IN ('level', 'temperature', 'pressure', 'flow', 'combustible_gas', 'toxic_gas')),
    unit                    TEXT NOT NULL,
    range_min               DOUBLE PRECISION NOT NULL,
    range_max               DOUBLE PRECISION NOT NULL,
    low_low                 DOUBLE PRECISION,
    low                     DOUBLE PRECISION,
    high                    DOUBLE PRECISION,
    high_high               DOUBLE PRECISION,
    interval_s              INTEGER NOT NULL,
    on_delay_ms             INTEGER NOT NULL,
    off_delay_ms            INTEGER NOT NULL,
    deadband                DOUBLE PRECISION NOT NULL,
    rate_per_min            DOUBLE PRECISION,
    offline_after_intervals INTEGER NOT NULL,
    stuck_after_ms          INTEGER,
    created_at              BIGINT NOT NULL
);
CREATE INDEX sensors_source ON sensors(source_id);
CREATE INDEX sensors_enterprise ON sensors(enterprise_id);

-- One row per flushed chunk of one sensor's readings: timestamps (ms) and values, each a pco
-- stream. Chunks of a sensor never overlap.
CREATE TABLE telemetry_chunks (
    sensor_id   INTEGER NOT NULL REFERENCES sensors(id),
    start_ms    BIGINT NOT NULL,
    end_ms      BIGINT NOT NULL,
    reading_count INTEGER NOT NULL,
    timestamps  BLOB NOT NULL,
    vals        BLOB NOT NULL,
    PRIMARY KEY (sensor_id, start_ms)
);
CREATE INDEX telemetry_chunks_end ON telemetry_chunks(end_ms);

CREATE TABLE alarms (
    id              INTEGER PRIMARY KEY,
    sensor_id       INTEGER NOT NULL REFERENCES sensors(id),
    source_id       INTEGER NOT NULL REFERENCES hazard_sources(id),
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises(id),
    kind            TEXT NOT NULL CHECK (kind IN ('high', 'low', 'rate_of_change', 'no_data', 'stuck', 'out_of_range')),
    severity        TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    state           TEXT NOT NULL CHECK (state IN ('raised', 'acknowledged', 'cleared', 'closed')),
    -- Whether the condition still holds; an acknowledged alarm whose condition ended is 'cleared'.
    condition_active BOOLEAN NOT NULL,
    first_value     DOUBLE PRECISION,
    peak_value      DOUBLE PRECISION,
    retriggers      INTEGER NOT NULL DEFAULT 0,
    raised_at       BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by INTEGER REFERENCES users(id),
    cleared_at      BIGINT,
    closed_at       BIGINT,
    closed_by       INTEGER REFERENCES users(id),
    disposition     TEXT CHECK (disposition IN ('real', 'false', 'sensor_fault', 'maintenance', 'test')),
    assignee_id     INTEGER REFERENCES users(id),
    -- How far up an unacknowledged alarm has been escalated, and when it last was.
    escalation_tier TEXT NOT NULL DEFAULT 'enterprise' CHECK (escalation_tier IN ('enterprise', 'county', 'city', 'province')),
    escalated_at    BIGINT,
    updated_at      BIGINT NOT NULL
);
-- One live (not closed) alarm per sensor and kind.
CREATE UNIQUE INDEX alarms_live ON alarms(sensor_id, kind) WHERE state <> 'closed';
CREATE INDEX alarms_enterprise_state ON alarms(enterprise_id, state);

CREATE TABLE alarm_comments (
    id         INTEGER PRIMARY KEY,
    alarm_id   INTEGER NOT NULL REFERENCES alarms(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX alarm_comments_alarm ON alarm_comments(alarm_id);

-- Shelving (an alarm taken off the operators' list for a while) and maintenance windows (a
-- sensor under work): time-boxed, requested by the enterprise, approved or refused by its
-- regulator. While one is approved and running, the sensor's alarm transitions are counted here
-- instead of raised.
CREATE TABLE alarm_suppressions (
    id                INTEGER PRIMARY KEY,
    sensor_id         INTEGER NOT NULL REFERENCES sensors(id),
    enterprise_id     INTEGER NOT NULL REFERENCES enterprises(id),
    kind              TEXT NOT NULL CHECK (kind IN ('shelve', 'maintenance')),
    reason            TEXT NOT NULL,
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL CHECK (ends_at > starts_at),
    state             TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'cancelled')),
    requested_by      INTEGER NOT NULL REFERENCES users(id),
    requested_at      BIGINT NOT NULL,
    decided_by        INTEGER REFERENCES users(id),
    decided_at        BIGINT,
    decision_note     TEXT,
    suppressed_events INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alarm_suppressions_sensor ON alarm_suppressions(sensor_id, state);
CREATE INDEX alarm_suppressions_enterprise ON alarm_suppressions(enterprise_id, state);

-- Tokens an enterprise's gateways write telemetry with (and nothing else); only their SHA-256 is
-- kept.
CREATE TABLE ingest_tokens (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX ingest_tokens_enterprise ON ingest_tokens(enterprise_id);

-- The telemetry log: each accepted batch as one row (its sensors, timestamps and values, each a
-- pco stream), written before the batch is answered. Compaction regroups the log into per-sensor
-- chunks and deletes what it has moved, in one transaction.
CREATE TABLE telemetry_log (
    id            INTEGER PRIMARY KEY,
    first_ts      BIGINT NOT NULL,
    last_ts       BIGINT NOT NULL,
    reading_count INTEGER NOT NULL,
    sensor_ids    BLOB NOT NULL,
    timestamps    BLOB NOT NULL,
    vals          BLOB NOT NULL
);
