//! anwei's persistence. `Store` is the one interface to the database; it holds either an SQLite
//! or a PostgreSQL pool, and most SQL texts serve both (SQLite accepts `$1` placeholders).
//! Only this crate knows SQL.
//!
//! Invariant: every operation that changes business data takes the `AuditEvent` describing the
//! change and appends it to the hash-chained audit log in the same transaction, so a change is
//! never stored without its audit entry, nor an audit entry without its change.

mod accidents;
mod accountability;
mod accounts;
mod assessment;
mod audit;
pub mod bench_data;
mod checklists;
mod commitments;
pub mod copy_peer;
mod enforcement;
mod enterprises;
mod experts;
mod hidden_dangers;
mod inbox;
mod insurance;
pub mod keys;
mod monitoring;
mod regions;
mod risk_points;
mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
mod tips;
mod units;
mod workplans;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use accidents::{AccidentMeasureRow, AccidentRow, AccidentUpdateRow, CreditEntryRow, NewAccident};
pub use accountability::{MeasureRow, NewMeasure};
pub use accounts::{AccountChange, ApiTokenRow, NewUser, UserListPage, UserListRow, UserRow};
pub use assessment::{AssignmentFacts, FindingRow, SchemeRow, ScoreRow};
pub use audit::{AuditFilter, AuditPage};
pub use checklists::{
    CampaignCityRow, CampaignRow, ChecklistItemRow, ChecklistResultRow, ChecklistRow, ChecklistRunRow, FieldRecord, NewCampaign, NewChecklistItem, NewRun,
    NewRunResult,
};
pub use commitments::{CommitmentFiling, CommitmentRow, MissingCommitment};
pub use enforcement::{
    CityCoverageRow, ConflictRow, CoverageRow, EnforcementFactsRow, EnterpriseRef, InspectionPhotoRow, InspectionPlanRow, InspectionRow, JurisdictionCounts,
    JurisdictionExceptionRow, KeyCoverageRow, NewInspection, NewInspectionPlan, NewPenalty, NewProfile, OverrideRow, PenaltyRow, PlanItemRow, PoolInspectorRow,
    ProfileKey, ProfileRow,
};
pub use enterprises::{EnterpriseFilter, EnterprisePage, EnterpriseSummary, StoredEnterprise, UpsertOutcome};
pub use experts::{ExpertRow, ServiceRow};
pub use hidden_dangers::{DangerEventRow, DangerFilter, DangerMove, DangerNotice, DangerOverview, DangerPhotoRow, DangerRow, NewDanger};
pub use inbox::{
    CHANNEL_REMOVED, ChannelCode, ChannelVerification, DELIVERIES_TAKEN_MAX, DeliveryCounts, DeliveryRow, InboxChannelRow, InboxMessageRow,
    MESSAGES_PER_PAGE_MAX, UnitPost,
};
pub use insurance::{COVERAGE_ROWS_MAX, InsuranceCoverageRow, InsurancePolicyRow, InsuranceServiceRow};
pub use monitoring::{
    AlarmChange, AlarmFilter, AlarmKpiRow, AlarmRow, ChemicalRow, ChunkRow, HazardSourceRow, LogRow, NewChemical, NewChunk, NewHazardSource, NewLogEntry,
    NewSensor, NewSuppression, SensorRow, SuppressionRow,
};
pub use regions::RegionCount;
pub use risk_points::{NewRiskPoint, RegionRiskCount, RiskPointRow};
pub use sessions::SessionRow;
pub use tips::{NewTip, TIPS_LISTED_MAX, TipDisclosureRow, TipMessageRow, TipNotice, TipRow};
pub use units::{NewUnit, UnitRow};
pub use workplans::{
    AssignmentFilter, AssignmentRow, AttachmentRow, NewAssignment, NewAttachment, NewNotification, NewPlan, NewTask, NotificationRow, PlanRow, ReopeningRow,
    ReportDecision, ReportRow, StatusChange, TaskRow, UnresolvedRow,
};

