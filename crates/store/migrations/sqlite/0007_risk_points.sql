-- Risk points (风险点) of an enterprise, each graded by LEC or the risk matrix; the factors are
-- kept so that a grade can be re-derived, and the level is what the grading gave.

CREATE TABLE risk_points (
    id                 INTEGER PRIMARY KEY,
    enterprise_id      INTEGER NOT NULL REFERENCES enterprises(id),
    name               TEXT NOT NULL,
    hazard_type        TEXT NOT NULL,
    controls           TEXT NOT NULL,
    responsible_level  TEXT NOT NULL CHECK (responsible_level IN ('company', 'workshop', 'team', 'post')),
    responsible_person TEXT NOT NULL,
    method             TEXT NOT NULL CHECK (method IN ('lec', 'matrix')),
    factors            TEXT NOT NULL,
    score              DOUBLE PRECISION NOT NULL,
    level              TEXT NOT NULL CHECK (level IN ('major', 'larger', 'general', 'low')),
    created_by         INTEGER NOT NULL REFERENCES users(id),
    created_at         BIGINT NOT NULL
);
CREATE INDEX risk_points_enterprise ON risk_points(enterprise_id);
