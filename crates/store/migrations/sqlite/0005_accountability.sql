-- Accountability measures (约谈, 通报, 警示曝光, 建议提醒, referral) against a unit and, where named,
-- a person, with the reason, the date decided, the follow-up and the outcome.

CREATE TABLE accountability_measures (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('interview', 'notice', 'exposure', 'reminder', 'referral')),
    target_unit_id INTEGER NOT NULL REFERENCES units(id),
    target_person  TEXT NOT NULL,
    reason         TEXT NOT NULL,
    decided_on     TEXT NOT NULL,
    public         BOOLEAN NOT NULL DEFAULT FALSE,
    follow_up      TEXT NOT NULL DEFAULT '',
    outcome        TEXT NOT NULL DEFAULT '',
    created_by     INTEGER NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX accountability_measures_unit ON accountability_measures(target_unit_id);