/// Migrations embedded at build time, one folder per backend with the same versions.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL '{0}': use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("not found")]
    NotFound,
    #[error("conflict: {}", .0.code)]
    Conflict(domain::message::Message),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> domain::message::Message {
        match self {
            Self::UnsupportedUrl(v0) => domain::message!("store.store_error.unsupported_url", v0 = v0),
            Self::NotFound => domain::message!("common.not_found"),
            Self::Conflict(message) => message.clone(),
            other => domain::message!("common.internal", detail = other),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    /// A stored value that does not decode into its type (a state no variant names, say) is
    /// damaged data, reported as such rather than read as a default.
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::ColumnDecode { index, source } => StoreError::Corrupt(format!("column {index}: {source}")),
            other => StoreError::Database(other),
        }
    }
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// SQLite's connections: one writer, through which every write goes (so writers queue in the
/// pool, in order, instead of spinning on the database lock), and readers beside it that refuse
/// to write (`query_only`). In WAL mode a reader never waits for the writer, so pages are not
/// held up behind telemetry commits.
#[derive(Debug, Clone)]
struct SqlitePools {
    writer: SqlitePool,
    reader: SqlitePool,
}

/// SQLite's reading connections (the writer is one).
const SQLITE_READERS: u32 = 8;

/// The database, cheap to clone (pools are shared).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// The audit chain's key; without one, entries are appended unkeyed (tests of the plain
    /// chain, and databases from before keying).
    audit_key: Option<std::sync::Arc<domain::audit::AuditKey>>,
    /// Seals secret columns at rest; without one they are stored as they are.
    sealer: Option<keys::Sealer>,
    /// Changes this process has committed that figures show (every audited change to records, not
    /// the entries that only log a login or a refusal, and the rule engine's alarm transitions): figures kept in memory are valid for one count
    /// (`changes_committed`), so that a change made here shows at once.
    changes_committed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// A write transaction that appends to the audit chain: the transaction itself (what `&mut *tx`
/// reaches, as with a plain one) and the chain's key for `append_audit!`.
pub(crate) struct AuditedTransaction<'c, DB: sqlx::Database> {
    pub(crate) transaction: sqlx::Transaction<'c, DB>,
    pub(crate) audit_key: Option<std::sync::Arc<domain::audit::AuditKey>>,
}

impl<DB: sqlx::Database> std::ops::Deref for AuditedTransaction<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &Self::Target {
        &self.transaction
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for AuditedTransaction<'_, DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.transaction
    }
}

/// Runs `$body`, which only reads, with `$pool` bound to the backend's pool (SQLite: the
/// readers, which refuse writes); the body is compiled once per backend.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($crate::SqlitePools { reader: $pool, .. }) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body`, which writes outside a transaction (one statement), with `$pool` bound to the
/// backend's pool (SQLite: the writer).
macro_rules! with_writer {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($crate::SqlitePools { writer: $pool, .. }) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in a write transaction bound to `$tx` and commits it if the body returns `Ok`.
/// SQLite transactions start `IMMEDIATE` so that a read followed by a write cannot fail to upgrade
/// its lock; PostgreSQL takes the audit chain's advisory lock, which serialises appends across
/// processes.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        $crate::in_transaction!($store, |$tx| $body, counts_change = true)
    };
    // `counts_change = false`: an entry that changes nothing figures show (a login, a refusal).
    ($store:expr, |$tx:ident| $body:expr, counts_change = $counts:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite(pools) => {
                let mut $tx =
                    $crate::AuditedTransaction { transaction: pools.writer.begin_with("BEGIN IMMEDIATE").await?, audit_key: $store.audit_key.clone() };
                let result: $crate::Result<_> = async { $body }.await;
                match result {
                    Ok(value) => {
                        $tx.transaction.commit().await?;
                        if $counts {
                            $store.count_change();
                        }
                        Ok(value)
                    }
                    Err(error) => Err(error),
                }
            }
            $crate::Backend::Postgres(pool) => {
                let mut $tx = $crate::AuditedTransaction { transaction: pool.begin().await?, audit_key: $store.audit_key.clone() };
                sqlx::query("SELECT pg_advisory_xact_lock(7266001)").execute(&mut *$tx).await?;
                let result: $crate::Result<_> = async { $body }.await;
                match result {
                    Ok(value) => {
                        $tx.transaction.commit().await?;
                        if $counts {
                            $store.count_change();
                        }
                        Ok(value)
                    }
                    Err(error) => Err(error),
                }
            }
        }
    };
}

/// Runs `$body` in a write transaction bound to `$tx` that does not touch the audit chain
/// (telemetry and the rule engine's machine records), so it takes no advisory lock.
macro_rules! in_plain_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite(pools) => {
                let mut $tx = pools.writer.begin_with("BEGIN IMMEDIATE").await?;
                let result: $crate::Result<_> = async { $body }.await;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
            $crate::Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let result: $crate::Result<_> = async { $body }.await;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
        }
    };
}

pub(crate) use {in_plain_transaction, in_transaction, with_pool, with_writer};

