-- A checklist run as done in the field: when it was started and finished on the device (a run kept
-- offline arrives later than it was done), where (the device's position and its accuracy), who
-- signed for the enterprise and the drawn signature (or that they refused to sign), and the
-- device's own reference for the submission, so that a retried submission is recorded once.
-- A failed item's photos are the photos of the danger it reported (danger_photos).
ALTER TABLE checklist_runs ADD COLUMN started_at BIGINT;
ALTER TABLE checklist_runs ADD COLUMN finished_at BIGINT;
ALTER TABLE checklist_runs ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE checklist_runs ADD COLUMN longitude DOUBLE PRECISION;
ALTER TABLE checklist_runs ADD COLUMN accuracy_m DOUBLE PRECISION;
ALTER TABLE checklist_runs ADD COLUMN signed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE checklist_runs ADD COLUMN signature BYTEA;
ALTER TABLE checklist_runs ADD COLUMN signature_refused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE checklist_runs ADD COLUMN client_ref TEXT;
CREATE UNIQUE INDEX checklist_runs_client_ref ON checklist_runs(run_by, client_ref) WHERE client_ref IS NOT NULL;
