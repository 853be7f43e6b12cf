//! The page and API benchmark behind `anwei bench web`: it loads the demo province, spawns the real `anwei serve`, logs in as
//! several roles through the login form (session cookies) and with a bearer token, and drives
//! each main page and API list in turn from `clients` closed-loop clients for `seconds`, keeping
//! every answer's time. `/healthz` (the HTTP stack alone) is driven the same way in the same run,
//! and each page's rate is given as a share of it. With `with_ingest` the same pages are then
//! driven again while telemetry senders load the ingest as `anwei bench ingest` does (closed
//! loop, 10,000 readings a request).
//!
//! A page counts only 200 answers; anything else is an error, reported per page, and the command
//! fails if any page answered with errors (a benchmark of refusals would measure nothing).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use app::{App, Client};
use serde::Serialize;

use crate::crash::batch_body;
use crate::{agent, bench_source, free_port, percentile, sensor_input, serve_command, start_server};

#[derive(Debug, Clone)]
pub struct WebOptions {
    /// Seconds of load on each page.
    pub seconds: u64,
    /// Concurrent closed-loop clients.
    pub clients: usize,
    /// `postgres://…` of an empty database; SQLite in a temporary folder otherwise.
    pub database_url: Option<String>,
    /// Drive the pages a second time with the telemetry load beside them.
    pub with_ingest: bool,
    /// Add the province-sized data set: ten times the demo (30,000 enterprises, 100,000 hidden
    /// dangers, about a million assignment and report rows).
    pub large: bool,
    /// Only these paths (with `/healthz` always); every target when empty.
    pub only: Vec<String>,
    /// Keep the data folder (SQLite database and server key) here instead of a temporary one,
    /// so that its queries can be inspected afterwards; it must not exist yet.
    pub keep_data: Option<PathBuf>,
    pub anwei_exe: PathBuf,
}

/// One page's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PageFigures {
    /// Who asked: a demo account (session cookie), `token` (bearer token) or `anyone`.
    pub who: String,
    pub path: String,
    pub answered: u64,
    /// Answers other than 200, and transport errors.
    pub errors: u64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// `requests_per_s` over `/healthz`'s in the same phase.
    pub share_of_healthz: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebReport {
    pub backend: String,
    pub large: bool,
    pub enterprises: i64,
    pub hidden_dangers: i64,
    pub assignment_rows: i64,
    pub clients: usize,
    pub seconds_each: u64,
    pub alone: Vec<PageFigures>,
    /// The same pages with telemetry beside them (`--with-ingest`).
    pub with_ingest: Vec<PageFigures>,
    /// Readings per second the telemetry senders got acknowledged during that phase.
    pub ingest_readings_per_s: Option<f64>,
}

impl WebReport {
    /// Pages that answered anything but 200.
    pub fn failures(&self) -> Vec<String> {
        self.alone
            .iter()
            .chain(&self.with_ingest)
            .filter(|page| page.errors > 0 || page.answered == 0)
            .map(|page| format!("{} as {}: {} errors of {} answers", page.path, page.who, page.errors, page.answered + page.errors))
            .collect()
    }
}

/// What is driven: (who, path). `who` is a demo account logged in through the form, `token` for
/// the office's bearer token, `anyone` for no credential.
const TARGETS: [(&str, &str); 18] = [
    ("anyone", "/healthz"),
    ("office", "/"),
    ("office", "/enterprises"),
    ("office", "/dangers"),
    ("office", "/assignments"),
    ("office", "/monitoring"),
    ("office", "/inbox"),
    ("changchun", "/"),
    ("changchun", "/enterprises"),
    ("changchun", "/dangers"),
    ("enterprise", "/"),
    ("enterprise", "/dangers"),
    ("inspector", "/enforcement"),
    ("token", "/api/v1/enterprises?per_page=50"),
    ("token", "/api/v1/hidden-dangers"),
    ("token", "/api/v1/assignments"),
    ("token", "/api/v1/alarms"),
    ("token", "/api/v1/inbox"),
];
const INGEST_SENDERS: usize = 2;
const INGEST_BATCH: usize = 10_000;
const INGEST_SENSORS: usize = INGEST_SENDERS * INGEST_BATCH;