/// How often the background checkpointer folds SQLite's write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// A write-ahead log longer than this many pages (64 MiB of 4 KiB pages) is made to start over.
const WAL_RESTART_FRAMES: i64 = 16_384;

/// Folds the write-ahead log into the database file every `CHECKPOINT_EVERY` without blocking
/// writers or readers (`PASSIVE`), until the pool closes; a log past `WAL_RESTART_FRAMES` is made
/// to start over from its beginning (`RESTART`), so it stays bounded.
async fn checkpoint_in_background(pool: SqlitePool) {
    while !pool.is_closed() {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if pool.is_closed() {
            break;
        }
        // (busy, frames in the log, frames checkpointed)
        let passive: std::result::Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await;
        match passive {
            // Under steady writing a passive checkpoint rarely catches up with the last commit,
            // and only one that has lets the log start over: once it is long, wait for writers
            // briefly (most of it is copied already) so that it does.
            Ok((_, frames, _)) if frames > WAL_RESTART_FRAMES => {
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&pool).await {
                    tracing::warn!(%error, frames, "could not restart the write-ahead log");
                }
            }
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => break,
            Err(error) => tracing::warn!(%error, "could not checkpoint the write-ahead log"),
        }
    }
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: every commit is fsynced in the write-ahead log, so what was acknowledged (a
                // telemetry batch, a change) survives a power cut, not only a crash of the process.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Checkpoints run in the background (below), not in whichever commit crosses the
                // threshold, so that no writer waits while the log is copied into the database.
                .pragma("wal_autocheckpoint", "0")
                .pragma("journal_size_limit", "67108864");
            let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
            // Readers open the database the writer has set up (the log's mode is kept in the file).
            let reader_options = options.create_if_missing(false).pragma("query_only", "ON");
            let reader = SqlitePoolOptions::new().max_connections(SQLITE_READERS).connect_with(reader_options).await?;
            tokio::spawn(checkpoint_in_background(writer.clone()));
            Ok(Self { backend: Backend::Sqlite(SqlitePools { writer, reader }), audit_key: None, sealer: None, changes_committed: Default::default() })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_with(options).await?;
            Ok(Self { backend: Backend::Postgres(pool), audit_key: None, sealer: None, changes_committed: Default::default() })
        } else {
            Err(StoreError::UnsupportedUrl(url.chars().take(16).collect::<String>() + "…"))
        }
    }

    /// The same store keyed by the server's key: audit entries get keyed hashes and secret
    /// columns are sealed.
    pub fn with_server_key(self, key: &keys::ServerKey) -> Self {
        Self { audit_key: Some(std::sync::Arc::new(key.audit_key())), sealer: Some(key.sealer()), ..self }
    }

    /// The key (64 hex digits) a person's browser encrypts what it keeps on the device with (a
    /// check waiting for a connection), derived from the server's key and the person: their
    /// pages carry it, so another person signed in on the same phone cannot read it. None when
    /// the store has no server key.
    pub fn device_key(&self, user_id: i64) -> Option<String> {
        self.sealer.as_ref().map(|sealer| sealer.lookup_hash("kept on a device", &user_id.to_string()))
    }

    /// Records the key's fingerprint on first use (several processes may race: one wins) and
    /// tells whether the database was written with this key.
    pub async fn key_matches(&self, fingerprint: &str) -> Result<bool> {
        with_writer!(self, |pool| {
            sqlx::query("INSERT INTO server_settings (name, value) VALUES ('key_fingerprint', $1) ON CONFLICT (name) DO NOTHING")
                .bind(fingerprint)
                .execute(pool)
                .await?;
            let stored: String = sqlx::query_scalar("SELECT value FROM server_settings WHERE name = 'key_fingerprint'").fetch_one(pool).await?;
            Ok(stored == fingerprint)
        })
    }

    /// How many changes that figures show this process has committed since it started.
    pub fn changes_committed(&self) -> u64 {
        self.changes_committed.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn count_change(&self) {
        self.changes_committed.fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// The audit chain's key, if the store has one.
    pub fn audit_key(&self) -> Option<&domain::audit::AuditKey> {
        self.audit_key.as_deref()
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(pools) => SQLITE_MIGRATIONS.run(&pools.writer).await?,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// SQLite's journal mode and foreign-key setting, for checks that the pool is set up right.
    pub async fn sqlite_pragmas(&self) -> Result<Option<(String, bool)>> {
        match &self.backend {
            Backend::Sqlite(pools) => {
                let mut settings = None;
                for pool in [&pools.writer, &pools.reader] {
                    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await?;
                    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(pool).await?;
                    if settings.as_ref().is_some_and(|seen| *seen != (mode.clone(), foreign_keys == 1)) {
                        return Err(StoreError::Database(sqlx::Error::Configuration("the reading connections differ from the writer".into())));
                    }
                    settings = Some((mode, foreign_keys == 1));
                }
                Ok(settings)
            }
            Backend::Postgres(_) => Ok(None),
        }
    }

    /// Test support: runs raw SQL, as an attacker with database access would, to check that
    /// tampering is detected. Not in the production binary (feature `testing`).
    #[cfg(feature = "testing")]
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64> {
        with_writer!(self, |pool| Ok(sqlx::query(trusted(sql)).execute(pool).await?.rows_affected()))
    }

    /// Runs a query that yields one number, for tests that check what is stored.
    #[cfg(feature = "testing")]
    pub async fn count_for_tests(&self, sql: &str) -> Result<i64> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar(trusted(sql)).fetch_one(pool).await?))
    }

    /// Folds SQLite's write-ahead log into the database file (no-op on PostgreSQL), so that file
    /// sizes tell what the data takes.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Backend::Sqlite(pools) = &self.backend {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pools.writer).await?;
        }
        Ok(())
    }

    /// SQLite: the bytes of the database's pages in use (pages less free pages, after folding the
    /// write-ahead log in), which is what the data takes; None on PostgreSQL.
    pub async fn bytes_in_use(&self) -> Result<Option<i64>> {
        let Backend::Sqlite(pools) = &self.backend else { return Ok(None) };
        self.checkpoint().await?;
        let pool = &pools.reader;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(pool).await?;
        let free: i64 = sqlx::query_scalar("PRAGMA freelist_count").fetch_one(pool).await?;
        let page_size: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(pool).await?;
        Ok(Some((pages - free) * page_size))
    }

    /// Writes a consistent copy of an SQLite database to `path` while it is in use (`VACUUM
    /// INTO`: one read transaction, so the copy is the state of one moment, every acknowledged
    /// commit before it included). The file must not exist. PostgreSQL is backed up with
    /// `pg_dump`; there this is `Ok(false)`.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(pools) => {
                if path.exists() {
                    return Err(StoreError::Conflict(domain::message!("store.backup_exists", path = path.display())));
                }
                // A connection of its own: the readers refuse `VACUUM INTO` (it writes a file), and
                // the writer must stay free for the writes that go on while the copy is made.
                let options = (*pools.reader.connect_options()).clone().pragma("query_only", "OFF");
                let mut connection = sqlx::ConnectOptions::connect(&options).await?;
                let copied = sqlx::query("VACUUM INTO $1").bind(path.to_string_lossy().into_owned()).execute(&mut connection).await;
                sqlx::Connection::close(connection).await?;
                copied?;
                Ok(true)
            }
            Backend::Postgres(_) => Ok(false),
        }
    }

    /// SQLite's integrity check (`PRAGMA integrity_check`): `ok`, or the first problems found.
    pub async fn integrity_check(&self) -> Result<String> {
        match &self.backend {
            Backend::Sqlite(pools) => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(10)").fetch_all(&pools.reader).await?;
                Ok(rows.join("; "))
            }
            Backend::Postgres(_) => Ok("ok".into()),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pools) => {
                pools.reader.close().await;
                pools.writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// How big the data set is, for benchmarks that report what they ran on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataSetSize {
    pub enterprises: i64,
    pub hidden_dangers: i64,
    pub assignments: i64,
    pub progress_reports: i64,
}

