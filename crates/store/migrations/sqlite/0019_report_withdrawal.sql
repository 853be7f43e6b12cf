-- A progress report awaiting review may also end without a review: withdrawn by its unit, or
-- superseded when the annual report is accepted. It awaits review while neither `review` nor
-- `closed_as` is set.
ALTER TABLE progress_reports ADD COLUMN closed_as TEXT CHECK (closed_as IN ('withdrawn', 'superseded'));

-- Before reports were decided one by one, a review decided only the newest report waiting, and an
-- older one waited for ever on an assignment that had moved on: those are superseded.
UPDATE progress_reports SET closed_as = 'superseded'
 WHERE review IS NULL AND assignment_id IN (SELECT id FROM assignments WHERE status <> 'reported');
