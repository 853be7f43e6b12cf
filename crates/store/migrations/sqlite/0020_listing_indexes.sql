-- Lists walk these indexes in their own order and stop at a page, instead of sorting the scope.
-- The enterprise list: by region, then name.
CREATE INDEX enterprises_listing ON enterprises(region_code, name, id);
-- The alarm list: newest first.
CREATE INDEX alarms_raised ON alarms(raised_at, id);
