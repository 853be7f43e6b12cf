-- Hidden dangers (隐患): the record, its state in the closed loop, its rectification plan, who
-- submitted the rectification (who may therefore not accept it), listed supervision (挂牌督办),
-- and the history of every move.

CREATE TABLE hidden_dangers (
    id                 INTEGER PRIMARY KEY,
    enterprise_id      INTEGER NOT NULL REFERENCES enterprises(id),
    location           TEXT NOT NULL,
    description        TEXT NOT NULL,
    source             TEXT NOT NULL CHECK (source IN ('self_check', 'inspection', 'expert', 'campaign', 'tip', 'alarm', 'accident')),
    source_ref         TEXT,
    grade              TEXT NOT NULL CHECK (grade IN ('general', 'major')),
    state              TEXT NOT NULL CHECK (state IN ('reported', 'confirmed', 'planned', 'rectifying', 'pending_acceptance', 'closed')),
    deadline           TEXT,
    responsible_person TEXT NOT NULL,
    plan               TEXT,
    submitted_by       INTEGER REFERENCES users(id),
    listed_by_unit_id  INTEGER REFERENCES units(id),
    listed_deadline    TEXT,
    listed_notice      TEXT,
    reported_by        INTEGER NOT NULL REFERENCES users(id),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX hidden_dangers_enterprise ON hidden_dangers(enterprise_id);
CREATE INDEX hidden_dangers_state ON hidden_dangers(state);

CREATE TABLE hidden_danger_events (
    id         INTEGER PRIMARY KEY,
    danger_id  INTEGER NOT NULL REFERENCES hidden_dangers(id),
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL,
    actor_id   INTEGER NOT NULL REFERENCES users(id),
    at         BIGINT NOT NULL
);
CREATE INDEX hidden_danger_events_danger ON hidden_danger_events(danger_id);
