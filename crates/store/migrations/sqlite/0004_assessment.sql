-- The annual assessment (考核): a scheme per assessing office and year (TOML text, validated by
-- domain::assessment), the scores the office enters with evidence, and findings (one-vote vetoes,
-- falsified data) per assessed unit.

CREATE TABLE assessment_schemes (
    id            INTEGER PRIMARY KEY,
    year          INTEGER NOT NULL,
    owner_unit_id INTEGER NOT NULL REFERENCES units(id),
    scheme        TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (owner_unit_id, year)
);

CREATE TABLE assessment_scores (
    scheme_id      INTEGER NOT NULL REFERENCES assessment_schemes(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    indicator_code TEXT NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    evidence       TEXT NOT NULL,
    entered_by     INTEGER NOT NULL REFERENCES users(id),
    entered_at     BIGINT NOT NULL,
    PRIMARY KEY (scheme_id, unit_id, indicator_code)
);

CREATE TABLE assessment_findings (
    id         INTEGER PRIMARY KEY,
    scheme_id  INTEGER NOT NULL REFERENCES assessment_schemes(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    kind       TEXT NOT NULL CHECK (kind IN ('veto', 'falsification')),
    reason     TEXT NOT NULL,
    entered_by INTEGER NOT NULL REFERENCES users(id),
    entered_at BIGINT NOT NULL
);
CREATE INDEX assessment_findings_unit ON assessment_findings(scheme_id, unit_id);
