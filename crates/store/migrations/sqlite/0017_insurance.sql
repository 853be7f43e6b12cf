-- Liability insurance (安责险): each enterprise's policies (insurer, number, period, insured
-- persons, cover per death or disability, premium) and the prevention services insurers provide
-- under them. Who is uninsured and whose cover is below the minimum is read from these.

CREATE TABLE insurance_policies (
    id                   INTEGER PRIMARY KEY,
    enterprise_id        INTEGER NOT NULL REFERENCES enterprises(id),
    insurer              TEXT NOT NULL,
    policy_number        TEXT NOT NULL,
    starts_on            TEXT NOT NULL,
    ends_on              TEXT NOT NULL CHECK (ends_on >= starts_on),
    insured_persons      BIGINT NOT NULL CHECK (insured_persons > 0),
    cover_per_death_yuan BIGINT NOT NULL CHECK (cover_per_death_yuan > 0),
    premium_yuan         BIGINT NOT NULL CHECK (premium_yuan > 0),
    recorded_by          INTEGER NOT NULL REFERENCES users(id),
    recorded_at          BIGINT NOT NULL,
    UNIQUE (insurer, policy_number)
);
CREATE INDEX insurance_policies_enterprise ON insurance_policies(enterprise_id, ends_on);

CREATE TABLE insurance_services (
    id          INTEGER PRIMARY KEY,
    policy_id   INTEGER NOT NULL REFERENCES insurance_policies(id),
    served_on   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('risk_assessment', 'hidden_danger_check', 'training', 'drill', 'publicity', 'other')),
    provider    TEXT NOT NULL,
    summary     TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX insurance_services_policy ON insurance_services(policy_id);

-- The credit grade joins the maintained enforcement profile, so every list of enterprises can
-- show it without recomputing records.
ALTER TABLE enforcement_profiles ADD COLUMN credit_grade TEXT NOT NULL DEFAULT 'a' CHECK (credit_grade IN ('a', 'b', 'c', 'd'));

-- A campaign opened in answer to an accident (举一反三) names it; hidden dangers an accident
-- exposed carry source 'accident' and source_ref 'accident:ID'.
ALTER TABLE campaigns ADD COLUMN accident_id INTEGER REFERENCES accidents(id);
