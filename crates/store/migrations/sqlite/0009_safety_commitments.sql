-- Daily safety commitments (安全承诺): the principal's statement that the key units run safely today,
-- with any exceptions; one per enterprise and day.

CREATE TABLE safety_commitments (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    day           TEXT NOT NULL,
    principal     TEXT NOT NULL,
    statement     TEXT NOT NULL,
    exceptions    TEXT NOT NULL,
    filed_by      INTEGER NOT NULL REFERENCES users(id),
    filed_at      BIGINT NOT NULL,
    PRIMARY KEY (enterprise_id, day)
);
