-- Checklists (清单制), their filled-in runs and results (a failed item becomes a hidden danger),
-- and campaigns (专项整治) with their target enterprises.

CREATE TABLE checklists (
    id      INTEGER PRIMARY KEY,
    code    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    sector  TEXT NOT NULL,
    purpose TEXT NOT NULL
);

CREATE TABLE checklist_items (
    id           INTEGER PRIMARY KEY,
    checklist_id INTEGER NOT NULL REFERENCES checklists(id),
    position     INTEGER NOT NULL,
    code         TEXT NOT NULL,
    item         TEXT NOT NULL,
    basis        TEXT NOT NULL,
    consequence  TEXT NOT NULL CHECK (consequence IN ('general', 'major')),
    UNIQUE (checklist_id, code)
);

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    checklist_id  INTEGER NOT NULL REFERENCES checklists(id),
    owner_unit_id INTEGER NOT NULL REFERENCES units(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    starts_on     TEXT NOT NULL,
    ends_on       TEXT NOT NULL,
    criteria      TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE campaign_targets (
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    PRIMARY KEY (campaign_id, enterprise_id)
);

CREATE TABLE checklist_runs (
    id            INTEGER PRIMARY KEY,
    checklist_id  INTEGER NOT NULL REFERENCES checklists(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    kind          TEXT NOT NULL CHECK (kind IN ('self_check', 'inspection', 'campaign')),
    campaign_id   INTEGER REFERENCES campaigns(id),
    run_by        INTEGER NOT NULL REFERENCES users(id),
    run_at        BIGINT NOT NULL
);
CREATE INDEX checklist_runs_enterprise ON checklist_runs(enterprise_id);
CREATE INDEX checklist_runs_campaign ON checklist_runs(campaign_id);

CREATE TABLE checklist_results (
    run_id    INTEGER NOT NULL REFERENCES checklist_runs(id),
    item_id   INTEGER NOT NULL REFERENCES checklist_items(id),
    passed    BOOLEAN NOT NULL,
    note      TEXT NOT NULL,
    danger_id INTEGER REFERENCES hidden_dangers(id),
    PRIMARY KEY (run_id, item_id)
);
