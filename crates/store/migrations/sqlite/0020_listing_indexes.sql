-- Lists walk these indexes in their own order and stop at a page, instead of sorting the scope.
-- The enterprise list: by region, then name.
CREATE INDEX enterprises_listing ON enterprises(region_code, name, id);
-- The alarm list: newest first.
CREATE INDEX alarms_raised ON alarms(raised_at, id);
-- The assignment list: by annual deadline, plan and position, then each task's assignments.
CREATE INDEX plan_tasks_listing ON plan_tasks(annual_due, plan_id, position);
-- The hidden-danger list: soonest deadline first, those without one last.
CREATE INDEX hidden_dangers_due ON hidden_dangers((deadline IS NULL), deadline, id);
