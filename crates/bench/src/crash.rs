//! The crash harness behind `anwei bench crash`: it runs the real `anwei serve`, drives telemetry
//! batches and business changes (hidden dangers reported over the API) at it from two threads,
//! kills it with SIGKILL at a random moment, starts it again, and checks through the API that
//! every acknowledged reading and change is there and that no batch is half stored (each batch
//! is all there or not at all), then kills it again. At the end the audit log must verify.
//!
//! A batch `k` carries one reading for every sensor at the same time `base + k s`, so a sensor's
//! history tells which batches were stored. After a restart the writer goes on with batches
//! later than any it sent, since a batch that was stored but not acknowledged would now be
//! refused as out of order.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use app::{App, Client};
use serde::Serialize;

use crate::{agent, bench_source, free_port, sensor_input, serve_command, start_server};

#[derive(Debug, Clone)]
pub struct CrashOptions {
    /// How many times the server is killed.
    pub kills: usize,
    /// Sensors in each batch.
    pub sensors: usize,
    /// `postgres://…` of an empty database; SQLite in a temporary folder otherwise.
    pub database_url: Option<String>,
    pub anwei_exe: PathBuf,
    /// Seeds the moments of the kills.
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrashReport {
    pub backend: String,
    pub kills: usize,
    pub sensors: usize,
    pub batches_sent: usize,
    pub batches_acknowledged: usize,
    /// Batches stored though their answer never arrived (killed between commit and answer).
    pub batches_stored_unacknowledged: usize,
    pub readings_acknowledged: usize,
    pub changes_acknowledged: usize,
    /// Acknowledged batches (or changes) missing after a restart: must be 0.
    pub batches_lost: usize,
    pub changes_lost: usize,
    /// Batches of which some readings were stored and others not: must be 0.
    pub batches_half_stored: usize,
    pub restart_ms_p50: f64,
    pub restart_ms_max: f64,
    pub audit_log_verified: bool,
}

fn crash_code(sensor: usize) -> String {
    format!("CRASH{sensor:04}")
}

/// A small deterministic generator for the kill moments (splitmix64).
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, from: u64, to: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        from + (z ^ (z >> 31)) % (to - from)
    }
}

#[derive(Default)]
struct Ledger {
    /// Every batch sent: (batch number, acknowledged).
    batches: Vec<(u64, bool)>,
    /// Hidden dangers whose creation was acknowledged, by id.
    changes: Vec<i64>,
}

