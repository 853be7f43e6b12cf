-- The inbox's messages: one row per person, so that each reads and marks its own; and the
-- deliveries of each message beyond the page (e-mail, SMS, group robots), kept until sent.

-- Who is told what is addressed to a unit: its own people (not the administrators, who keep
-- apart from the business), and for a people's government or a committee office also the
-- committee offices and regulators of the same region, who act for it (`app::policy::acts_for`;
-- a test compares the two).
CREATE VIEW unit_recipients AS
SELECT u.unit_id AS unit_id, u.id AS user_id
FROM users u
WHERE NOT u.disabled AND u.role NOT IN ('system_admin', 'security_admin', 'audit_admin', 'unassigned')
UNION
SELECT t.id AS unit_id, u.id AS user_id
FROM units t
JOIN units own ON own.region_code = t.region_code AND own.id <> t.id
JOIN users u ON u.unit_id = own.id
WHERE t.kind IN ('government', 'office') AND NOT u.disabled AND u.role IN ('committee_office', 'regulator');

CREATE TABLE inbox_messages (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- What it is about, unique per person: the same notice is never told twice.
    topic      TEXT NOT NULL,
    urgent     BOOLEAN NOT NULL,
    message    TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    UNIQUE (user_id, topic)
);
CREATE INDEX inbox_messages_user ON inbox_messages(user_id, id);
CREATE INDEX inbox_messages_unread ON inbox_messages(user_id) WHERE read_at IS NULL;
-- Whether a topic was told (an escalated alarm's, before it is told again).
CREATE INDEX inbox_messages_topic ON inbox_messages(topic);

-- The channels a person chose beyond the page: the address, whether only urgent messages go
-- there, and the language they are written in.
CREATE TABLE inbox_channels (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'wecom', 'dingtalk')),
    address     TEXT NOT NULL,
    urgent_only BOOLEAN NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('zh-CN', 'en')),
    PRIMARY KEY (user_id, channel)
);

CREATE TABLE inbox_deliveries (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL REFERENCES inbox_messages(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'wecom', 'dingtalk')),
    address         TEXT NOT NULL,
    lang            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT
);
CREATE INDEX inbox_deliveries_due ON inbox_deliveries(state, next_attempt_at, id);

-- The notices sent before the inbox kept them per person reach their people unread (once each:
-- a person who acts for two units that got the same notice has it once).
INSERT INTO inbox_messages (user_id, topic, urgent, message, link, created_at)
SELECT r.user_id, 'work_plan:' || n.kind || ':' || n.assignment_id || ':' || n.due_on, n.kind = 'escalation', n.message,
       '/assignments/' || n.assignment_id, n.created_at
FROM notifications n JOIN unit_recipients r ON r.unit_id = n.unit_id WHERE true
ON CONFLICT (user_id, topic) DO NOTHING;
INSERT INTO inbox_messages (user_id, topic, urgent, message, link, created_at)
SELECT r.user_id, 'danger:' || n.kind || ':' || n.danger_id || ':' || n.due_on, n.kind = 'escalation', n.message,
       '/dangers/' || n.danger_id, n.created_at
FROM danger_notices n JOIN unit_recipients r ON r.unit_id = n.unit_id WHERE true
ON CONFLICT (user_id, topic) DO NOTHING;
INSERT INTO inbox_messages (user_id, topic, urgent, message, link, created_at)
SELECT r.user_id, 'tip:' || n.kind || ':' || n.tip_id || ':' || n.due_on, n.kind = 'escalation', n.message,
       '/tips/' || n.tip_id, n.created_at
FROM tip_notices n JOIN unit_recipients r ON r.unit_id = n.unit_id WHERE true
ON CONFLICT (user_id, topic) DO NOTHING;