/// Logs in as a demo account through the login form; the session cookie.
pub(crate) fn session_cookie(base_url: &str, username: &str) -> anyhow::Result<String> {
    let http: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let response = http
        .post(&format!("{base_url}/login"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("username={username}&password={}", demo::DEMO_PASSWORD))
        .context("POST /login")?;
    let cookie = response.headers().get_all("set-cookie").iter().filter_map(|value| value.to_str().ok()).find(|value| value.starts_with("anwei_session="));
    match (response.status().as_u16(), cookie) {
        (303, Some(cookie)) => Ok(cookie.split(';').next().unwrap_or_default().to_string()),
        (status, _) => bail!("login as {username} answered {status} without a session cookie"),
    }
}

struct Prepared {
    office_token: String,
    ingest_token: String,
    enterprises: i64,
    hidden_dangers: i64,
    assignment_rows: i64,
}

async fn prepare(url: &str, large: bool, with_ingest: bool) -> anyhow::Result<Prepared> {
    let store = store::Store::connect(url).await?;
    store.migrate().await?;
    let app = App::new(store.clone(), Default::default());
    let failed = |e: app::AppError| anyhow::anyhow!("{e:?}");
    demo::load(&app).await.map_err(failed)?;
    if large {
        add_province_sized_data(&app).await?;
    }
    let client = Client::cli();
    let office = app.actor_for_user(&store.user_by_username("office").await?.context("the demo office account")?).await.map_err(failed)?;
    let (office_token, _) = app.issue_token(&office, demo::DEMO_PASSWORD, None, "bench web", &client).await.map_err(failed)?;
    let mut ingest_token = String::new();
    if with_ingest {
        let enterprise = app.actor_for_user(&store.user_by_username("enterprise").await?.context("the demo enterprise account")?).await.map_err(failed)?;
        let enterprise_id = enterprise.enterprise_id.context("the demo enterprise")?;
        let source_id = app.add_hazard_source(&enterprise, &client, &bench_source(enterprise_id, "页面压测罐区")).await.map_err(failed)?;
        let codes: Vec<String> = (0..INGEST_SENSORS).map(ingest_code).collect();
        for codes in codes.chunks(500) {
            let inputs: Vec<_> = codes.iter().map(|code| sensor_input(code.clone(), 3600)).collect();
            app.add_sensors(&enterprise, &client, source_id, &inputs).await.map_err(failed)?;
        }
        ingest_token = app.issue_ingest_token(&enterprise, &client, "bench web").await.map_err(failed)?.1.to_string();
    }
    let size = store.data_set_size().await?;
    let prepared = Prepared {
        office_token,
        ingest_token,
        enterprises: size.enterprises,
        hidden_dangers: size.hidden_dangers,
        assignment_rows: size.assignments + size.progress_reports,
    };
    store.close().await;
    Ok(prepared)
}

/// Ten times the demo: the registry grown to 30,000 enterprises the way the demo makes them, then
/// the hidden dangers and work-plan rows in bulk (`store::bench_data`).
async fn add_province_sized_data(app: &App) -> anyhow::Result<()> {
    let failed = |e: app::AppError| anyhow::anyhow!("{e:?}");
    let inputs = demo::province::registry_inputs(app, LARGE_ENTERPRISES).await.map_err(failed)?;
    let enterprises: Vec<domain::enterprises::Enterprise> =
        inputs.iter().map(domain::enterprises::Enterprise::from_input).collect::<Result<_, _>>().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let event = app::audit_event(
        None,
        &Client::cli(),
        "enterprise.import",
        "enterprises".into(),
        domain::audit::Outcome::Success,
        serde_json::json!({"source": "bench web --large"}),
    );
    app.store.upsert_enterprises(&enterprises, &event).await?;
    let office = app.store.user_by_username("office").await?.context("the demo office account")?;
    let today = domain::time::today();
    let past = today.checked_sub(jiff::Span::new().days(30))?.to_string();
    let future = today.checked_add(jiff::Span::new().days(60))?.to_string();
    let targets = store::bench_data::BenchDataTargets { hidden_dangers: 100_000, plans: 720, tasks_per_plan: 40, units_per_task: 20 };
    app.store.add_bench_data(&targets, office.id, &past, &future).await?;
    Ok(())
}

const LARGE_ENTERPRISES: usize = 30_000;

fn ingest_code(k: usize) -> String {
    format!("WEBING{k:05}")
}

/// Drives `path` with `credential` from `clients` closed-loop clients for `duration`.
fn drive_page(base_url: &str, path: &str, credential: &Credential, clients: usize, duration: Duration) -> (u64, u64, Vec<f64>, f64) {
    let errors = AtomicU64::new(0);
    let started = Instant::now();
    let mut times: Vec<f64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let errors = &errors;
                scope.spawn(move || {
                    let http = agent();
                    let url = format!("{base_url}{path}");
                    let mut times = Vec::new();
                    while started.elapsed() < duration {
                        let asked = Instant::now();
                        let request = http.get(&url);
                        let request = match credential {
                            Credential::Cookie(cookie) => request.header("cookie", cookie),
                            Credential::Bearer(token) => request.header("authorization", &format!("Bearer {token}")),
                            Credential::None => request,
                        };
                        match request.call() {
                            Ok(mut response) => {
                                let ok = response.status().as_u16() == 200;
                                // Read to the end, as a browser does, so that the connection is kept.
                                let read = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_vec().is_ok();
                                if ok && read {
                                    times.push(asked.elapsed().as_secs_f64() * 1000.0);
                                } else {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    times
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_default()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    (times.len() as u64, errors.into_inner(), times, elapsed)
}

enum Credential {
    Cookie(String),
    Bearer(String),
    None,
}

/// Every target once, in order; each page's share is taken of this phase's `/healthz`.
fn drive_all(base_url: &str, credentials: &std::collections::HashMap<&str, Credential>, options: &WebOptions) -> anyhow::Result<Vec<PageFigures>> {
    let mut figures = Vec::new();
    for (who, path) in TARGETS.into_iter().filter(|(_, path)| *path == "/healthz" || options.only.is_empty() || options.only.iter().any(|only| only == path)) {
        let credential = credentials.get(who).with_context(|| format!("no credential for {who}"))?;
        let (answered, errors, times, elapsed) = drive_page(base_url, path, credential, options.clients, Duration::from_secs(options.seconds));
        figures.push(PageFigures {
            who: who.to_owned(),
            path: path.to_owned(),
            answered,
            errors,
            requests_per_s: answered as f64 / elapsed,
            p50_ms: percentile(&times, 0.50),
            p99_ms: percentile(&times, 0.99),
            share_of_healthz: 0.0,
        });
    }
    let healthz = figures.iter().find(|page| page.path == "/healthz").map(|page| page.requests_per_s).unwrap_or(f64::NAN);
    for page in &mut figures {
        page.share_of_healthz = page.requests_per_s / healthz;
    }
    Ok(figures)
}

pub async fn web(options: &WebOptions) -> anyhow::Result<WebReport> {
    if options.seconds == 0 || options.clients == 0 {
        bail!("--seconds and --clients must be at least 1");
    }
    let temporary = tempfile::tempdir()?;
    let data_dir = match &options.keep_data {
        Some(kept) => {
            std::fs::create_dir(kept).with_context(|| format!("--keep-data {}: cannot create a new folder there", kept.display()))?;
            kept.clone()
        }
        None => temporary.path().to_path_buf(),
    };
    let dir = data_dir.as_path();
    let url = options.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.join("anwei.db").display()));
    let prepared = prepare(&url, options.large, options.with_ingest).await?;
    let port = free_port()?;
    let base_url = format!("http://127.0.0.1:{port}");
    let http = agent();
    let _server = start_server(serve_command(&options.anwei_exe, &url, dir, port, "error"), &http, &base_url)?;

    let mut credentials = std::collections::HashMap::new();
    credentials.insert("anyone", Credential::None);
    credentials.insert("token", Credential::Bearer(prepared.office_token.clone()));
    for (who, _) in TARGETS {
        if !credentials.contains_key(who) {
            credentials.insert(who, Credential::Cookie(session_cookie(&base_url, who)?));
        }
    }
    let alone = drive_all(&base_url, &credentials, options)?;

    let mut with_ingest = Vec::new();
    let mut ingest_readings_per_s = None;
    if options.with_ingest {
        let running = AtomicBool::new(true);
        let readings = AtomicU64::new(0);
        let started = Instant::now();
        let base_ms = store::now_ms() - 24 * 3_600_000;
        std::thread::scope(|scope| -> anyhow::Result<()> {
            for sender in 0..INGEST_SENDERS {
                let (running, readings, base_url, token) = (&running, &readings, &base_url, &prepared.ingest_token);
                scope.spawn(move || {
                    let http = agent();
                    let mut round = 0i64;
                    while running.load(Ordering::Relaxed) {
                        let body = batch_body((sender * INGEST_BATCH..(sender + 1) * INGEST_BATCH).map(ingest_code), base_ms + round * 1000);
                        round += 1;
                        let answer = http
                            .post(&format!("{base_url}/api/v1/telemetry"))
                            .header("authorization", &format!("Bearer {token}"))
                            .content_type("text/plain")
                            .send(&body);
                        if let Ok(mut response) = answer
                            && response.status().is_success()
                            && let Some(accepted) = response
                                .body_mut()
                                .read_to_string()
                                .ok()
                                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                                .and_then(|reply| reply["accepted"].as_u64())
                        {
                            readings.fetch_add(accepted, Ordering::Relaxed);
                        }
                    }
                });
            }
            let figures = drive_all(&base_url, &credentials, options);
            running.store(false, Ordering::Relaxed);
            with_ingest = figures?;
            Ok(())
        })?;
        ingest_readings_per_s = Some(readings.into_inner() as f64 / started.elapsed().as_secs_f64());
    }
    Ok(WebReport {
        backend: if url.starts_with("postgres") { "postgres".into() } else { "sqlite".into() },
        large: options.large,
        enterprises: prepared.enterprises,
        hidden_dangers: prepared.hidden_dangers,
        assignment_rows: prepared.assignment_rows,
        clients: options.clients,
        seconds_each: options.seconds,
        alone,
        with_ingest,
        ingest_readings_per_s,
    })
}

/// The report as a table for docs/benchmarks.md.
pub fn markdown(report: &WebReport) -> String {
    let mut out = String::from("| who | page | req/s | share of /healthz | p50 ms | p99 ms |");
    let with = !report.with_ingest.is_empty();
    if with {
        out.push_str(" with ingest: req/s | p99 ms |");
    }
    out.push_str(if with { "\n|---|---|---|---|---|---|---|---|\n" } else { "\n|---|---|---|---|---|---|\n" });
    for (k, page) in report.alone.iter().enumerate() {
        out.push_str(&format!(
            "| {} | `{}` | {:.0} | {:.1} % | {:.1} | {:.1} |",
            page.who,
            page.path,
            page.requests_per_s,
            page.share_of_healthz * 100.0,
            page.p50_ms,
            page.p99_ms
        ));
        if let Some(loaded) = report.with_ingest.get(k) {
            out.push_str(&format!(" {:.0} | {:.1} |", loaded.requests_per_s, loaded.p99_ms));
        }
        out.push('\n');
    }
    out
}