pub async fn crash(options: &CrashOptions) -> anyhow::Result<CrashReport> {
    if options.kills == 0 || options.sensors == 0 {
        bail!("--kills and --sensors must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let url = options.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("anwei.db").display()));
    let codes: Vec<String> = (0..options.sensors).map(crash_code).collect();
    let (ingest_token, user_token, enterprise_id) = prepare(&url, &codes, 1, "崩溃测试罐区").await?;
    let base_ms = store::now_ms() - 24 * 3_600_000;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut moments = Moments(options.seed);
    let mut next_batch = 0u64;
    let mut restarts = Vec::new();
    let mut findings = Findings::default();
    let http = agent();
    for kill in 0..=options.kills {
        let port = free_port()?;
        let base_url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let mut server = start_server(serve_command(&options.anwei_exe, &url, dir.path(), port, "error"), &http, &base_url)?;
        restarts.push(started.elapsed().as_secs_f64() * 1000.0);
        // What the runs before acknowledged must all be there now.
        findings = check(&http, &base_url, &user_token, options.sensors, base_ms, &ledger)?;
        if kill == options.kills {
            break;
        }
        let running = Arc::new(AtomicBool::new(true));
        let telemetry = {
            let (running, ledger, base_url, token) = (running.clone(), ledger.clone(), base_url.clone(), ingest_token.clone());
            let (sensors, first) = (options.sensors, next_batch);
            std::thread::spawn(move || send_batches(&base_url, &token, sensors, base_ms, first, &running, &ledger))
        };
        let changes = {
            let (running, ledger, base_url, token) = (running.clone(), ledger.clone(), base_url.clone(), user_token.clone());
            std::thread::spawn(move || report_dangers(&base_url, &token, enterprise_id, kill, &running, &ledger))
        };
        std::thread::sleep(Duration::from_millis(moments.next_ms(150, 1_500)));
        // SIGKILL: no shutdown, no flushing, exactly a power cut for the process.
        server.0.kill().context("cannot kill the server")?;
        let _ = server.0.wait();
        running.store(false, Ordering::Relaxed);
        next_batch = telemetry.join().map_err(|_| anyhow::anyhow!("the telemetry thread panicked"))?;
        changes.join().map_err(|_| anyhow::anyhow!("the change thread panicked"))?;
    }
    let verify = Command::new(&options.anwei_exe)
        .args(["audit", "verify", "--database-url", &url])
        .arg("--data-dir")
        .arg(dir.path())
        .env("ANWEI_LOG", "error")
        .output()
        .context("cannot run anwei audit verify")?;
    let ledger = ledger.lock().map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
    let mut sorted = restarts.clone();
    sorted.sort_by(f64::total_cmp);
    let acknowledged = ledger.batches.iter().filter(|(_, acked)| *acked).count();
    Ok(CrashReport {
        backend: if url.starts_with("postgres") { "postgres".into() } else { "sqlite".into() },
        kills: options.kills,
        sensors: options.sensors,
        batches_sent: ledger.batches.len(),
        batches_acknowledged: acknowledged,
        batches_stored_unacknowledged: findings.batches_stored_unacknowledged,
        readings_acknowledged: acknowledged * options.sensors,
        changes_acknowledged: ledger.changes.len(),
        batches_lost: findings.batches_lost,
        changes_lost: findings.changes_lost,
        batches_half_stored: findings.batches_half_stored,
        restart_ms_p50: crate::percentile(&sorted, 0.5),
        restart_ms_max: sorted.last().copied().unwrap_or(f64::NAN),
        audit_log_verified: verify.status.success(),
    })
}

/// A province, a source with the sensors `codes` (reporting every `interval_s`; values stay in range), an
/// ingest token and an enterprise user's token, and the enterprise's id.
pub(crate) async fn prepare(url: &str, codes: &[String], interval_s: u32, source_name: &str) -> anyhow::Result<(String, String, i64)> {
    let store = store::Store::connect(url).await?;
    store.migrate().await?;
    let app = App::new(store.clone(), Default::default());
    demo::load_with(&app, 2).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let client = Client::cli();
    let user = store.user_by_username("enterprise").await?.context("the demo enterprise account")?;
    let enterprise = app.actor_for_user(&user).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let enterprise_id = enterprise.enterprise_id.context("the demo enterprise")?;
    let source_id = app.add_hazard_source(&enterprise, &client, &bench_source(enterprise_id, source_name)).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for codes in codes.chunks(500) {
        let inputs: Vec<_> = codes.iter().map(|code| sensor_input(code.clone(), interval_s)).collect();
        app.add_sensors(&enterprise, &client, source_id, &inputs).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let (_, ingest_token) = app.issue_ingest_token(&enterprise, &client, "crash").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (user_token, _) = app.issue_token(&enterprise, demo::DEMO_PASSWORD, None, "crash", &client).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    store.close().await;
    Ok((ingest_token.to_string(), user_token, enterprise_id))
}

/// Sends batches from `first` until the server is gone; returns the next batch number to use.
fn send_batches(base_url: &str, token: &str, sensors: usize, base_ms: i64, first: u64, running: &AtomicBool, ledger: &Mutex<Ledger>) -> u64 {
    let http = agent();
    let mut batch = first;
    while running.load(Ordering::Relaxed) {
        let ts = base_ms + batch as i64 * 1000;
        let body = batch_body((0..sensors).map(crash_code), ts);
        let answer =
            http.post(&format!("{base_url}/api/v1/telemetry")).header("authorization", &format!("Bearer {token}")).content_type("text/plain").send(&body);
        let acknowledged = match answer {
            Ok(mut response) if response.status().is_success() => {
                let reply: serde_json::Value = response.body_mut().read_to_string().ok().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
                reply["accepted"].as_u64() == Some(sensors as u64)
            }
            _ => false,
        };
        if let Ok(mut ledger) = ledger.lock() {
            ledger.batches.push((batch, acknowledged));
        }
        batch += 1;
        if !acknowledged {
            break;
        }
    }
    // Later than anything sent, so that a batch stored without its answer does not collide.
    batch + 1
}

/// Reports hidden dangers until the server is gone, recording the acknowledged ones.
fn report_dangers(base_url: &str, token: &str, enterprise_id: i64, kill: usize, running: &AtomicBool, ledger: &Mutex<Ledger>) {
    let http = agent();
    let mut n = 0;
    while running.load(Ordering::Relaxed) {
        let body = serde_json::json!({"enterprise_id": enterprise_id, "location": "崩溃测试", "description": format!("崩溃测试 {kill}-{n}"),
            "source": "self_check", "grade": "general", "responsible_person": "测试"});
        let answer = http
            .post(&format!("{base_url}/api/v1/hidden-dangers"))
            .header("authorization", &format!("Bearer {token}"))
            .content_type("application/json")
            .send(&body.to_string());
        match answer {
            Ok(mut response) if response.status().as_u16() == 201 => {
                let reply: serde_json::Value = response.body_mut().read_to_string().ok().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
                if let (Some(id), Ok(mut ledger)) = (reply["id"].as_i64(), ledger.lock()) {
                    ledger.changes.push(id);
                }
            }
            _ => break,
        }
        n += 1;
    }
}

/// A telemetry batch in the text format: one in-range reading of each sensor at `ts`.
pub(crate) fn batch_body(codes: impl Iterator<Item = String>, ts: i64) -> String {
    codes.enumerate().map(|(i, code)| format!("{code} {}.5 {ts}\n", 40 + i % 10)).collect()
}

/// The batches stored for one sensor (by its history), as batch numbers.
pub(crate) fn stored_batches(http: &ureq::Agent, base_url: &str, token: &str, code: &str, base_ms: i64, last: u64) -> anyhow::Result<BTreeSet<u64>> {
    let mut stored = BTreeSet::new();
    // At most 31 days per request; a batch is a second, so one request covers 2.6 million.
    let to = base_ms + last as i64 * 1000;
    let url = format!("{base_url}/api/v1/sensors/{code}/history?from={base_ms}&to={to}");
    let mut response = http.get(&url).header("authorization", &format!("Bearer {token}")).call().with_context(|| format!("GET {url}"))?;
    if !response.status().is_success() {
        bail!("GET {url}: {}", response.status());
    }
    let history: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
    for point in history["points"].as_array().into_iter().flatten() {
        if let Some(ts) = point[0].as_i64() {
            stored.insert(((ts - base_ms) / 1000) as u64);
        }
    }
    Ok(stored)
}

/// What a check found, over every batch and change so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Findings {
    pub(crate) batches_lost: usize,
    pub(crate) batches_half_stored: usize,
    pub(crate) batches_stored_unacknowledged: usize,
    pub(crate) changes_lost: usize,
}

/// Sorts every batch sent by what is stored of it: all of it, none, or part (`per_sensor` holds
/// the batches each sensor's history shows).
pub(crate) fn classify(batches: &[(u64, bool)], per_sensor: &[BTreeSet<u64>], findings: &mut Findings) {
    let sensors = per_sensor.len();
    for (batch, acknowledged) in batches {
        let present = per_sensor.iter().filter(|stored| stored.contains(batch)).count();
        if present != 0 && present != sensors {
            eprintln!("bench: batch {batch} is half stored: {present} of {sensors} readings");
            findings.batches_half_stored += 1;
        } else if *acknowledged && present == 0 {
            eprintln!("bench: batch {batch} was acknowledged but is missing");
            findings.batches_lost += 1;
        } else if !*acknowledged && present == sensors {
            findings.batches_stored_unacknowledged += 1;
        }
    }
}

/// Checks through the API which batches and changes the server holds: every acknowledged one
/// must be there, and no batch in part.
fn check(http: &ureq::Agent, base_url: &str, token: &str, sensors: usize, base_ms: i64, ledger: &Mutex<Ledger>) -> anyhow::Result<Findings> {
    let ledger = ledger.lock().map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
    let mut findings = Findings::default();
    let Some(last) = ledger.batches.iter().map(|(k, _)| *k).max() else { return Ok(findings) };
    let per_sensor: Vec<BTreeSet<u64>> =
        (0..sensors).map(|s| stored_batches(http, base_url, token, &crash_code(s), base_ms, last)).collect::<anyhow::Result<_>>()?;
    classify(&ledger.batches, &per_sensor, &mut findings);
    findings.changes_lost = missing_changes(http, base_url, token, &ledger.changes);
    Ok(findings)
}

/// How many of the acknowledged hidden dangers `ids` the server does not show.
pub(crate) fn missing_changes(http: &ureq::Agent, base_url: &str, token: &str, ids: &[i64]) -> usize {
    let mut missing = 0;
    for id in ids {
        let url = format!("{base_url}/api/v1/hidden-dangers/{id}");
        let status = http.get(&url).header("authorization", &format!("Bearer {token}")).call().map(|r| r.status().as_u16()).unwrap_or(0);
        if status != 200 {
            eprintln!("bench: hidden danger {id} was acknowledged but answers {status}");
            missing += 1;
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_and_half_stored_batches_are_counted() {
        let stored = |batches: &[u64]| batches.iter().copied().collect::<BTreeSet<u64>>();
        // Batch 0 stored in full; 1 acknowledged but gone; 2 in one sensor of two; 3 stored without
        // its answer; 4 neither stored nor acknowledged.
        let per_sensor = [stored(&[0, 2, 3]), stored(&[0, 3])];
        let mut findings = Findings::default();
        classify(&[(0, true), (1, true), (2, false), (3, false), (4, false)], &per_sensor, &mut findings);
        assert_eq!((findings.batches_lost, findings.batches_half_stored, findings.batches_stored_unacknowledged), (1, 1, 1));
    }
}
