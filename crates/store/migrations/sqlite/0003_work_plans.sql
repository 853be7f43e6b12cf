-- Work plans (安委会工作要点): a plan per issuing office and year, one task per numbered item, its
-- responsibility groups, one assignment per responsible unit, progress reports with attachments,
-- 回头看 review rounds that reopen assignments, and notifications (reminders, escalations).
-- Dates are ISO `YYYY-MM-DD` text; times are UTC epoch milliseconds.

CREATE TABLE work_plans (
    id             INTEGER PRIMARY KEY,
    year           INTEGER NOT NULL,
    title          TEXT NOT NULL,
    owner_unit_id  INTEGER NOT NULL REFERENCES units(id),
    region_code    TEXT NOT NULL REFERENCES regions(code),
    source_digest  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (owner_unit_id, year, source_digest)
);

CREATE TABLE plan_tasks (
    id             INTEGER PRIMARY KEY,
    plan_id        INTEGER NOT NULL REFERENCES work_plans(id),
    position       INTEGER NOT NULL,
    section_number TEXT NOT NULL,
    section_title  TEXT NOT NULL,
    item_number    INTEGER NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    half_year_due  TEXT NOT NULL,
    annual_due     TEXT NOT NULL,
    parent_task_id INTEGER REFERENCES plan_tasks(id),
    UNIQUE (plan_id, position)
);
CREATE INDEX plan_tasks_parent ON plan_tasks(parent_task_id);

CREATE TABLE task_groups (
    task_id  INTEGER NOT NULL REFERENCES plan_tasks(id),
    position INTEGER NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (task_id, position)
);

CREATE TABLE assignments (
    id                   INTEGER PRIMARY KEY,
    task_id              INTEGER NOT NULL REFERENCES plan_tasks(id),
    unit_id              INTEGER NOT NULL REFERENCES units(id),
    role                 TEXT NOT NULL CHECK (role IN ('lead', 'cooperating')),
    named_as             TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'reported', 'accepted', 'reopened')),
    half_year_reported   BOOLEAN NOT NULL DEFAULT FALSE,
    annual_reported      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at           BIGINT NOT NULL,
    UNIQUE (task_id, unit_id)
);
CREATE INDEX assignments_unit ON assignments(unit_id);

CREATE TABLE unresolved_units (
    task_id INTEGER NOT NULL REFERENCES plan_tasks(id),
    name    TEXT NOT NULL,
    role    TEXT NOT NULL CHECK (role IN ('lead', 'cooperating')),
    PRIMARY KEY (task_id, name)
);

CREATE TABLE progress_reports (
    id             INTEGER PRIMARY KEY,
    assignment_id  INTEGER NOT NULL REFERENCES assignments(id),
    period         TEXT NOT NULL CHECK (period IN ('half_year', 'annual', 'interim')),
    body           TEXT NOT NULL,
    submitted_by   INTEGER NOT NULL REFERENCES users(id),
    submitted_at   BIGINT NOT NULL,
    review         TEXT CHECK (review IN ('accepted', 'returned')),
    review_comment TEXT,
    reviewed_by    INTEGER REFERENCES users(id),
    reviewed_at    BIGINT
);
CREATE INDEX progress_reports_assignment ON progress_reports(assignment_id);

CREATE TABLE report_attachments (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES progress_reports(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments(report_id);

CREATE TABLE review_rounds (
    id         INTEGER PRIMARY KEY,
    plan_id    INTEGER NOT NULL REFERENCES work_plans(id),
    name       TEXT NOT NULL,
    started_by INTEGER NOT NULL REFERENCES users(id),
    started_at BIGINT NOT NULL
);

CREATE TABLE reopenings (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES review_rounds(id),
    assignment_id INTEGER NOT NULL REFERENCES assignments(id),
    reason        TEXT NOT NULL,
    reopened_by   INTEGER NOT NULL REFERENCES users(id),
    reopened_at   BIGINT NOT NULL
);
CREATE INDEX reopenings_assignment ON reopenings(assignment_id);

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    kind          TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation', 'returned', 'reopened')),
    assignment_id INTEGER NOT NULL REFERENCES assignments(id),
    due_on        TEXT NOT NULL,
    message       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    read_at       BIGINT,
    UNIQUE (unit_id, kind, assignment_id, due_on)
);
CREATE INDEX notifications_unit ON notifications(unit_id, read_at);
