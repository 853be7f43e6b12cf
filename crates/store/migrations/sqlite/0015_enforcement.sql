-- Enforcement (执法): the province's jurisdiction policy (rules and frequencies), recorded
-- overrides, chemical-park membership, each enterprise's profile (class, reasons, the one office
-- that supervises it), inspector pools and declared conflicts, annual inspection plans with their
-- auditable draws and items, inspections with checklist answers, photos and penalties, and the
-- leases that let one process of several run a periodic job.

CREATE TABLE enforcement_policy (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    rules       TEXT NOT NULL,
    frequencies TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE chemical_park_enterprises (
    enterprise_id INTEGER PRIMARY KEY REFERENCES enterprises(id),
    park_name     TEXT NOT NULL
);

CREATE TABLE jurisdiction_overrides (
    enterprise_id INTEGER PRIMARY KEY REFERENCES enterprises(id),
    tier          TEXT NOT NULL CHECK (tier IN ('province', 'city', 'county')),
    authority     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    decided_by    INTEGER NOT NULL REFERENCES users(id),
    decided_at    BIGINT NOT NULL
);

CREATE TABLE enforcement_profiles (
    enterprise_id      INTEGER PRIMARY KEY REFERENCES enterprises(id),
    class              TEXT NOT NULL CHECK (class IN ('key', 'general')),
    listed             BOOLEAN NOT NULL,
    reasons            TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('assigned', 'unassigned', 'overlapping')),
    tier               TEXT CHECK (tier IN ('province', 'city', 'county')),
    authority          TEXT,
    office_region_code TEXT REFERENCES regions(code),
    basis              TEXT NOT NULL,
    computed_at        BIGINT NOT NULL,
    CHECK ((status = 'assigned') = (tier IS NOT NULL AND office_region_code IS NOT NULL AND authority IS NOT NULL))
);
CREATE INDEX enforcement_profiles_office ON enforcement_profiles(office_region_code, authority);

-- The units that act as enforcement offices: the emergency management bureau of each tier, and
-- sector departments for their own sector.
CREATE TABLE enforcement_offices (
    unit_id     INTEGER PRIMARY KEY REFERENCES units(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    authority   TEXT NOT NULL,
    UNIQUE (region_code, authority)
);

CREATE TABLE inspector_pool (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    authority     TEXT NOT NULL,
    days_per_year INTEGER NOT NULL CHECK (days_per_year BETWEEN 0 AND 366)
);
CREATE INDEX inspector_pool_office ON inspector_pool(region_code, authority);

CREATE TABLE inspector_conflicts (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    reason        TEXT NOT NULL,
    declared_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, enterprise_id)
);

CREATE TABLE inspection_plans (
    id              INTEGER PRIMARY KEY,
    year            INTEGER NOT NULL,
    region_code     TEXT NOT NULL REFERENCES regions(code),
    tier            TEXT NOT NULL CHECK (tier IN ('province', 'city', 'county')),
    authority       TEXT NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    draw_seed       TEXT NOT NULL,
    draw_input      TEXT NOT NULL,
    draw_input_hash TEXT NOT NULL,
    draw_algorithm  TEXT NOT NULL,
    UNIQUE (year, region_code, authority)
);

CREATE TABLE inspection_plan_items (
    id            INTEGER PRIMARY KEY,
    plan_id       INTEGER NOT NULL REFERENCES inspection_plans(id),
    position      INTEGER NOT NULL,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    reason        TEXT NOT NULL CHECK (reason IN ('key', 'due', 'random')),
    quarter       INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    kind          TEXT NOT NULL CHECK (kind IN ('routine', 'unannounced', 'remote', 'expert_guidance', 'joint')),
    inspectors    TEXT NOT NULL,
    UNIQUE (plan_id, position)
);
CREATE INDEX inspection_plan_items_enterprise ON inspection_plan_items(enterprise_id);

CREATE TABLE inspections (
    id                 INTEGER PRIMARY KEY,
    plan_item_id       INTEGER UNIQUE REFERENCES inspection_plan_items(id),
    enterprise_id      INTEGER NOT NULL REFERENCES enterprises(id),
    tier               TEXT NOT NULL CHECK (tier IN ('province', 'city', 'county')),
    office_region_code TEXT NOT NULL REFERENCES regions(code),
    kind               TEXT NOT NULL CHECK (kind IN ('routine', 'unannounced', 'remote', 'expert_guidance', 'joint')),
    inspected_on       TEXT NOT NULL,
    checklist_id       INTEGER REFERENCES checklists(id),
    summary            TEXT NOT NULL,
    inspectors         TEXT NOT NULL,
    signed_by          TEXT NOT NULL,
    recorded_by        INTEGER NOT NULL REFERENCES users(id),
    recorded_at        BIGINT NOT NULL
);
CREATE INDEX inspections_enterprise ON inspections(enterprise_id, inspected_on);
CREATE INDEX inspections_office ON inspections(office_region_code, inspected_on);

CREATE TABLE inspection_answers (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    item_id       INTEGER NOT NULL REFERENCES checklist_items(id),
    passed        BOOLEAN NOT NULL,
    note          TEXT NOT NULL,
    danger_id     INTEGER REFERENCES hidden_dangers(id),
    PRIMARY KEY (inspection_id, item_id)
);

CREATE TABLE inspection_photos (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content       BLOB NOT NULL
);
CREATE INDEX inspection_photos_inspection ON inspection_photos(inspection_id);

CREATE TABLE enforcement_penalties (
    id              INTEGER PRIMARY KEY,
    inspection_id   INTEGER NOT NULL REFERENCES inspections(id),
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises(id),
    legal_basis     TEXT NOT NULL,
    amount_yuan     BIGINT NOT NULL CHECK (amount_yuan >= 0),
    decision_number TEXT NOT NULL UNIQUE,
    decided_on      TEXT NOT NULL
);
CREATE INDEX enforcement_penalties_enterprise ON enforcement_penalties(enterprise_id);

CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
