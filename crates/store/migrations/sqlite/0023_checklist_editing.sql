-- Checklists a unit writes itself (the shipped ones have no owner and are not edited), and items
-- an edit removed that past checks answered: kept for those records, left out of new checks.
ALTER TABLE checklists ADD COLUMN owner_unit_id INTEGER REFERENCES units(id);
ALTER TABLE checklist_items ADD COLUMN retired BOOLEAN NOT NULL DEFAULT FALSE;

-- The photos a check took of a failed item are the reported danger's photos; the check's record
-- shows those it took, not photos added to the danger later.
ALTER TABLE danger_photos ADD COLUMN checklist_run_id INTEGER REFERENCES checklist_runs(id);