impl Store {
    /// Row counts of the tables whose size the pages feel (a full count: for benchmarks, not pages).
    pub async fn data_set_size(&self) -> Result<DataSetSize> {
        with_pool!(self, |pool| {
            let (enterprises, hidden_dangers, assignments, progress_reports): (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM enterprises), (SELECT COUNT(*) FROM hidden_dangers), \
                 (SELECT COUNT(*) FROM assignments), (SELECT COUNT(*) FROM progress_reports)",
            )
            .fetch_one(pool)
            .await?;
            Ok(DataSetSize { enterprises, hidden_dangers, assignments, progress_reports })
        })
    }
}

/// Maps a unique-constraint violation to `Conflict`, leaving other errors as they are.
pub(crate) fn conflict_on_unique(error: sqlx::Error, what: domain::message::Message) -> StoreError {
    if let sqlx::Error::Database(database_error) = &error
        && database_error.is_unique_violation()
    {
        return StoreError::Conflict(what);
    }
    StoreError::Database(error)
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The file an `sqlite://` URL opens, as the driver reads it (query options dropped, percent
/// escapes decoded); `None` for another kind of URL or one the driver would refuse.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite://") {
        return None;
    }
    SqliteConnectOptions::from_str(url).ok().map(|options| options.get_filename().to_path_buf())
}

