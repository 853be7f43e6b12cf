-- Reminders and escalations about hidden-danger deadlines: to the enterprise before its deadline,
-- to the supervising regulator (the county's 应急管理局, or the unit that listed the danger) after.

CREATE TABLE danger_notices (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    kind       TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation')),
    danger_id  INTEGER NOT NULL REFERENCES hidden_dangers(id),
    due_on     TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (unit_id, kind, danger_id, due_on)
);
CREATE INDEX danger_notices_unit ON danger_notices(unit_id);
