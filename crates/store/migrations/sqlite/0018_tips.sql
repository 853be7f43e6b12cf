-- Whistleblowing (举报): tips with everything a reporter wrote sealed (content, identity, messages,
-- attachments) under the server's key, which is not in the database; the receipt code only as a
-- keyed hash; days, not instants, so that no row lines up with a moment of network traffic. No
-- client address or browser detail is stored anywhere for a tip.

CREATE TABLE tips (
    id               INTEGER PRIMARY KEY,
    receipt_hash     TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('major_danger', 'illegal_production', 'concealed_accident', 'other')),
    region_code      TEXT NOT NULL REFERENCES regions(code),
    enterprise_id    INTEGER REFERENCES enterprises(id),
    sealed_content   TEXT NOT NULL,
    anonymous        BOOLEAN NOT NULL,
    internal         BOOLEAN NOT NULL,
    sealed_identity  TEXT,
    state            TEXT NOT NULL CHECK (state IN ('received', 'accepted', 'verified', 'unfounded', 'duplicate', 'closed')),
    received_on      TEXT NOT NULL,
    accepted_on      TEXT,
    verified_on      TEXT,
    substantiated    BOOLEAN,
    feedback_on      TEXT,
    closed_on        TEXT,
    extended         BOOLEAN NOT NULL DEFAULT FALSE,
    handler_unit_id  INTEGER REFERENCES units(id),
    duplicate_of     INTEGER REFERENCES tips(id),
    danger_id        INTEGER REFERENCES hidden_dangers(id),
    accident_id      INTEGER REFERENCES accidents(id),
    inspection_id    INTEGER REFERENCES inspections(id),
    sealed_outcome   TEXT,
    reward_yuan      BIGINT,
    reward_basis     TEXT,
    reward_approved_by INTEGER REFERENCES users(id),
    reward_approved_on TEXT,
    paying_unit      TEXT,
    reward_paid_on   TEXT,
    reward_paid_by   INTEGER REFERENCES users(id),
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tips_region ON tips(region_code, state);

CREATE TABLE tip_messages (
    id            INTEGER PRIMARY KEY,
    tip_id        INTEGER NOT NULL REFERENCES tips(id),
    from_reporter BOOLEAN NOT NULL,
    author_id     INTEGER REFERENCES users(id),
    sealed_body   TEXT NOT NULL,
    sent_on       TEXT NOT NULL
);
CREATE INDEX tip_messages_tip ON tip_messages(tip_id);

CREATE TABLE tip_attachments (
    id           INTEGER PRIMARY KEY,
    tip_id       INTEGER NOT NULL REFERENCES tips(id),
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sealed_bytes BLOB NOT NULL,
    added_on     TEXT NOT NULL
);
CREATE INDEX tip_attachments_tip ON tip_attachments(tip_id);

-- A named reporter's identity is opened only by a custodian's recorded approval of a handler's
-- request, with both reasons.
CREATE TABLE tip_disclosures (
    id           INTEGER PRIMARY KEY,
    tip_id       INTEGER NOT NULL REFERENCES tips(id),
    requested_by INTEGER NOT NULL REFERENCES users(id),
    reason       TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_by   INTEGER REFERENCES users(id),
    approved     BOOLEAN,
    decision     TEXT,
    decided_at   BIGINT
);
CREATE INDEX tip_disclosures_tip ON tip_disclosures(tip_id);

-- Deadline notices of tips to units: a reminder to the handler before a deadline, an escalation
-- to the office a tier above after it; each goes out once.
CREATE TABLE tip_notices (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    kind       TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation')),
    tip_id     INTEGER NOT NULL REFERENCES tips(id),
    due_on     TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (unit_id, kind, tip_id, due_on)
);
CREATE INDEX tip_notices_unit ON tip_notices(unit_id);
