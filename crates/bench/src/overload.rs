//! The overload harness behind `anwei bench overload`: it runs the real `anwei serve`, measures
//! the ingest rate it sustains (a few closed-loop senders), then offers twice that rate from many
//! paced senders while a flood of page and API reads and a stream of hidden-danger reports run
//! beside them, for `seconds`. It samples the server's resident memory all along, then stops the
//! load and times how long the server takes to answer normally again. Finally it checks through
//! the API that every acknowledged batch and report is stored and no batch in part.
//!
//! What must hold (the command exits 2 otherwise): refusals are 429 or 503 and carry
//! `Retry-After`; no other server error; nothing acknowledged is lost or half stored; memory in
//! the second half of the overload stays within the first half's peak (plus a margin) and under
//! the ceiling; the server answers normally within `RECOVERY_LIMIT` of the load's end.
//!
//! Each sender owns its sensors and sends their batches one after another, round `k` at
//! `base + k s`, so a sensor's history tells which rounds were stored (as in the crash harness).
//! A refused round is not sent again: the next one carries a later time.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::crash::{batch_body, classify, missing_changes, prepare, stored_batches};
use crate::{agent, free_port, serve_command, start_server};

#[derive(Debug, Clone)]
pub struct OverloadOptions {
    /// Seconds of overload (the calibration before it takes a third of that).
    pub seconds: u64,
    /// Paced telemetry senders during the overload (the calibration uses two).
    pub senders: usize,
    /// Sensors of each sender: the readings in each of its batches.
    pub sensors_per_sender: usize,
    /// Threads reading pages and the API as fast as they are answered (0: ingest alone).
    pub page_clients: usize,
    /// The server's `requests_in_flight_max` for the run.
    pub requests_in_flight_max: usize,
    /// Resident memory the server must stay under, MiB.
    pub rss_ceiling_mib: f64,
    /// `postgres://…` of an empty database; SQLite in a temporary folder otherwise.
    pub database_url: Option<String>,
    pub anwei_exe: PathBuf,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Answers {
    pub sent: u64,
    /// 2xx answers.
    pub accepted: u64,
    /// 429 and 503 answers.
    pub shed: u64,
    /// Refusals (429 or 503) without a `Retry-After`: must be 0.
    pub shed_without_retry_after: u64,
    /// Other 5xx answers: must be 0.
    pub server_errors: u64,
    /// Other answers (4xx) and transport errors.
    pub other: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverloadReport {
    pub backend: String,
    pub seconds: u64,
    pub requests_in_flight_max: usize,
    /// Readings per second the closed-loop calibration senders got acknowledged.
    pub sustainable_readings_per_s: f64,
    /// Readings per second the paced senders tried to send during the overload (the target is
    /// twice the sustainable rate; a sender can lag behind when answers are slow).
    pub offered_readings_per_s: f64,
    pub acknowledged_readings_per_s: f64,
    pub ingest: Answers,
    pub pages: Answers,
    pub reports: Answers,
    pub rss_mib_before: f64,
    pub rss_mib_peak_first_half: f64,
    pub rss_mib_peak_second_half: f64,
    pub rss_mib_after: f64,
    /// From the end of the load until a page, a read and a batch were all answered normally.
    pub recovery_ms: f64,
    pub recovered: bool,
    pub batches_acknowledged: usize,
    pub batches_lost: usize,
    pub batches_half_stored: usize,
    pub reports_acknowledged: usize,
    pub reports_lost: usize,
}

impl OverloadReport {
    /// What failed, if anything: empty when every claim held.
    pub fn failures(&self, rss_ceiling_mib: f64) -> Vec<String> {
        let mut failures = Vec::new();
        for (name, answers) in [("ingest", &self.ingest), ("pages", &self.pages), ("reports", &self.reports)] {
            if answers.shed_without_retry_after > 0 {
                failures.push(format!("{name}: {} refusals without Retry-After", answers.shed_without_retry_after));
            }
            if answers.server_errors > 0 {
                failures.push(format!("{name}: {} server errors other than 503", answers.server_errors));
            }
            if answers.other > 0 {
                failures.push(format!("{name}: {} other answers (4xx) or dropped connections", answers.other));
            }
        }
        if self.ingest.shed + self.pages.shed + self.reports.shed == 0 {
            failures.push("nothing was refused: the load did not overload the server".into());
        }
        if self.rss_mib_before <= 0.0 || self.rss_mib_peak_first_half <= 0.0 || self.rss_mib_peak_second_half <= 0.0 {
            failures.push("the server's memory could not be read".into());
        }
        if self.batches_lost + self.batches_half_stored + self.reports_lost > 0 {
            failures.push(format!("lost: {} batches, {} half-stored batches, {} reports", self.batches_lost, self.batches_half_stored, self.reports_lost));
        }
        if self.rss_mib_peak_second_half > self.rss_mib_peak_first_half * RSS_GROWTH_FACTOR + RSS_GROWTH_MARGIN_MIB {
            failures.push(format!(
                "memory grew: peak {:.0} MiB in the first half, {:.0} MiB in the second",
                self.rss_mib_peak_first_half, self.rss_mib_peak_second_half
            ));
        }
        if self.rss_mib_peak_first_half.max(self.rss_mib_peak_second_half) > rss_ceiling_mib {
            failures.push(format!("memory over the ceiling of {rss_ceiling_mib:.0} MiB"));
        }
        if !self.recovered {
            failures.push(format!("not answering normally {} s after the load ended", RECOVERY_LIMIT.as_secs()));
        }
        failures
    }
}

/// The second half's memory peak may exceed the first's by this factor plus the margin before it
/// counts as growth (allocator arenas settle for a while).
const RSS_GROWTH_FACTOR: f64 = 1.25;
const RSS_GROWTH_MARGIN_MIB: f64 = 32.0;
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);
const CALIBRATION_SENDERS: usize = 2;
/// What the page clients read: pages with the session cookie, the API with the token.
const PAGES: [&str; 4] = ["/", "/dangers", "/monitoring", "/enterprises"];
const API_READS: [&str; 2] = ["/api/v1/enterprises?per_page=50", "/api/v1/hidden-dangers"];

fn sender_code(sender: usize, sensor: usize) -> String {
    format!("OVL{sender:03}S{sensor:03}")
}

/// One telemetry sender's rounds: (round, acknowledged).
type Rounds = Vec<(u64, bool)>;

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    accepted: AtomicU64,
    shed: AtomicU64,
    shed_without_retry_after: AtomicU64,
    server_errors: AtomicU64,
    other: AtomicU64,
}

