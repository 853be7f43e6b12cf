-- A channel carries messages only once its person has shown it is theirs: a code sent to the
-- address is typed back. Until then it is unverified (verified_at NULL) and no message goes there,
-- so a mistyped address does not receive the province's business. The code is kept as a keyed
-- hash, with when it was sent and how many wrong codes were tried.
ALTER TABLE inbox_channels ADD COLUMN verified_at BIGINT;
ALTER TABLE inbox_channels ADD COLUMN code_hash TEXT;
ALTER TABLE inbox_channels ADD COLUMN code_sent_at BIGINT;
ALTER TABLE inbox_channels ADD COLUMN code_attempts BIGINT NOT NULL DEFAULT 0;
-- Channels chosen before verification existed keep working.
UPDATE inbox_channels SET verified_at = 0;

-- A delivery may carry a text of its own instead of its message's: the code, which the message
-- in the inbox (saying a code was sent) must not show.
ALTER TABLE inbox_deliveries ADD COLUMN own_message TEXT;
