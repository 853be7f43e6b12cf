-- The expert pool (专家库): profiles of expert accounts, their assignments to hidden dangers (to
-- verify rectifications) and to campaigns (to check targets), and the record of their services.

CREATE TABLE experts (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    specialities TEXT NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    updated_at   BIGINT NOT NULL
);

CREATE TABLE expert_assignments (
    id          INTEGER PRIMARY KEY,
    expert_id   INTEGER NOT NULL REFERENCES users(id),
    danger_id   INTEGER REFERENCES hidden_dangers(id),
    campaign_id INTEGER REFERENCES campaigns(id),
    assigned_by INTEGER NOT NULL REFERENCES users(id),
    assigned_at BIGINT NOT NULL,
    CHECK ((danger_id IS NULL) <> (campaign_id IS NULL))
);
CREATE UNIQUE INDEX expert_assignments_danger ON expert_assignments(expert_id, danger_id) WHERE danger_id IS NOT NULL;
CREATE UNIQUE INDEX expert_assignments_campaign ON expert_assignments(expert_id, campaign_id) WHERE campaign_id IS NOT NULL;

CREATE TABLE expert_services (
    id        INTEGER PRIMARY KEY,
    expert_id INTEGER NOT NULL REFERENCES users(id),
    kind      TEXT NOT NULL CHECK (kind IN ('verification', 'campaign_check')),
    reference TEXT NOT NULL,
    summary   TEXT NOT NULL,
    served_at BIGINT NOT NULL
);
CREATE INDEX expert_services_expert ON expert_services(expert_id);