impl Tally {
    /// Counts an answer; true when it was a 2xx.
    fn count(&self, answer: &Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> bool {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let Ok(response) = answer else {
            self.other.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        let status = response.status().as_u16();
        let counter = match status {
            200..=299 => &self.accepted,
            429 | 503 => {
                if !response.headers().contains_key("retry-after") {
                    self.shed_without_retry_after.fetch_add(1, Ordering::Relaxed);
                }
                &self.shed
            }
            500..=599 => &self.server_errors,
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (200..=299).contains(&status)
    }

    fn answers(&self) -> Answers {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Answers {
            sent: get(&self.sent),
            accepted: get(&self.accepted),
            shed: get(&self.shed),
            shed_without_retry_after: get(&self.shed_without_retry_after),
            server_errors: get(&self.server_errors),
            other: get(&self.other),
        }
    }
}

/// Resident memory of a process, MiB (0 when it cannot be read).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

/// The load's shared state: where to send, with what, and until when.
struct Target {
    base_url: String,
    ingest_token: String,
    user_token: String,
    cookie: String,
    enterprise_id: i64,
    base_ms: i64,
    sensors_per_sender: usize,
}

impl Target {
    /// Sends round `round` of `sender`'s batch; true when acknowledged in full.
    fn send_round(&self, http: &ureq::Agent, sender: usize, round: u64, tally: &Tally) -> bool {
        let ts = self.base_ms + round as i64 * 1000;
        let body = batch_body((0..self.sensors_per_sender).map(|s| sender_code(sender, s)), ts);
        let answer = http
            .post(&format!("{}/api/v1/telemetry", self.base_url))
            .header("authorization", &format!("Bearer {}", self.ingest_token))
            .content_type("text/plain")
            .send(&body);
        let ok = tally.count(&answer);
        ok && answer
            .ok()
            .and_then(|mut response| response.body_mut().read_to_string().ok())
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|reply| reply["accepted"].as_u64() == Some(self.sensors_per_sender as u64))
    }

    /// One read: page `k` of the cycle of pages and API reads.
    fn read(&self, http: &ureq::Agent, k: usize, tally: &Tally) -> bool {
        let answer = if k % 3 == 2 {
            let path = API_READS[k / 3 % API_READS.len()];
            http.get(&format!("{}{path}", self.base_url)).header("authorization", &format!("Bearer {}", self.user_token)).call()
        } else {
            let path = PAGES[k % PAGES.len()];
            http.get(&format!("{}{path}", self.base_url)).header("cookie", &self.cookie).call()
        };
        let ok = tally.count(&answer);
        // Read to the end, as a browser does, so that the connection is kept.
        if let Ok(mut response) = answer {
            let _ = response.body_mut().read_to_vec();
        }
        ok
    }

    /// Reports one hidden danger; its id when acknowledged.
    fn report(&self, http: &ureq::Agent, n: u64, tally: &Tally) -> Option<i64> {
        let body = serde_json::json!({"enterprise_id": self.enterprise_id, "location": "过载测试", "description": format!("过载测试 {n}"),
            "source": "self_check", "grade": "general", "responsible_person": "测试"});
        let answer = http
            .post(&format!("{}/api/v1/hidden-dangers", self.base_url))
            .header("authorization", &format!("Bearer {}", self.user_token))
            .content_type("application/json")
            .send(&body.to_string());
        if !tally.count(&answer) {
            return None;
        }
        let mut response = answer.ok()?;
        let text = response.body_mut().read_to_string().ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()?["id"].as_i64()
    }
}

/// Logs in as the demo office through the login form; the session cookie.
fn session_cookie(base_url: &str) -> anyhow::Result<String> {
    let http: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let response = http
        .post(&format!("{base_url}/login"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("username=office&password={}", demo::DEMO_PASSWORD))
        .context("POST /login")?;
    let cookie = response.headers().get_all("set-cookie").iter().filter_map(|value| value.to_str().ok()).find(|value| value.starts_with("anwei_session="));
    match (response.status().as_u16(), cookie) {
        (303, Some(cookie)) => Ok(cookie.split(';').next().unwrap_or_default().to_string()),
        (status, _) => bail!("login as office answered {status} without a session cookie"),
    }
}

/// Closed-loop senders for `duration`; readings acknowledged per second.
fn calibrate(target: &Target, duration: Duration, ledger: &Mutex<Vec<Rounds>>, next_round: &[AtomicU64]) -> f64 {
    let tally = Tally::default();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for sender in 0..CALIBRATION_SENDERS {
            let tally = &tally;
            scope.spawn(move || {
                let http = agent();
                while started.elapsed() < duration {
                    let round = next_round[sender].fetch_add(1, Ordering::Relaxed);
                    let acknowledged = target.send_round(&http, sender, round, tally);
                    if let Ok(mut ledger) = ledger.lock() {
                        ledger[sender].push((round, acknowledged));
                    }
                }
            });
        }
    });
    let acknowledged: u64 = ledger.lock().map(|ledger| ledger.iter().flatten().filter(|(_, acked)| *acked).count() as u64).unwrap_or(0);
    (acknowledged * target.sensors_per_sender as u64) as f64 / started.elapsed().as_secs_f64()
}

pub async fn overload(options: &OverloadOptions) -> anyhow::Result<OverloadReport> {
    if options.seconds < 2 || options.senders < CALIBRATION_SENDERS || options.sensors_per_sender == 0 {
        bail!("--seconds must be at least 2, --senders at least {CALIBRATION_SENDERS}, --sensors-per-sender at least 1");
    }
    let dir = tempfile::tempdir()?;
    let url = options.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("anwei.db").display()));
    let codes: Vec<String> = (0..options.senders).flat_map(|sender| (0..options.sensors_per_sender).map(move |s| sender_code(sender, s))).collect();
    let (ingest_token, user_token, enterprise_id) = prepare(&url, &codes, 3600, "过载测试罐区").await?;
    let port = free_port()?;
    let base_url = format!("http://127.0.0.1:{port}");
    let mut command = serve_command(&options.anwei_exe, &url, dir.path(), port, "error");
    command.env("ANWEI_REQUESTS_IN_FLIGHT_MAX", options.requests_in_flight_max.to_string());
    let http = agent();
    let server = start_server(command, &http, &base_url)?;
    let pid = server.0.id();
    let target = Target {
        cookie: session_cookie(&base_url)?,
        base_url,
        ingest_token,
        user_token,
        enterprise_id,
        base_ms: store::now_ms() - 48 * 3_600_000,
        sensors_per_sender: options.sensors_per_sender,
    };
    let ledger: Mutex<Vec<Rounds>> = Mutex::new(vec![Vec::new(); options.senders]);
    let next_round: Vec<AtomicU64> = (0..options.senders).map(|_| AtomicU64::new(0)).collect();

    let sustainable = calibrate(&target, Duration::from_secs(options.seconds.div_ceil(3)), &ledger, &next_round);
    let rss_before = rss_mib(pid);

    // The overload: paced senders at twice the sustainable rate, page clients and one reporter,
    // with a memory sampler; each half's peak kept apart.
    let (ingest, pages, reports) = (Tally::default(), Tally::default(), Tally::default());
    let reports_acknowledged = Mutex::new(Vec::new());
    let running = AtomicBool::new(true);
    let rss_peaks = Mutex::new([0.0f64; 2]);
    let offered_readings = AtomicU64::new(0);
    let duration = Duration::from_secs(options.seconds);
    let per_sender_batches_per_s = 2.0 * sustainable / options.sensors_per_sender as f64 / options.senders as f64;
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while running.load(Ordering::Relaxed) {
                let half = usize::from(started.elapsed() >= duration / 2);
                if let Ok(mut peaks) = rss_peaks.lock() {
                    peaks[half] = peaks[half].max(rss_mib(pid));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        for sender in 0..options.senders {
            let (target, ingest, ledger, next_round, offered_readings) = (&target, &ingest, &ledger, &next_round, &offered_readings);
            scope.spawn(move || {
                let http = agent();
                let mut sent = 0u64;
                while started.elapsed() < duration {
                    let round = next_round[sender].fetch_add(1, Ordering::Relaxed);
                    let acknowledged = target.send_round(&http, sender, round, ingest);
                    offered_readings.fetch_add(target.sensors_per_sender as u64, Ordering::Relaxed);
                    if let Ok(mut ledger) = ledger.lock() {
                        ledger[sender].push((round, acknowledged));
                    }
                    sent += 1;
                    if per_sender_batches_per_s > 0.0 {
                        let due = Duration::from_secs_f64(sent as f64 / per_sender_batches_per_s);
                        if let Some(wait) = due.checked_sub(started.elapsed()) {
                            std::thread::sleep(wait);
                        }
                    }
                }
            });
        }
        for client in 0..options.page_clients {
            let (target, pages) = (&target, &pages);
            scope.spawn(move || {
                let http = agent();
                let mut k = client;
                while started.elapsed() < duration {
                    target.read(&http, k, pages);
                    k += 1;
                }
            });
        }
        scope.spawn(|| {
            let http = agent();
            let mut n = 0;
            while started.elapsed() < duration {
                if let Some(id) = target.report(&http, n, &reports)
                    && let Ok(mut acknowledged) = reports_acknowledged.lock()
                {
                    acknowledged.push(id);
                }
                n += 1;
            }
        });
        // Ends the sampler once the load threads are done (they all watch the clock).
        scope.spawn(|| {
            std::thread::sleep(duration);
            running.store(false, Ordering::Relaxed);
        });
    });
    let overload_s = started.elapsed().as_secs_f64();

    // Recovery: a page, a read and a batch all answered normally.
    let load_ended = Instant::now();
    let recovery_tally = Tally::default();
    let mut recovered = false;
    while load_ended.elapsed() < RECOVERY_LIMIT {
        let round = next_round[0].fetch_add(1, Ordering::Relaxed);
        let batch_ok = target.send_round(&http, 0, round, &recovery_tally);
        if let Ok(mut ledger) = ledger.lock() {
            ledger[0].push((round, batch_ok));
        }
        if batch_ok && target.read(&http, 0, &recovery_tally) && target.read(&http, 2, &recovery_tally) {
            recovered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let recovery_ms = load_ended.elapsed().as_secs_f64() * 1000.0;
    std::thread::sleep(Duration::from_secs(2));
    let rss_after = rss_mib(pid);

    // Everything acknowledged is stored, and no batch in part.
    let ledger = ledger.into_inner().map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
    let mut findings = crate::crash::Findings::default();
    for (sender, rounds) in ledger.iter().enumerate() {
        let Some(last) = rounds.iter().map(|(round, _)| *round).max() else { continue };
        let per_sensor: Vec<BTreeSet<u64>> = (0..options.sensors_per_sender)
            .map(|s| stored_batches(&http, &target.base_url, &target.user_token, &sender_code(sender, s), target.base_ms, last))
            .collect::<anyhow::Result<_>>()?;
        classify(rounds, &per_sensor, &mut findings);
    }
    let reports_acknowledged = reports_acknowledged.into_inner().map_err(|_| anyhow::anyhow!("reports poisoned"))?;
    let reports_lost = missing_changes(&http, &target.base_url, &target.user_token, &reports_acknowledged);
    let peaks = rss_peaks.into_inner().map_err(|_| anyhow::anyhow!("peaks poisoned"))?;
    let ingest = ingest.answers();
    Ok(OverloadReport {
        backend: if url.starts_with("postgres") { "postgres".into() } else { "sqlite".into() },
        seconds: options.seconds,
        requests_in_flight_max: options.requests_in_flight_max,
        sustainable_readings_per_s: sustainable,
        offered_readings_per_s: offered_readings.load(Ordering::Relaxed) as f64 / overload_s,
        acknowledged_readings_per_s: (ingest.accepted * options.sensors_per_sender as u64) as f64 / overload_s,
        ingest,
        pages: pages.answers(),
        reports: reports.answers(),
        rss_mib_before: rss_before,
        rss_mib_peak_first_half: peaks[0],
        rss_mib_peak_second_half: peaks[1],
        rss_mib_after: rss_after,
        recovery_ms,
        recovered,
        batches_acknowledged: ledger.iter().flatten().filter(|(_, acked)| *acked).count(),
        batches_lost: findings.batches_lost,
        batches_half_stored: findings.batches_half_stored,
        reports_acknowledged: reports_acknowledged.len(),
        reports_lost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> OverloadReport {
        OverloadReport {
            backend: "sqlite".into(),
            seconds: 10,
            requests_in_flight_max: 8,
            sustainable_readings_per_s: 1000.0,
            offered_readings_per_s: 2000.0,
            acknowledged_readings_per_s: 1000.0,
            ingest: Answers { sent: 10, accepted: 5, shed: 5, ..Default::default() },
            pages: Answers::default(),
            reports: Answers::default(),
            rss_mib_before: 50.0,
            rss_mib_peak_first_half: 100.0,
            rss_mib_peak_second_half: 110.0,
            rss_mib_after: 90.0,
            recovery_ms: 5.0,
            recovered: true,
            batches_acknowledged: 10,
            batches_lost: 0,
            batches_half_stored: 0,
            reports_acknowledged: 3,
            reports_lost: 0,
        }
    }

    #[test]
    fn every_broken_claim_is_a_failure() {
        assert!(report().failures(1024.0).is_empty());
        assert_eq!(report().failures(105.0).len(), 1, "over the ceiling");
        let mut growing = report();
        growing.rss_mib_peak_second_half = 200.0;
        assert_eq!(growing.failures(1024.0).len(), 1);
        let mut bad = report();
        bad.pages.shed_without_retry_after = 1;
        bad.reports.server_errors = 2;
        bad.batches_lost = 1;
        bad.recovered = false;
        assert_eq!(bad.failures(1024.0).len(), 4, "{:?}", bad.failures(1024.0));
        let mut calm = report();
        calm.ingest.shed = 0;
        calm.ingest.other = 1;
        calm.rss_mib_before = 0.0;
        assert_eq!(calm.failures(1024.0).len(), 3, "not overloaded, a dropped connection, memory unread: {:?}", calm.failures(1024.0));
    }
}
