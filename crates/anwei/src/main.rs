//! The `anwei` binary: configuration (defaults, TOML file, `ANWEI_*` environment, flags), wiring
//! of store, application and web layer, and the operator subcommands.

mod config;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use app::spreadsheet::SpreadsheetFormat;
use app::{App, Client};
use clap::{Args, Parser, Subcommand};
use config::Config;

#[derive(Parser)]
#[command(name = "anwei", version, about = "安委 anwei — work-safety supervision platform (安全生产监管平台)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives: a database URL, or a data folder holding `anwei.db`.
#[derive(Args, Clone, Default)]
struct DataArgs {
    /// Configuration file (TOML).
    #[arg(long)]
    config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(long)]
    database_url: Option<String>,
    /// Folder for the embedded SQLite database.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create (first run) or reopen the demo province on SQLite and serve it.
    Demo {
        #[arg(long)]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Serve in production.
    Serve {
        #[arg(long)]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Load the region tree for one province (six-digit code) or the whole country.
    Regions {
        /// Province code such as 220000; all provinces when omitted.
        #[arg(long)]
        province: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Import records from a file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export records to a file.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Work plans (安委会工作要点): parse a document, import it as tasks.
    Workplan {
        #[command(subcommand)]
        what: WorkplanWhat,
    },
    /// Accidents: `accident grade --deaths N --serious-injuries N --loss-yuan N` prints the
    /// statutory level by 国务院令第493号 as {"level": "一般"|"较大"|"重大"|"特别重大"}.
    Accident {
        #[command(subcommand)]
        what: AccidentWhat,
    },
    /// Whistleblowing rewards by 安监总财〔2018〕19号: `reward compute --kind major_danger --fine-yuan N`
    /// or `reward compute --kind concealed_accident --level 较大 --concealed-deaths N` prints
    /// {"reward_yuan": n}.
    Reward {
        #[command(subcommand)]
        what: RewardWhat,
    },
    /// Grade a risk: `risk lec L E C` or `risk matrix L S`; prints {"score", "level", "color"}.
    Risk {
        #[command(subcommand)]
        method: RiskMethod,
    },
    /// Major hazard sources by GB 18218-2018.
    Gb18218 {
        #[command(subcommand)]
        what: Gb18218What,
    },
    /// Score alarm quality on simulated telemetry: the fault model and injected incidents run
    /// through the rule engine and through naive threshold alarming; prints one JSON object.
    /// (The demo province streams the same simulator live into its monitor.)
    Simulate {
        /// How many sensors (the demo's six kinds in turn).
        #[arg(long, default_value_t = 600)]
        sensors: usize,
        /// Hours of simulated time.
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// True incidents to inject.
        #[arg(long, default_value_t = 40)]
        incidents: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Benchmarks (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Enforcement: verify a plan's draw, recompute the enterprises' classes and offices.
    Enforcement {
        #[command(subcommand)]
        what: EnforcementWhat,
    },
    /// Audit-log operations.
    Audit {
        #[command(subcommand)]
        what: AuditWhat,
    },
    /// Write a consistent copy of the running SQLite database to FILE (which must not exist),
    /// check it, and anchor the audit log; PostgreSQL is backed up with pg_dump (see README).
    Backup {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Restore an SQLite backup made by `anwei backup` as the configured database (stop the
    /// server first). The backup is checked (integrity, audit chain under the key) before
    /// anything is touched; an existing database is moved aside, never deleted, and only with
    /// --replace. The restore is recorded in the audit log and the anchor starts over from it.
    Restore {
        file: PathBuf,
        /// Move an existing database aside (to `….before-restore-TIME`) and restore over it.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Import enterprises from CSV or XLSX; prints {"imported": n, "rejected": [{"line", "reason"}]}.
    Enterprises {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum ExportWhat {
    /// Export every enterprise to CSV or XLSX (by the file's extension), in the import's columns.
    Enterprises {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum WorkplanWhat {
    /// Parse a plan (.txt in UTF-8/UTF-16/GB18030, Traditional or Simplified, or .docx) into
    /// sections, items and responsibility groups.
    Parse {
        file: PathBuf,
        /// Print the parse as JSON (otherwise as a readable outline).
        #[arg(long)]
        json: bool,
    },
    /// Import a plan as the provincial committee office's plan for YEAR: one task per item, one
    /// assignment per responsible unit. Re-importing the same document changes nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        year: i16,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum RiskMethod {
    /// D = L × E × C with the default bands (> 320 重大, 160–320 较大, 70–160 一般, ≤ 70 低).
    Lec {
        /// Likelihood: 10, 6, 3, 1, 0.5, 0.2 or 0.1.
        #[arg(allow_negative_numbers = true)]
        likelihood: f64,
        /// Exposure: 10, 6, 3, 2, 1 or 0.5.
        #[arg(allow_negative_numbers = true)]
        exposure: f64,
        /// Consequence: 100, 40, 15, 7, 3 or 1.
        #[arg(allow_negative_numbers = true)]
        consequence: f64,
    },
    /// R = L × S on the 5 × 5 matrix with the default bands (20–25 重大, 9–16 较大, 4–8 一般, 1–3 低).
    Matrix {
        /// Likelihood 1–5.
        #[arg(allow_negative_numbers = true)]
        likelihood: f64,
        /// Severity 1–5.
        #[arg(allow_negative_numbers = true)]
        severity: f64,
    },
}

#[derive(Subcommand)]
enum Gb18218What {
    /// Identify and grade one unit: prints {"s", "r", "major", "level"}.
    Assess {
        /// People living within 500 m of the plant boundary.
        #[arg(long)]
        people: u64,
        /// SUBSTANCE=TONNES, SUBSTANCE being a CAS number, a table-1 name or a table-2 code (W2, J1 …),
        /// optionally with further hazard categories: NAME:W2,J3=TONNES.
        #[arg(required = true)]
        chemicals: Vec<String>,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Drive the real HTTP (and with --mqtt the MQTT) ingest of a spawned `anwei serve` with rules
    /// and durable storage; prints one JSON object (rates, server CPU, alarm latency at half load,
    /// bytes per reading, memory per sensor, latest values of every sensor, a 24-hour downsample,
    /// and the peers' rates).
    Ingest {
        #[arg(long, default_value_t = 100_000)]
        sensors: usize,
        /// Seconds of load per phase.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Readings per request.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Client threads.
        #[arg(long, default_value_t = 2)]
        clients: usize,
        /// Alarm probes at half load.
        #[arg(long, default_value_t = 1_000)]
        probes: usize,
        /// Run anwei on this (empty) PostgreSQL database instead of SQLite in a temporary folder.
        #[arg(long)]
        database_url: Option<String>,
        /// Also run the same data into VictoriaMetrics (Debian package) and, with
        /// --postgres-peer, PostgreSQL COPY.
        #[arg(long)]
        peers: bool,
        /// PostgreSQL for the COPY peer (table bench_readings is dropped and recreated).
        #[arg(long)]
        postgres_peer: Option<String>,
        /// Also drive the MQTT ingest (100 readings per message) through a mosquitto of its own
        /// (Debian package mosquitto).
        #[arg(long)]
        mqtt: bool,
        /// Print the JSON object on one line.
        #[arg(long)]
        json: bool,
    },
    /// Kill a spawned `anwei serve` with SIGKILL at random moments while it takes telemetry and
    /// changes, restart it, and check that every acknowledged reading and change survived and no
    /// batch was half stored; exits 2 if anything was lost.
    Crash {
        #[arg(long, default_value_t = 100)]
        kills: usize,
        /// Sensors in each telemetry batch.
        #[arg(long, default_value_t = 20)]
        sensors: usize,
        /// Run anwei on this (empty) PostgreSQL database instead of SQLite in a temporary folder.
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Drive the main pages and API lists of a spawned `anwei serve` on the demo province from
    /// closed-loop clients, one page after another, with `/healthz` in the same run; prints
    /// requests/s and p50/p99 per page (and with --with-ingest the same again with the telemetry
    /// load beside them); exits 2 if a page answered anything but 200.
    Web {
        /// Seconds of load on each page.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// Run anwei on this (empty) PostgreSQL database instead of SQLite in a temporary folder.
        #[arg(long)]
        database_url: Option<String>,
        /// Drive the pages again with two telemetry senders of 10,000 readings a request beside them.
        #[arg(long)]
        with_ingest: bool,
        /// Only this page or API path (as listed in the table; repeatable); /healthz always runs.
        #[arg(long)]
        only: Vec<String>,
        /// Add the province-sized data set first: 30,000 enterprises, 100,000 hidden dangers and
        /// about a million assignment and report rows (bulk benchmark data, not audited).
        #[arg(long)]
        large: bool,
        /// Keep the data folder (database and server key) in this new folder for inspection.
        #[arg(long)]
        keep_data: Option<std::path::PathBuf>,
        /// Print the JSON object on one line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Offer a spawned `anwei serve` twice the ingest rate it sustains, with a flood of page and
    /// API reads and hidden-danger reports beside it; check that it refuses with 429/503 and
    /// `Retry-After`, keeps its memory bounded, loses nothing acknowledged and recovers by
    /// itself; exits 2 if any of that fails.
    Overload {
        /// Seconds of overload (a calibration of a third of that runs first).
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Paced telemetry senders.
        #[arg(long, default_value_t = 32)]
        senders: usize,
        /// Readings in each sender's batch.
        #[arg(long, default_value_t = 100)]
        sensors_per_sender: usize,
        /// Threads reading pages and the API as fast as they are answered.
        #[arg(long, default_value_t = 64)]
        page_clients: usize,
        /// The server's requests_in_flight_max for the run.
        #[arg(long, default_value_t = 32)]
        requests_in_flight_max: usize,
        /// Resident memory the server must stay under, MiB.
        #[arg(long, default_value_t = 1024.0)]
        rss_ceiling_mib: f64,
        /// Run anwei on this (empty) PostgreSQL database instead of SQLite in a temporary folder.
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum AccidentWhat {
    /// The level of an accident from its deaths (the missing included), serious injuries and
    /// direct economic loss: the highest criterion met.
    Grade {
        #[arg(long, default_value_t = 0)]
        deaths: u32,
        #[arg(long, default_value_t = 0)]
        serious_injuries: u32,
        #[arg(long, default_value_t = 0)]
        loss_yuan: u64,
    },
}

#[derive(Subcommand)]
enum RewardWhat {
    /// The reward of a verified tip: 15 % of the fine between ¥3,000 and ¥300,000 for a major
    /// hidden danger or illegal production; per concealed death by level, at most ¥300,000.
    Compute {
        /// `major_danger`, `illegal_production` or `concealed_accident`.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        fine_yuan: Option<i64>,
        /// 一般, 较大, 重大 or 特别重大 (or general, larger, major, especially_major).
        #[arg(long)]
        level: Option<String>,
        #[arg(long)]
        concealed_deaths: Option<i64>,
    },
}

#[derive(Subcommand)]
enum EnforcementWhat {
    /// Repeat a plan's stored draw from its seed and candidates; prints the verdict as JSON and
    /// exits non-zero when the candidates no longer hash to the recorded hash or the draw gives
    /// other items than the plan's.
    VerifyDraw {
        /// The plan's id.
        id: i64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Recompute every enterprise's class and supervising office now (a server does it every
    /// ten minutes); prints the enterprises and the profiles changed.
    Recompute {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum AuditWhat {
    /// Verify the hash chain of the whole audit log; exits non-zero naming the first bad entry.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ANWEI_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(data: &DataArgs, listen: Option<SocketAddr>) -> anyhow::Result<(Config, App)> {
    let (config, store) = open_store(data, listen).await?;
    let sealed = store.seal_legacy_secrets().await.context("sealing stored secrets failed")?;
    if sealed > 0 {
        tracing::info!(sealed, "secrets stored before sealing (second factors, channel addresses) are now sealed");
    }
    let app = App::new(store, config.security.clone())
        .with_risk_bands(config.risk)
        .with_insurance_rules(config.insurance.clone())
        .with_delivery(config.inbox.delivery_settings())
        .with_document_font(config.documents.font.clone())
        .with_monitor_settings(config.monitoring.settings());
    app.load_shipped_checklists().await.map_err(|e| anyhow::anyhow!("loading the shipped checklists failed: {e}"))?;
    Ok((config.clone(), app))
}

/// The configuration and the migrated, keyed store, with nothing written to the audit log or
/// the business data (what `audit verify` needs: it must not add to the log it checks); only
/// migrations and, on first use, the key's fingerprint are written.
async fn open_store(data: &DataArgs, listen: Option<SocketAddr>) -> anyhow::Result<(Config, store::Store)> {
    let config = Config::load(data.config.as_deref(), data.database_url.clone(), data.data_dir.clone(), listen)?;
    let url = config.database_url();
    if let Some(path) = store::sqlite_file(&url)
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create the data folder {}", parent.display()))?;
    }
    if let Some(path) = store::sqlite_file(&url) {
        hold_database_lock(&path)?;
    }
    let store = store::Store::connect(&url).await.with_context(|| format!("cannot open the database ({})", config.redacted_database_url()))?;
    store.migrate().await.context("database migration failed")?;
    let key = server_key(&config, &store).await?;
    if !store.key_matches(&key.fingerprint()).await? {
        bail!("the key file {} is not the key this database was written with: give this process the same key file as the others", config.key_file().display());
    }
    Ok((config, store.with_server_key(&key)))
}

/// The lock file beside an SQLite database. Every process that opens the database holds it
/// shared for its lifetime (`hold_database_lock`); `anwei restore` holds it exclusively, so that
/// it never replaces a database a server has open, and no server opens one being restored.
fn database_lock_file(database: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = PathBuf::from(format!("{}.lock", database.display()));
    // Read-only is enough to lock, so a lock file made by another account (root running a
    // command once) still serves the service's account. Who may lock it is decided by the data
    // folder's own permissions, which should admit the service's account alone.
    let opened = match std::fs::File::open(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => std::fs::File::open(&path),
            created => created,
        },
        other => other,
    };
    opened.with_context(|| format!("cannot open the lock file {}", path.display()))
}

static DATABASE_LOCK: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();

fn hold_database_lock(database: &std::path::Path) -> anyhow::Result<()> {
    let file = database_lock_file(database)?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = DATABASE_LOCK.set(file);
            Ok(())
        }
        Err(std::fs::TryLockError::WouldBlock) => bail!("{} is being restored: wait until `anwei restore` has finished", database.display()),
        Err(std::fs::TryLockError::Error(error)) => Err(error).with_context(|| format!("cannot lock {}.lock", database.display())),
    }
}

/// Files of an SQLite database: the file itself and its write-ahead log and shared memory.
fn sqlite_files(database: &std::path::Path) -> [PathBuf; 3] {
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", database.display()));
    [database.to_owned(), with("-wal"), with("-shm")]
}

/// `anwei restore`: checks the backup, moves the current database aside (with --replace), copies
/// the backup into place, migrates it, records the restore and starts the anchor over.
async fn restore(file: &std::path::Path, replace: bool, data: &DataArgs) -> anyhow::Result<serde_json::Value> {
    let config = Config::load(data.config.as_deref(), data.database_url.clone(), data.data_dir.clone(), None)?;
    let url = config.database_url();
    let Some(target) = store::sqlite_file(&url) else {
        bail!("this is a PostgreSQL database: restore it with pg_restore (see README)");
    };
    if !file.is_file() {
        bail!("the backup {} does not exist", file.display());
    }
    // Check the backup before touching anything.
    let key_text = std::fs::read_to_string(config.key_file())
        .with_context(|| format!("the key file {} is needed to check the backup's audit log", config.key_file().display()))?;
    let key = store::keys::ServerKey::from_hex(&key_text).map_err(|message| anyhow::anyhow!("the key file: {message}"))?;
    let backup = store::Store::connect(&format!("sqlite://{}", file.display())).await?.with_server_key(&key);
    let integrity = backup.integrity_check().await.with_context(|| format!("{} is not an SQLite database", file.display()))?;
    if integrity != "ok" {
        bail!("the backup {} failed its integrity check: {integrity}", file.display());
    }
    // Against the anchors too, up to the backup's end: a backup rewritten before it was restored
    // is refused like a live log would be.
    let verdict = app::audit_anchor::verify(&backup, Some(&config.audit_anchor_file()), app::audit_anchor::Tail::Backup).await?;
    if let Some(problem) = verdict.problem {
        bail!("the backup's audit log does not verify, nothing was restored: {problem}");
    }
    let entries = verdict.entries;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create the data folder {}", parent.display()))?;
    }
    let lock = database_lock_file(&target)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!("{} is open in another anwei process (a server?): stop it before restoring", target.display())
        }
        Err(std::fs::TryLockError::Error(error)) => return Err(error).with_context(|| format!("cannot lock {}.lock", target.display())),
    }
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut moved = Vec::new();
    if target.exists() {
        if !replace {
            bail!("{} exists: stop the server and give --replace to move it aside before restoring", target.display());
        }
        for path in sqlite_files(&target).into_iter().filter(|p| p.exists()) {
            let aside = PathBuf::from(format!("{}.before-restore-{stamp}", path.display()));
            std::fs::rename(&path, &aside).with_context(|| format!("cannot move {} aside", path.display()))?;
            moved.push((path, aside));
        }
    }
    if let Err(error) = backup.backup_to(&target).await {
        // Nothing half-written: the partial copy goes, what was moved aside comes back.
        backup.close().await;
        let _ = std::fs::remove_file(&target);
        for (path, aside) in &moved {
            let _ = std::fs::rename(aside, path);
        }
        return Err(anyhow::anyhow!("restoring failed, the previous database is back in place: {error}"));
    }
    backup.close().await;
    let restored = store::Store::connect(&url).await?.with_server_key(&key);
    restored.migrate().await.context("migrating the restored database failed")?;
    // The anchor recorded heads the restored log may not reach: it is kept aside, and the restore
    // itself is recorded, so that `anwei audit verify` passes and the history stays readable.
    let anchor = config.audit_anchor_file();
    let mut previous_anchor = None;
    if anchor.exists() {
        let aside = PathBuf::from(format!("{}.before-restore-{stamp}", anchor.display()));
        std::fs::rename(&anchor, &aside).with_context(|| format!("cannot move the anchor {} aside", anchor.display()))?;
        previous_anchor = Some(aside.display().to_string());
    }
    let event = app::audit_event(
        None,
        &Client::cli(),
        "system.restore",
        format!("backup:{}", file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
        domain::audit::Outcome::Success,
        serde_json::json!({"restored_entries": entries, "previous_anchor": previous_anchor, "moved_aside": moved.iter().map(|(_, a)| a.display().to_string()).collect::<Vec<_>>()}),
    );
    restored.record_audit(&event).await?;
    // Sessions and tokens in the backup may have been ended or revoked since it was made (a
    // logout, a disabled account): nothing of them comes back; everybody logs in again.
    let ended = app::audit_event(None, &Client::cli(), "system.restore_access_revoked", String::new(), domain::audit::Outcome::Success, serde_json::json!({}));
    let (sessions_ended, tokens_revoked) = restored.revoke_all_access(&ended).await?;
    if let Some(key) = restored.audit_key() {
        app::audit_anchor::write_anchor(&restored, key, &anchor, None).await?;
    }
    let (tail_seq, _) = restored.audit_head().await?;
    restored.close().await;
    Ok(serde_json::json!({
        "restored": target.display().to_string(),
        "from": file.display().to_string(),
        "audit_entries": tail_seq,
        "moved_aside": moved.iter().map(|(_, a)| a.display().to_string()).collect::<Vec<_>>(),
        "previous_anchor": previous_anchor,
        "sessions_ended": sessions_ended,
        "tokens_revoked": tokens_revoked,
    }))
}

/// The server's key from its file. A missing file is created only for a database that holds
/// nothing keyed yet and has no audit anchor (a new installation); otherwise the key must be
/// restored, since a new one could neither verify the audit log nor open the sealed secrets.
async fn server_key(config: &Config, store: &store::Store) -> anyhow::Result<store::keys::ServerKey> {
    let path = config.key_file();
    match std::fs::read_to_string(&path) {
        Ok(text) => store::keys::ServerKey::from_hex(&text).map_err(|message| anyhow::anyhow!("the key file {}: {message}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let anchored = std::fs::metadata(config.audit_anchor_file()).is_ok_and(|meta| meta.len() > 0);
            if anchored || store.has_keyed_data().await? {
                bail!(
                    "the key file {} is missing, but this database was written with a server key: restore the file \
                     (every process of one database needs the same key); a new key could not verify the audit log",
                    path.display()
                );
            }
            let key = store::keys::ServerKey::generate();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path).with_context(|| format!("cannot create the key file {}", path.display()))?;
            std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex()).as_bytes())?;
            file.sync_all()?;
            tracing::warn!(path = %path.display(), "created a new server key: back it up apart from the database, and give every process of this database the same file");
            Ok(key)
        }
        Err(error) => Err(anyhow::anyhow!("cannot read the key file {}: {error}", path.display())),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo { listen, data } => {
            let (config, app) = open(&data, listen).await?;
            if !demo::loaded(&app).await? {
                eprintln!("{}", domain::message!("main.generating_demo_province"));
                demo::load(&app).await.map_err(|e| anyhow::anyhow!("loading the demo failed: {e:?}"))?;
            }
            demo::mark_legacy_sensors(&app).await.map_err(|e| anyhow::anyhow!("marking the demo's sensors failed: {e:?}"))?;
            print_demo_banner(&app, &config).await?;
            // The demo province is alive: simulated sensors report into the monitor.
            app.start_monitoring().await.map_err(|e| anyhow::anyhow!("starting monitoring failed: {e:?}"))?;
            let simulation = app.clone();
            tokio::spawn(async move {
                if let Err(error) = demo::simulator::run_live(simulation, demo::DEMO_SEED).await {
                    tracing::warn!(%error, "the demo's simulated sensors stopped");
                }
            });
            serve(app, &config, true).await?;
        }
        Command::Serve { listen, data } => {
            let (config, app) = open(&data, listen).await?;
            serve(app, &config, false).await?;
        }
        Command::Migrate { data } => {
            let (config, _) = open(&data, None).await?;
            println!("{}", serde_json::json!({"migrated": true, "database": config.redacted_database_url()}));
        }
        Command::Regions { province, data } => {
            let (_, app) = open(&data, None).await?;
            let count = app.load_regions(province.as_deref()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::json!({"regions": count}));
        }
        Command::Import { what: ImportWhat::Enterprises { file, data } } => {
            let format = format_of(&file)?;
            let bytes = read_bounded(&file)?;
            let (_, app) = open(&data, None).await?;
            let actor = app.operator_actor().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let report = app.import_enterprises(&actor, &Client::cli(), format, &bytes).await.map_err(|e| match e {
                app::AppError::BadRequest(message) => anyhow::anyhow!("{}: {message}", file.display()),
                other => anyhow::anyhow!("{other}"),
            })?;
            println!("{}", serde_json::json!({"imported": report.imported, "rejected": report.rejected}));
        }
        Command::Export { what: ExportWhat::Enterprises { file, data } } => {
            let format = format_of(&file)?;
            let (_, app) = open(&data, None).await?;
            let actor = app.operator_actor().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let bytes = app.export_enterprises(&actor, &Client::cli(), &Default::default(), format, false).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(&file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
            println!("{}", serde_json::json!({"written": file.display().to_string()}));
        }
        Command::Workplan { what: WorkplanWhat::Parse { file, json } } => {
            let plan = parse_plan_file(&file)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else {
                print_plan_outline(&plan);
            }
        }
        Command::Workplan { what: WorkplanWhat::Import { file, year, data } } => {
            let text = read_document_text(&file)?;
            let (_, app) = open(&data, None).await?;
            let actor = app.operator_actor().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let report = app.import_plan(&actor, &Client::cli(), &text, year).await.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Accident { what: AccidentWhat::Grade { deaths, serious_injuries, loss_yuan } } => {
            let loss = i64::try_from(loss_yuan).map_err(|_| anyhow::anyhow!("--loss-yuan {loss_yuan} is larger than any loss"))?;
            let level = domain::accidents::grade(deaths, serious_injuries, loss);
            println!("{}", serde_json::json!({"level": level.label_zh(), "key": level.key()}));
        }
        Command::Reward { what: RewardWhat::Compute { kind, fine_yuan, level, concealed_deaths } } => {
            use domain::tips::{RewardBasis, TipKind, reward_yuan};
            let basis = match TipKind::from_key(kind.trim()) {
                Some(TipKind::MajorDanger | TipKind::IllegalProduction) => {
                    RewardBasis::Fine { fine_yuan: fine_yuan.ok_or_else(|| anyhow::anyhow!("--fine-yuan is needed for --kind {kind}"))? }
                }
                Some(TipKind::ConcealedAccident) => {
                    let level = level.as_deref().ok_or_else(|| anyhow::anyhow!("--level is needed for --kind concealed_accident"))?;
                    let level = domain::accidents::AccidentLevel::parse(level.trim())
                        .ok_or_else(|| anyhow::anyhow!("--level {level}: use 一般, 较大, 重大 or 特别重大"))?;
                    let concealed_deaths = concealed_deaths.ok_or_else(|| anyhow::anyhow!("--concealed-deaths is needed for --kind concealed_accident"))?;
                    RewardBasis::ConcealedAccident { level, concealed_deaths }
                }
                _ => anyhow::bail!("--kind {kind}: use major_danger, illegal_production or concealed_accident"),
            };
            let reward = reward_yuan(basis).map_err(|name| anyhow::anyhow!("--{} must not be negative", name.replace('_', "-")))?;
            println!("{}", serde_json::json!({"reward_yuan": reward}));
        }
        Command::Risk { method } => {
            use domain::risk_points::{LecBands, MatrixBands, grade_lec, grade_matrix};
            let graded = match method {
                RiskMethod::Lec { likelihood, exposure, consequence } => grade_lec(likelihood, exposure, consequence, &LecBands::default()),
                RiskMethod::Matrix { likelihood, severity } => grade_matrix(likelihood, severity, &MatrixBands::default()),
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            // Whole scores print as integers (270, not 270.0).
            let score = if graded.score.fract() == 0.0 { serde_json::json!(graded.score as i64) } else { serde_json::json!(graded.score) };
            #[derive(serde::Serialize)]
            struct Printed<'a> {
                score: serde_json::Value,
                level: &'a str,
                color: &'a str,
            }
            println!("{}", serde_json::to_string(&Printed { score, level: graded.level.label_zh(), color: graded.level.color() })?);
        }
        Command::Gb18218 { what: Gb18218What::Assess { people, chemicals } } => {
            let present =
                chemicals.iter().map(|c| domain::gb18218::Present::parse(c)).collect::<Result<Vec<_>, _>>().map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            let assessment = domain::gb18218::assess(&present, people).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            println!("{}", serde_json::to_string(&assessment)?);
        }
        Command::Simulate { sensors, hours, incidents, seed } => {
            if sensors == 0 || sensors > 1_000_000 || hours == 0 || hours > 24 * 31 {
                anyhow::bail!("--sensors must be 1 to 1,000,000 and --hours 1 to 744");
            }
            let score = demo::simulator::score(demo::simulator::template_sensors(sensors), Default::default(), seed, hours, incidents);
            println!("{}", serde_json::to_string(&score)?);
        }
        Command::Bench { what: BenchWhat::Ingest { sensors, seconds, batch, clients, probes, database_url, peers, postgres_peer, mqtt, json } } => {
            if sensors > 1_000_000 || batch > app::monitoring::BATCH_READINGS_MAX || clients > 64 || seconds > 600 || probes > 100_000 {
                anyhow::bail!("bounds: --sensors ≤ 1,000,000, --batch ≤ 100,000, --clients ≤ 64, --seconds ≤ 600, --probes ≤ 100,000");
            }
            let options = bench::IngestOptions {
                sensors,
                seconds,
                batch,
                clients,
                probes,
                database_url,
                peers,
                postgres_peer_url: postgres_peer,
                anwei_exe: std::env::current_exe().context("cannot find the anwei binary")?,
                mqtt,
            };
            let report = bench::ingest(&options).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
        }
        Command::Bench { what: BenchWhat::Web { seconds, clients, database_url, with_ingest, only, large, keep_data, json } } => {
            if seconds > 600 || clients > 256 {
                anyhow::bail!("bounds: --seconds ≤ 600, --clients ≤ 256");
            }
            let options = bench::web::WebOptions {
                seconds,
                clients,
                database_url,
                with_ingest,
                only,
                large,
                keep_data,
                anwei_exe: std::env::current_exe().context("cannot find the anwei binary")?,
            };
            let report = bench::web::web(&options).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{}", bench::web::markdown(&report));
            }
            let failures = report.failures();
            if !failures.is_empty() {
                eprintln!("bench web: {}", failures.join("; "));
                return Ok(ExitCode::from(2));
            }
        }
        Command::Bench { what: BenchWhat::Crash { kills, sensors, database_url, seed } } => {
            if kills > 10_000 || sensors > 1_000 {
                anyhow::bail!("bounds: --kills ≤ 10,000, --sensors ≤ 1,000");
            }
            let options =
                bench::crash::CrashOptions { kills, sensors, database_url, anwei_exe: std::env::current_exe().context("cannot find the anwei binary")?, seed };
            let report = bench::crash::crash(&options).await?;
            println!("{}", serde_json::to_string(&report)?);
            if report.batches_lost + report.batches_half_stored + report.changes_lost > 0 || !report.audit_log_verified {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Bench {
            what: BenchWhat::Overload { seconds, senders, sensors_per_sender, page_clients, requests_in_flight_max, rss_ceiling_mib, database_url },
        } => {
            if seconds > 600 || senders > 256 || sensors_per_sender > 500 || page_clients > 256 || !(1..=100_000).contains(&requests_in_flight_max) {
                anyhow::bail!(
                    "bounds: --seconds ≤ 600, --senders ≤ 256, --sensors-per-sender ≤ 500, --page-clients ≤ 256, --requests-in-flight-max 1 to 100,000"
                );
            }
            let options = bench::overload::OverloadOptions {
                seconds,
                senders,
                sensors_per_sender,
                page_clients,
                requests_in_flight_max,
                rss_ceiling_mib,
                database_url,
                anwei_exe: std::env::current_exe().context("cannot find the anwei binary")?,
            };
            let report = bench::overload::overload(&options).await?;
            println!("{}", serde_json::to_string(&report)?);
            let failures = report.failures(rss_ceiling_mib);
            if !failures.is_empty() {
                eprintln!("bench overload: {}", failures.join("; "));
                return Ok(ExitCode::from(2));
            }
        }
        Command::Backup { file, data } => {
            let (config, store) = open_store(&data, None).await?;
            if !store.backup_to(&file).await.with_context(|| format!("cannot write the backup {}", file.display()))? {
                bail!("this is a PostgreSQL database: back it up with pg_dump -Fc (see README), and keep the key file apart from it");
            }
            let copy = store::Store::connect(&format!("sqlite://{}", file.display())).await?.with_server_key(&server_key(&config, &store).await?);
            let integrity = copy.integrity_check().await?;
            let chain = copy.verify_audit_chain().await?;
            let (tail_seq, _) = copy.audit_head().await?;
            copy.close().await;
            if integrity != "ok" {
                bail!("the backup {} failed its integrity check: {integrity}", file.display());
            }
            let entries = chain.map_err(|problem| anyhow::anyhow!("the backup's audit log does not verify: {problem}"))?;
            if let Some(key) = store.audit_key() {
                app::audit_anchor::write_anchor(&store, key, &config.audit_anchor_file(), None).await?;
            }
            let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!("{}", serde_json::json!({"backup": file.display().to_string(), "bytes": bytes, "audit_entries": entries, "tail_seq": tail_seq}));
        }
        Command::Restore { file, replace, data } => {
            let report = restore(&file, replace, &data).await?;
            println!("{report}");
        }
        Command::Enforcement { what: EnforcementWhat::VerifyDraw { id, data } } => {
            let (_, store) = open_store(&data, None).await?;
            let app = App::new(store, Default::default());
            let verdict = match app.verify_draw(id).await {
                Err(app::AppError::NotFound) => bail!("no inspection plan {id}"),
                other => other?,
            };
            println!("{}", serde_json::to_string(&verdict)?);
            if !verdict.verified {
                eprintln!("the draw of plan {id} does not verify");
                return Ok(ExitCode::from(2));
            }
        }
        Command::Enforcement { what: EnforcementWhat::Recompute { data } } => {
            let (_, store) = open_store(&data, None).await?;
            let app = App::new(store, Default::default());
            let (enterprises, changed) = app.recompute_enforcement_profiles().await?;
            println!("{}", serde_json::json!({"enterprises": enterprises, "changed": changed}));
        }
        Command::Audit { what: AuditWhat::Verify { data } } => {
            let (config, store) = open_store(&data, None).await?;
            let anchor = config.audit_anchor_file();
            let verdict = app::audit_anchor::verify(&store, Some(&anchor), app::audit_anchor::Tail::Live).await?;
            let (seq, tail_hash) = store.audit_head().await?;
            let report = serde_json::json!({
                "ok": verdict.problem.is_none(),
                "entries": verdict.entries,
                "keyed_since": verdict.keyed_since,
                "anchors": verdict.anchors,
                "anchor_file": anchor.display().to_string(),
                "tail_seq": seq,
                "tail_hash": tail_hash,
                "error": verdict.problem.as_ref().map(|problem| problem.to_string()),
            });
            println!("{report}");
            if let Some(problem) = verdict.problem {
                eprintln!("audit log verification failed: {problem}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn format_of(file: &std::path::Path) -> anyhow::Result<SpreadsheetFormat> {
    match SpreadsheetFormat::from_file_name(&file.to_string_lossy()) {
        Some(format) => Ok(format),
        None => bail!("{}: only .csv and .xlsx files are supported", file.display()),
    }
}

fn read_bounded(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
    if size > app::spreadsheet::IMPORT_BYTES_MAX as u64 {
        bail!("{}: the file is larger than {} MB", file.display(), app::spreadsheet::IMPORT_BYTES_MAX >> 20);
    }
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Reads and parses a plan document, refusing oversized files and unreadable encodings.
fn parse_plan_file(file: &std::path::Path) -> anyhow::Result<domain::workplans::ParsedPlan> {
    Ok(domain::workplans::parse(&read_document_text(file)?))
}

/// The text of a plan document, refusing oversized files and unreadable encodings.
fn read_document_text(file: &std::path::Path) -> anyhow::Result<String> {
    let size = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
    if size > app::documents::DOCUMENT_BYTES_MAX as u64 {
        bail!("{}: {}", file.display(), app::documents::DocumentError::TooLarge);
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    app::documents::document_text(&name, &bytes).map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message()))
}

fn print_plan_outline(plan: &domain::workplans::ParsedPlan) {
    println!("{} ({})", plan.title(), plan.year().map(|y| y.to_string()).unwrap_or_else(|| "—".into()));
    for section in plan.sections() {
        println!("{}、{}", section.number(), section.title());
        for item in section.items() {
            println!("  {}. {}", item.number(), item.title());
            for group in item.responsibilities() {
                println!("      牵头 lead: {}", group.lead().join("、"));
                println!("      配合 cooperating: {}", group.cooperating().join("、"));
            }
        }
    }
    for warning in plan.warnings() {
        eprintln!("warning: {warning}");
    }
}

async fn print_demo_banner(app: &App, config: &Config) -> anyhow::Result<()> {
    let line = "=".repeat(72);
    println!("{line}");
    println!("  {} — http://{}", domain::message!("main.demo_province"), config.listen);
    println!("  {}", domain::message!("main.every_demo_password", password = demo::DEMO_PASSWORD));
    println!("{}", domain::message!("main.demonstration_only_never_expose_network"));
    println!("{line}");
    for username in ["office", "yjt", "changchun", "jilinshi", "chaoyang", "inspector", "enterprise", "expert", "sysadmin", "secadmin", "auditor"] {
        if let Some(user) = app.store.user_by_username(username).await? {
            // Who the account is, in Chinese as the province names it: its role and its unit.
            let role = domain::role::Role::parse(&user.role).map_or(user.role.as_str(), |role| role.label_zh());
            let unit = app.store.unit(user.unit_id).await.map(|unit| unit.name).unwrap_or_default();
            let who = format!("{role} · {unit}");
            match &user.totp_secret {
                Some(secret) => println!("  {username:<11} {who}  TOTP secret {secret}"),
                None => println!("  {username:<11} {who}"),
            }
        }
    }
    println!("{line}");
    Ok(())
}

/// The organisation the pages name: as configured, or for the demo province (when nothing is
/// configured) Jilin's committee office, so that a newcomer sees the header as it will look.
fn site_identity(config: &Config, demo: bool) -> anyhow::Result<web::SiteIdentity> {
    let mut identity = config.site.identity()?;
    if demo && identity.organisation_zh.is_empty() {
        identity.organisation_zh = "吉林省安全生产委员会办公室".into();
        identity.organisation_en = "Jilin Provincial Work Safety Committee Office".into();
        identity.hosting_unit_zh = "吉林省应急管理厅(演示)".into();
        identity.hosting_unit_en = "Jilin Department of Emergency Management (demo)".into();
    }
    Ok(identity)
}

async fn serve(app: App, config: &Config, demo: bool) -> anyhow::Result<()> {
    let proxies = web::client_address::Proxies {
        trusted: web::client_address::parse_trusted(&config.trusted_proxies).map_err(|message| anyhow::anyhow!(message))?,
        header: web::client_address::ForwardedHeader::parse(&config.forwarded_header).map_err(|message| anyhow::anyhow!(message))?,
    };
    let settings = web::WebSettings {
        secure_cookies: config.secure_cookies,
        demo_banner: demo,
        proxies,
        requests_in_flight_max: config.requests_in_flight_max,
        site: site_identity(config, demo)?,
    };
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, backend = app.store.backend_name(), "serving");
    // The audit chain's head goes to the anchor file every minute (and once at start), so that a
    // tail cut off the log afterwards is noticed by `anwei audit verify`.
    let anchored = app.store.clone();
    let anchor_file = config.audit_anchor_file();
    tokio::spawn(async move {
        let Some(key) = anchored.audit_key().cloned() else { return };
        let mut last_written = None;
        loop {
            match app::audit_anchor::write_anchor(&anchored, &key, &anchor_file, last_written).await {
                Ok(Some(seq)) => last_written = Some(seq),
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "could not anchor the audit log"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    let cleaner = app.store.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(300)).await;
            if let Err(error) = cleaner.delete_expired_sessions(store::now_ms()).await {
                tracing::warn!(%error, "could not delete expired sessions");
            }
            // Failed logins are remembered for a day, then forgotten (their back-off long over).
            if let Err(error) = cleaner.delete_old_login_failures(store::now_ms() - 86_400_000).await {
                tracing::warn!(%error, "could not forget old failed logins");
            }
        }
    });
    // Work-plan, hidden-danger and tip deadlines: reminders before, escalations after; each notice goes out once, so
    // running hourly (and at start) only sends what has newly fallen due.
    let supervisor = app.clone();
    tokio::spawn(async move {
        loop {
            let today = domain::time::today();
            match supervisor.send_deadline_notices(today).await {
                Ok(sent) if sent > 0 => tracing::info!(sent, "work-plan deadline notices sent"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not send work-plan deadline notices"),
            }
            match supervisor.send_danger_notices(today).await {
                Ok(sent) if sent > 0 => tracing::info!(sent, "hidden-danger deadline notices sent"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not send hidden-danger deadline notices"),
            }
            match supervisor.send_tip_notices(today).await {
                Ok(sent) if sent > 0 => tracing::info!(sent, "tip deadline notices sent"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not send tip deadline notices"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    // Monitoring: every sensor in memory; its schedules (`monitor::schedules`) start below.
    let sensors = app.start_monitoring().await.context("cannot load the sensors")?;
    tracing::info!(sensors, "monitoring started");
    web::webhooks::spawn(
        app.clone(),
        config.monitoring.webhooks.clone(),
        config.monitoring.webhook_secret.clone().map(|secret| secret.0.into_bytes()).unwrap_or_default(),
    );
    // Telemetry over MQTT when `[mqtt]` is configured; it stops with the web server, before the
    // store closes, so that it leaves no message half handled.
    let (stop_mqtt, mqtt_stopped) = tokio::sync::oneshot::channel::<()>();
    let mqtt_ingest = config.mqtt.clone().map(|mqtt_settings| {
        let ingest_app = app.clone();
        tokio::spawn(async move {
            let stopped = async {
                let _ = mqtt_stopped.await;
            };
            if let Err(error) = mqtt::run(ingest_app, mqtt_settings, stopped).await {
                tracing::error!(%error, "MQTT ingest stopped");
            }
        })
    });
    monitor::schedules::spawn(app.monitor.clone());
    app::enforcement::spawn_profile_schedule(app.clone());
    app::inbox::delivery::spawn(app.clone());
    app::inbox::spawn_alarm_escalation_messages(app.clone());
    web::serve(listener, app.clone(), settings, web::HEADER_READ_TIMEOUT, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("the server stopped with an error")?;
    let _ = stop_mqtt.send(());
    if let Some(ingest) = mqtt_ingest
        && tokio::time::timeout(std::time::Duration::from_secs(5), ingest).await.is_err()
    {
        tracing::warn!("the MQTT ingest did not stop within 5 s");
    }
    app.store.close().await;
    Ok(())
}
