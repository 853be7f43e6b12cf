-- A progress report awaiting review may also end without a review: withdrawn by its unit, or
-- superseded when the annual report is accepted. It awaits review while neither `review` nor
-- `closed_as` is set.
ALTER TABLE progress_reports ADD COLUMN closed_as TEXT CHECK (closed_as IN ('withdrawn', 'superseded'));