pub fn now_ms() -> i64 {
    domain::time::now_ms()
}

/// Marks an SQL text that this crate assembled from its own constant fragments (never from
/// input; values always travel as bind parameters) as safe to send.
pub(crate) fn trusted(sql: &str) -> sqlx::AssertSqlSafe<&str> {
    sqlx::AssertSqlSafe(sql)
}

/// Visibility over `e` (an enterprise) and `r` (its region) as an SQL condition: `$1` everything,
/// `$2` region path pattern, `$3` one enterprise, bound from `visibility_params`.
pub(crate) const VISIBLE: &str = "($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR e.id = $3)";

/// `VISIBLE` written for one kind of visibility, so that the planner can use the index its
/// condition names (an enterprise's id; a region's path) instead of testing every row against the
/// generic form. It binds the same three parameters in the same order.
pub(crate) fn visible_for(visibility: &domain::access::Visibility) -> &'static str {
    use domain::access::Visibility;
    match visibility {
        Visibility::Everything => "($1 AND $2 IS NULL AND $3 IS NULL)",
        Visibility::RegionSubtree { .. } => "(r.path LIKE $2 AND NOT $1 AND $3 IS NULL)",
        Visibility::Enterprise { .. } => "(e.id = $3 AND NOT $1 AND $2 IS NULL)",
        Visibility::Nothing => "(FALSE AND $1 AND $2 IS NULL AND $3 IS NULL)",
    }
}

/// The three SQL parameters that express a visibility: everything, a region path pattern, an
/// enterprise id. Every scoped query binds them in this order.
pub(crate) fn visibility_params(visibility: &domain::access::Visibility) -> (bool, Option<String>, Option<i64>) {
    use domain::access::Visibility;
    match visibility {
        Visibility::Everything => (true, None, None),
        Visibility::RegionSubtree { path } => (false, Some(format!("{path}%")), None),
        Visibility::Enterprise { enterprise_id } => (false, None, Some(*enterprise_id)),
        Visibility::Nothing => (false, None, None),
    }
}

#[cfg(test)]
mod tests {

    /// A row whose stored state names no state is an error naming the value, never a default.
    #[tokio::test]
    async fn a_stored_value_that_does_not_parse_is_corrupt() {
        use crate::{DangerRow, StoreError, trusted};
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let row = |state: &str| {
            format!(
                "SELECT 1 AS id, 2 AS enterprise_id, 'e' AS enterprise_name, '220104' AS region_code, 'l' AS location, 'd' AS description, \
                 'inspection' AS source, NULL AS source_ref, 'major' AS grade, '{state}' AS state, NULL AS deadline, 'p' AS responsible_person, \
                 NULL AS plan, NULL AS submitted_by, NULL AS listed_by_unit_id, NULL AS listed_deadline, NULL AS listed_notice, \
                 3 AS reported_by, 0 AS created_at, 0 AS updated_at"
            )
        };
        let good: DangerRow = sqlx::query_as(trusted(&row("closed"))).fetch_one(&pool).await.unwrap();
        assert_eq!(good.state, domain::hidden_dangers::DangerState::Closed);
        let bad = sqlx::query_as::<_, DangerRow>(trusted(&row("bogus"))).fetch_one(&pool).await.map_err(StoreError::from);
        match bad {
            Err(StoreError::Corrupt(message)) => assert!(message.contains("state"), "the column is named: {message}"),
            other => panic!("a damaged state must be an error: {other:?}"),
        }
    }
    #[test]
    fn the_sqlite_file_is_the_one_the_driver_opens() {
        let file = |url: &str| super::sqlite_file(url).map(|path| path.display().to_string());
        assert_eq!(file("sqlite:///var/lib/anwei/anwei.db").as_deref(), Some("/var/lib/anwei/anwei.db"));
        assert_eq!(file("sqlite://data/anwei.db?mode=rwc").as_deref(), Some("data/anwei.db"), "options are not part of the name");
        assert_eq!(file("sqlite:///tmp/my%20data/anwei.db").as_deref(), Some("/tmp/my data/anwei.db"), "escapes are decoded");
        assert_eq!(file("postgres://anwei@localhost/anwei"), None);
    }
}
