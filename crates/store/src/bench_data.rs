//! The province-sized data set of `anwei bench web --large`: hidden dangers and work-plan rows
//! added in bulk by the database itself (one statement per table), so that the pages can be
//! measured at ten times the demo. These rows are benchmark data: they are written without audit
//! entries and never into a database that serves anyone.

use crate::{Result, Store, with_writer};

/// How much the data set holds after `add_bench_data`.
#[derive(Debug, Clone, Copy)]
pub struct BenchDataTargets {
    /// Hidden dangers in all.
    pub hidden_dangers: i64,
    /// Work plans added (each office's plans of earlier years).
    pub plans: i64,
    pub tasks_per_plan: i64,
    /// Units assigned to each task (one leads); each assignment gets one progress report.
    pub units_per_task: i64,
}

impl Store {
    /// Adds hidden dangers until there are `targets.hidden_dangers`, spread over every enterprise
    /// and state, and `targets.plans` plans of `tasks_per_plan` tasks assigned to
    /// `units_per_task` units with a report each, owned by the offices in turn. `reporter` is the
    /// user recorded as reporting and submitting; `past` and `future` are ISO dates the deadlines
    /// take (some overdue, some not).
    pub async fn add_bench_data(&self, targets: &BenchDataTargets, reporter: i64, past: &str, future: &str) -> Result<()> {
        let now = crate::now_ms();
        with_writer!(self, |pool| {
            let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hidden_dangers").fetch_one(pool).await?;
            let (first_enterprise, enterprises): (i64, i64) = sqlx::query_as("SELECT MIN(id), COUNT(*) FROM enterprises").fetch_one(pool).await?;
            // Enterprise ids are dense from the first (they were inserted in one run).
            sqlx::query(
                "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $1) \
                 INSERT INTO hidden_dangers (enterprise_id, location, description, source, grade, state, deadline, responsible_person, \
                 reported_by, created_at, updated_at) \
                 SELECT $2 + (k * 7919) % $3, '基准数据区域', '基准数据隐患 ' || k, \
                 CASE k % 3 WHEN 0 THEN 'self_check' WHEN 1 THEN 'inspection' ELSE 'expert' END, \
                 CASE WHEN k % 20 = 0 THEN 'major' ELSE 'general' END, \
                 CASE WHEN k % 10 < 6 THEN 'closed' WHEN k % 10 = 6 THEN 'reported' WHEN k % 10 = 7 THEN 'confirmed' \
                      WHEN k % 10 = 8 THEN 'rectifying' ELSE 'pending_acceptance' END, \
                 CASE WHEN k % 10 = 6 THEN NULL WHEN k % 4 = 0 THEN $4 ELSE $5 END, '基准负责人', $6, $7 - k * 1000, $7 - k * 1000 \
                 FROM n",
            )
            .bind((targets.hidden_dangers - existing).max(0))
            .bind(first_enterprise)
            .bind(enterprises.max(1))
            .bind(past)
            .bind(future)
            .bind(reporter)
            .bind(now)
            .execute(pool)
            .await?;

            let offices: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, region_code FROM units WHERE kind = 'office' AND region_code IS NOT NULL ORDER BY id").fetch_all(pool).await?;
            for k in 0..targets.plans {
                let Some((office, region)) = offices.get(k as usize % offices.len().max(1)) else { break };
                sqlx::query("INSERT INTO work_plans (year, title, owner_unit_id, region_code, source_digest, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(2000 + k / offices.len().max(1) as i64)
                    .bind(format!("基准数据工作要点 {k}"))
                    .bind(office)
                    .bind(region)
                    .bind(format!("bench-data-{k}"))
                    .bind(now)
                    .execute(pool)
                    .await?;
            }
            sqlx::query(
                "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $1) \
                 INSERT INTO plan_tasks (plan_id, position, section_number, section_title, item_number, title, body, half_year_due, annual_due) \
                 SELECT p.id, k, '一', '基准数据', k, '基准数据任务 ' || k, '基准数据任务', $2, $3 \
                 FROM work_plans p CROSS JOIN n WHERE p.source_digest LIKE 'bench-data-%'",
            )
            .bind(targets.tasks_per_plan)
            .bind(past)
            .bind(future)
            .execute(pool)
            .await?;
            sqlx::query(
                "WITH RECURSIVE m(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM m WHERE k < $1 - 1), \
                 assignable AS (SELECT id, name, ROW_NUMBER() OVER (ORDER BY id) - 1 AS ix FROM units WHERE kind IN ('department', 'government')), \
                 counted AS (SELECT COUNT(*) AS n FROM assignable) \
                 INSERT INTO assignments (task_id, unit_id, role, named_as, status, half_year_reported, annual_reported, updated_at) \
                 SELECT t.id, u.id, CASE WHEN m.k = 0 THEN 'lead' ELSE 'cooperating' END, u.name, \
                 CASE (t.id + m.k) % 4 WHEN 0 THEN 'in_progress' WHEN 1 THEN 'reported' ELSE 'accepted' END, \
                 (t.id + m.k) % 4 <> 0, FALSE, $2 \
                 FROM plan_tasks t JOIN work_plans p ON p.id = t.plan_id CROSS JOIN m CROSS JOIN counted \
                 JOIN assignable u ON u.ix = (t.id * 7 + m.k) % counted.n \
                 WHERE p.source_digest LIKE 'bench-data-%'",
            )
            .bind(targets.units_per_task)
            .bind(now)
            .execute(pool)
            .await?;
            sqlx::query(
                "INSERT INTO progress_reports (assignment_id, period, body, submitted_by, submitted_at, review, reviewed_by, reviewed_at) \
                 SELECT a.id, 'half_year', '基准数据:半年进展', $1, $2, CASE WHEN a.status = 'accepted' THEN 'accepted' END, \
                 CASE WHEN a.status = 'accepted' THEN $1 END, CASE WHEN a.status = 'accepted' THEN $2 END \
                 FROM assignments a JOIN plan_tasks t ON t.id = a.task_id JOIN work_plans p ON p.id = t.plan_id \
                 WHERE p.source_digest LIKE 'bench-data-%' AND a.status <> 'in_progress'",
            )
            .bind(reporter)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
