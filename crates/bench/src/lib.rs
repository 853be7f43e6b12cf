//! anwei's ingest benchmark. It prepares a database with a province and N sensors, measures
//! what is measured in-process (monitor memory per sensor, latest values of every sensor, a
//! 24-hour downsample), then spawns the real `anwei serve` and drives its HTTP ingest from
//! client threads: first at full speed (rate and server CPU), then at half that rate while probe
//! readings cross thresholds, timing each alarm from the request to its server-sent event. The
//! same generated readings then go to the peers on the same machine: VictoriaMetrics (Debian's
//! `victoria-metrics`, Prometheus import) and PostgreSQL COPY into a plain table, and our rate is
//! given as a ratio to each.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use app::hazard_sources::{HazardSourceInput, SensorInput};
use app::{App, Client};
use domain::monitoring::{RawReading, RuleSettings, Thresholds};
use serde::Serialize;

pub mod crash;
mod mqtt_leg;
pub mod overload;
pub mod web;

/// What to run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub sensors: usize,
    /// Seconds of load in each phase.
    pub seconds: u64,
    /// Readings per request.
    pub batch: usize,
    /// Concurrent client threads.
    pub clients: usize,
    /// Alarm probes at half load.
    pub probes: usize,
    /// `postgres://…` of an empty database to run anwei on; SQLite in a temporary folder otherwise.
    pub database_url: Option<String>,
    /// Run the peers too.
    pub peers: bool,
    /// `postgres://…` for the COPY peer (its table `bench_readings` is dropped and recreated).
    pub postgres_peer_url: Option<String>,
    /// The `anwei` binary to spawn as the server.
    pub anwei_exe: PathBuf,
    /// Also drive the MQTT ingest through a mosquitto of the benchmark's own (Debian package).
    pub mqtt: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerResult {
    pub name: String,
    pub readings_per_s: f64,
    pub bytes_per_reading: Option<f64>,
    /// Our `readings_per_s` divided by the peer's.
    pub ratio: f64,
    /// Our MQTT rate divided by the peer's, when the MQTT leg ran.
    pub mqtt_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub backend: String,
    pub sensors: usize,
    pub batch: usize,
    pub clients: usize,
    pub seconds: u64,
    pub readings: u64,
    pub rejected: u64,
    pub readings_per_s: f64,
    pub server_cpu_s_per_million: f64,
    pub half_load_readings_per_s: f64,
    pub alarm_probes: usize,
    pub alarm_latency_p50_ms: f64,
    pub alarm_latency_p99_ms: f64,
    pub alarm_latency_p999_ms: f64,
    /// What the load's readings take in the database once compacted and merged, over readings
    /// (SQLite: pages in use; PostgreSQL: the chunk payload). With one reading per sensor per
    /// round, each sensor has only some dozens, so chunks are short.
    pub bytes_per_reading: f64,
    /// The compressed chunk payload alone, over readings.
    pub payload_bytes_per_reading: f64,
    /// The same for an hour of 1 Hz readings of 1,000 sensors, compacted every five minutes and
    /// merged, as a server keeps them: the steady state.
    pub steady_bytes_per_reading: f64,
    pub steady_payload_bytes_per_reading: f64,
    /// Resident memory growth of the process while the monitor loads, over sensors: an upper
    /// bound, since it also holds what loading allocated and freed and the allocator kept.
    pub ram_bytes_per_sensor: f64,
    /// The monitor's own accounting of its per-sensor state (heap capacities), over sensors.
    pub monitor_heap_bytes_per_sensor: f64,
    /// How long after its limit a silent sensor's no-data alarm reached a listener (target: within
    /// 1 s), worst of the trials.
    pub offline_detection_lag_max_ms: f64,
    pub latest_all_sensors: usize,
    pub latest_all_ms: f64,
    pub downsample_24h_ms: f64,
    /// The MQTT leg (`--mqtt`): readings per message, rate, and the server's CPU per million.
    pub mqtt_readings_per_message: Option<usize>,
    pub mqtt_readings: Option<u64>,
    pub mqtt_readings_per_s: Option<f64>,
    pub mqtt_server_cpu_s_per_million: Option<f64>,
    pub peers: Vec<PeerResult>,
}

const BENCH_PREFIX: &str = "BENCH";
const PROBE_SENSORS: usize = 10;
const DAY_SENSOR: &str = "BENCHDAY";
/// A 1-second sensor that goes silent, for how late its no-data alarm comes after its limit.
const OFFLINE_SENSOR: &str = "OFFLINE00";
const OFFLINE_AFTER_INTERVALS: u32 = 3;
const OFFLINE_TRIALS: usize = 5;
/// Sensors reporting at 1 Hz for an hour, for the steady-state storage figure.
const STEADY_SENSORS: usize = 1_000;

fn steady_code(k: usize) -> String {
    format!("STEADY{k:04}")
}

fn rule_settings() -> RuleSettings {
    // No delays, so that a probe crossing the threshold raises at once; silence is not what is
    // measured here, so the no-data limit is far away.
    RuleSettings { on_delay_ms: 0, off_delay_ms: 0, deadband: 1.0, rate_per_min: None, offline_after_intervals: 20_000, stuck_after_ms: None }
}

fn sensor_input(code: String, interval_s: u32) -> SensorInput {
    SensorInput {
        code,
        name: "基准测试测点".into(),
        kind: "pressure".into(),
        unit: Some("kPa".into()),
        range_min: 0.0,
        range_max: 100.0,
        thresholds: Thresholds { low_low: None, low: None, high: Some(80.0), high_high: Some(90.0) },
        interval_s,
        rules: Some(rule_settings()),
    }
}

/// The hazard source the benchmarks register their sensors under (20 t of ammonia).
fn bench_source(enterprise_id: i64, name: &str) -> HazardSourceInput {
    HazardSourceInput {
        enterprise_id,
        name: name.into(),
        unit_kind: "storage".into(),
        people_nearby: 10,
        principal_person: "甲".into(),
        technical_person: "乙".into(),
        operating_person: "丙".into(),
        chemicals: vec!["氨=20".into()],
    }
}

fn code_of(index: usize) -> String {
    format!("{BENCH_PREFIX}{index:07}")
}

/// A normal process value, below the thresholds: a slow swing (±5 over ten minutes, phase by
/// sensor) plus measurement noise of ±0.5, reported at 0.01 resolution as a transmitter would.
/// The noise is what real readings carry, and what compression cannot remove.
fn value_of(index: usize, round: u64) -> f64 {
    let mut noise = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ round.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    noise ^= noise >> 31;
    noise = noise.wrapping_mul(0x94D0_49BB_1331_11EB);
    noise ^= noise >> 29;
    let swing = 5.0 * (std::f64::consts::TAU * ((round + index as u64 * 37) % 600) as f64 / 600.0).sin();
    let value = 50.0 + swing + ((noise % 101) as f64 - 50.0) / 100.0;
    (value * 100.0).round() / 100.0
}

fn resident_bytes() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|pages| pages.parse::<f64>().ok()).unwrap_or(0.0) * 4096.0
}

/// CPU seconds (user + system) a process has used, from /proc (USER_HZ = 100 on Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

/// A child process killed when dropped.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `anwei serve` on `database_url`, its key file and anchor in `data_dir`, on loopback `port`,
/// logging at `log`; the caller adds what else it needs and starts it with `start_server`.
fn serve_command(exe: &Path, database_url: &str, data_dir: &Path, port: u16, log: &str) -> Command {
    let mut command = Command::new(exe);
    command
        .args(["serve", "--database-url", database_url, "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env("ANWEI_LOG", log)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// Starts the server and waits until `base_url` answers its health check.
fn start_server(mut command: Command, http: &ureq::Agent, base_url: &str) -> anyhow::Result<Spawned> {
    let mut server = Spawned(command.spawn().context("cannot start the anwei server")?);
    wait_until_healthy(http, &format!("{base_url}/healthz"), &mut server.0)?;
    Ok(server)
}

fn wait_until_healthy(agent: &ureq::Agent, url: &str, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if agent.get(url).call().is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("the process exited before answering {url}: {status}");
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(60))).build().into()
}

/// Drives `send` from `clients` threads for `seconds`, each thread cycling over its share of the
/// sensors, one reading per sensor per round. With `rate_per_s` the threads pace themselves to
/// that total rate. Returns (readings taken, elapsed seconds).
/// `send` formats and sends one batch of (sensor, round) readings and returns how many were taken.
fn drive<F>(sensors: usize, clients: usize, batch: usize, seconds: u64, rate_per_s: Option<f64>, first_round: u64, send: &F) -> anyhow::Result<(u64, f64)>
where
    F: Fn(&ureq::Agent, &[(usize, u64)]) -> anyhow::Result<u64> + Sync,
{
    let taken = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    std::thread::scope(|scope| {
        for client in 0..clients {
            let (taken, failed) = (&taken, &failed);
            scope.spawn(move || {
                let agent = agent();
                let mine: Vec<usize> = (client..sensors).step_by(clients).collect();
                let per_thread_rate = rate_per_s.map(|r| r / clients as f64);
                let thread_started = Instant::now();
                let mut sent = 0u64;
                let mut round = first_round;
                let mut batch_buffer = Vec::with_capacity(batch);
                while Instant::now() < deadline && !failed.load(Ordering::Relaxed) {
                    for chunk in mine.chunks(batch) {
                        batch_buffer.clear();
                        batch_buffer.extend(chunk.iter().map(|&i| (i, round)));
                        match send(&agent, &batch_buffer) {
                            Ok(n) => {
                                taken.fetch_add(n, Ordering::Relaxed);
                            }
                            Err(error) => {
                                eprintln!("bench: a batch failed: {error:#}");
                                failed.store(true, Ordering::Relaxed);
                                return;
                            }
                        }
                        sent += chunk.len() as u64;
                        if let Some(rate) = per_thread_rate {
                            let due = Duration::from_secs_f64(sent as f64 / rate);
                            if let Some(wait) = due.checked_sub(thread_started.elapsed()) {
                                std::thread::sleep(wait);
                            }
                        }
                        if Instant::now() >= deadline {
                            break;
                        }
                    }
                    round += 1;
                }
            });
        }
    });
    if failed.load(Ordering::Relaxed) {
        bail!("the load phase failed (see above)");
    }
    Ok((taken.load(Ordering::Relaxed), started.elapsed().as_secs_f64()))
}

/// The timestamp of a round: the load starts six days back (inside the accepted window) and each
/// round is one second later, as a 1 Hz feed.
fn ts_of(base_ms: i64, round: u64) -> i64 {
    base_ms + round as i64 * 1000
}

/// Runs the whole benchmark.
pub async fn ingest(options: &IngestOptions) -> anyhow::Result<IngestReport> {
    if options.sensors == 0 || options.batch == 0 || options.clients == 0 || options.seconds == 0 {
        bail!("--sensors, --batch, --clients and --seconds must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let sqlite_path = dir.path().join("anwei.db");
    let url = options.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", sqlite_path.display()));
    let store = store::Store::connect(&url).await?;
    store.migrate().await?;
    let app = App::new(store.clone(), Default::default());
    eprintln!("bench: preparing a province and {} sensors …", options.sensors);
    demo::load_with(&app, 2).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let client = Client::cli();
    let enterprise_user = app.store.user_by_username("enterprise").await?.context("the demo enterprise account")?;
    let enterprise = app.actor_for_user(&enterprise_user).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let enterprise_id = enterprise.enterprise_id.context("the demo enterprise")?;
    let credit_code = store.enterprise(enterprise_id, &domain::access::Visibility::Everything).await?.enterprise.credit_code.to_string();
    let source_id = app.add_hazard_source(&enterprise, &client, &bench_source(enterprise_id, "基准测试罐区")).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let source = store.hazard_source(source_id, &domain::access::Visibility::Everything).await?;
    let mut inputs: Vec<SensorInput> = (0..options.sensors).map(|i| sensor_input(code_of(i), 60)).collect();
    inputs.extend((0..PROBE_SENSORS).map(|k| sensor_input(format!("PROBE{k:02}"), 1)));
    inputs.push(sensor_input(DAY_SENSOR.into(), 1));
    inputs.push(SensorInput {
        rules: Some(RuleSettings { offline_after_intervals: OFFLINE_AFTER_INTERVALS, ..rule_settings() }),
        ..sensor_input(OFFLINE_SENSOR.into(), 1)
    });
    inputs.extend((0..STEADY_SENSORS).map(|k| sensor_input(steady_code(k), 1)));
    for chunk in inputs.chunks(20_000) {
        let sensors: Vec<store::NewSensor> = chunk
            .iter()
            .map(|input| app::hazard_sources::checked_sensor(&source, input).map_err(|e| anyhow::anyhow!("{e:?}")))
            .collect::<anyhow::Result<_>>()?;
        let event =
            app::audit_event(None, &client, "sensor.create", "bench".into(), domain::audit::Outcome::Success, serde_json::json!({"sensors": sensors.len()}));
        store.add_sensors(&sensors, &event).await?;
    }
    let (_, ingest_token) = app.issue_ingest_token(&enterprise, &client, "bench").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (user_token, _) = app.issue_token(&enterprise, demo::DEMO_PASSWORD, None, "bench", &client).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let base_ms = store::now_ms() - 6 * 24 * 3_600_000;

    // In-process: the monitor's memory per sensor, then the latest value of every sensor.
    let before = resident_bytes();
    let measured = App::new(store.clone(), Default::default());
    let loaded = measured.start_monitoring().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let ram_bytes_per_sensor = (resident_bytes() - before) / loaded as f64;
    let (heap_bytes, held) = measured.monitor.memory().await;
    let monitor_heap_bytes_per_sensor = heap_bytes as f64 / held.max(1) as f64;
    let codes: Vec<String> = (0..options.sensors).map(code_of).collect();
    for (start, chunk) in codes.chunks(app::monitoring::BATCH_READINGS_MAX).enumerate() {
        let batch: Vec<Result<RawReading<'_>, domain::monitoring::RejectReason>> = chunk
            .iter()
            .enumerate()
            .map(|(i, code)| Ok(RawReading { code, value: value_of(start * app::monitoring::BATCH_READINGS_MAX + i, 0), ts_ms: ts_of(base_ms, 0) }))
            .collect();
        measured.ingest(enterprise_id, &batch, store::now_ms()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let code_refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let mut latest_times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let latest = measured.monitor.latest_of(&code_refs).await;
        latest_times.push(started.elapsed().as_secs_f64() * 1000.0);
        if latest.iter().any(Option::is_none) {
            bail!("a sensor had no latest value");
        }
    }
    latest_times.sort_by(f64::total_cmp);

    // In-process: 24 hours of 1 Hz readings of one sensor, downsampled to 1-minute buckets.
    let day_sensor = store.sensor_by_code(DAY_SENSOR, &domain::access::Visibility::Everything).await?;
    let day_start = store::now_ms() - 24 * 3_600_000;
    let mut chunks = Vec::new();
    for hour in 0..24i64 {
        let timestamps: Vec<i64> = (0..3600).map(|s| day_start + hour * 3_600_000 + s * 1000).collect();
        let values: Vec<f64> = (0..3600).map(|s| value_of(s as usize, hour as u64)).collect();
        let (ts, vals) = monitor::codec::encode(&timestamps, &values)?;
        chunks.push(store::NewChunk { sensor_id: day_sensor.id, start_ms: timestamps[0], end_ms: timestamps[3599], reading_count: 3600, timestamps: ts, vals });
    }
    store.store_chunks(&chunks, &[], None).await?;
    let mut downsample_times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let history = measured
            .sensor_history(&enterprise, &client, DAY_SENSOR, day_start, day_start + 24 * 3_600_000 - 1, Some(60_000))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        downsample_times.push(started.elapsed().as_secs_f64() * 1000.0);
        match history {
            app::monitoring::History::Buckets { buckets } if buckets.len() >= 1440 => {}
            _ => bail!("the downsample did not give 1,440 buckets"),
        }
    }
    downsample_times.sort_by(f64::total_cmp);

    // In-process: the bytes an hour of 1 Hz readings takes once compacted (every five minutes)
    // and merged (hourly), as a server keeps them.
    eprintln!("bench: an hour of 1 Hz readings of {STEADY_SENSORS} sensors for the steady-state storage …");
    measured.monitor.compact_all_telemetry().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let steady_bytes_before = store.bytes_in_use().await?;
    let (steady_payload_before, steady_readings_before) = store.chunk_totals().await?;
    let steady_codes: Vec<String> = (0..STEADY_SENSORS).map(steady_code).collect();
    let steady_start = store::now_ms() - 2 * 24 * 3_600_000;
    let mut batch = Vec::with_capacity(STEADY_SENSORS * 10);
    for round in 0..3_600u64 {
        batch.extend(
            steady_codes.iter().enumerate().map(|(k, code)| Ok(RawReading { code, value: value_of(k, round), ts_ms: steady_start + round as i64 * 1000 })),
        );
        if round % 10 == 9 {
            let outcome = measured.ingest(enterprise_id, &batch, store::now_ms()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            if outcome.rejected_total > 0 {
                bail!("steady-state readings rejected: {:?}", outcome.rejected.first());
            }
            batch.clear();
        }
        if round % 300 == 299 {
            measured.monitor.compact_all_telemetry().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
    }
    measured.monitor.merge_chunks().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (steady_payload_after, steady_readings_after) = store.chunk_totals().await?;
    let steady_readings = (steady_readings_after - steady_readings_before).max(1) as f64;
    let steady_payload_bytes_per_reading = (steady_payload_after - steady_payload_before) as f64 / steady_readings;
    let steady_bytes_per_reading = match (steady_bytes_before, store.bytes_in_use().await?) {
        (Some(before), Some(after)) => (after - before) as f64 / steady_readings,
        _ => steady_payload_bytes_per_reading,
    };
    drop(measured);
    let (payload_before, readings_before) = store.chunk_totals().await?;
    let bytes_before = store.bytes_in_use().await?;
    store.close().await;

    // The broker, when the MQTT leg runs, and the server (subscribed to it).
    let broker = if options.mqtt { Some(mqtt_leg::Broker::start(dir.path(), &credit_code)?) } else { None };
    let config_path = dir.path().join("anwei.toml");
    std::fs::write(&config_path, broker.as_ref().map(mqtt_leg::Broker::server_settings).unwrap_or_default())?;
    let port = free_port()?;
    let base_url = format!("http://127.0.0.1:{port}");
    // Its key file and audit anchor go in the benchmark's own folder.
    let mut command = serve_command(&options.anwei_exe, &url, dir.path(), port, "warn");
    command.arg("--config").arg(&config_path);
    let http = agent();
    let server = start_server(command, &http, &base_url)?;
    let pid = server.0.id();
    eprintln!("bench: server up (pid {pid}); full load for {} s …", options.seconds);

    let telemetry_url = format!("{base_url}/api/v1/telemetry");
    let bearer = format!("Bearer {ingest_token}");
    let rejected = AtomicU64::new(0);
    let send_ours = |agent: &ureq::Agent, batch: &[(usize, u64)]| -> anyhow::Result<u64> {
        let mut body = String::with_capacity(batch.len() * 32);
        for &(i, round) in batch {
            use std::fmt::Write as _;
            let _ = writeln!(body, "{} {} {}", code_of(i), value_of(i, round), ts_of(base_ms, round));
        }
        let mut response = agent.post(&telemetry_url).header("authorization", &bearer).content_type("text/plain").send(body)?;
        let status = response.status();
        let text = response.body_mut().read_to_string()?;
        if !status.is_success() {
            bail!("HTTP {status}: {text}");
        }
        let answer: serde_json::Value = serde_json::from_str(&text)?;
        rejected.fetch_add(answer["rejected_total"].as_u64().unwrap_or(0), Ordering::Relaxed);
        Ok(answer["accepted"].as_u64().unwrap_or(0))
    };
    let cpu_before = cpu_seconds(pid);
    let (readings, elapsed) = tokio::task::block_in_place(|| drive(options.sensors, options.clients, options.batch, options.seconds, None, 1, &send_ours))?;
    let cpu = cpu_seconds(pid) - cpu_before;
    let readings_per_s = readings as f64 / elapsed;

    // Half load, with probes timed from the request to their alarm's server-sent event.
    eprintln!("bench: half load with {} alarm probes …", options.probes);
    let (events_tx, events_rx) = mpsc::channel::<Instant>();
    let stream_url = format!("{base_url}/api/v1/alarms/stream");
    let user_bearer = format!("Bearer {user_token}");
    let (listening_tx, listening_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let Ok(mut response) = agent.get(&stream_url).header("authorization", &user_bearer).call() else { return };
        // The server subscribes before it answers with the stream's headers.
        let _ = listening_tx.send(());
        let reader = BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if line.starts_with("event: alarm") && events_tx.send(Instant::now()).is_err() {
                return;
            }
        }
    });
    listening_rx.recv_timeout(Duration::from_secs(30)).context("the alarm stream did not open within 30 s")?;
    let probe_rounds = (readings / options.sensors.max(1) as u64) + 10;
    let half_rate = readings_per_s / 2.0;
    let probes = options.probes;
    let probe_agent = agent();
    let probe_telemetry = telemetry_url.clone();
    let probe_bearer = bearer.clone();
    let (half, latencies) = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let load = scope.spawn(|| drive(options.sensors, options.clients, options.batch, options.seconds, Some(half_rate), probe_rounds, &send_ours));
            let mut latencies = Vec::with_capacity(probes);
            let mut last_ts = 0i64;
            let mut post = |code: &str, value: f64| -> anyhow::Result<Instant> {
                last_ts = (store::now_ms()).max(last_ts + 1);
                let sent = Instant::now();
                let response = probe_agent
                    .post(&probe_telemetry)
                    .header("authorization", &probe_bearer)
                    .content_type("text/plain")
                    .send(format!("{code} {value} {last_ts}"))?;
                if !response.status().is_success() {
                    bail!("probe answered HTTP {}", response.status());
                }
                Ok(sent)
            };
            let spacing = Duration::from_secs_f64((options.seconds as f64 / (probes.max(1) as f64 * 1.2)).min(0.2));
            for k in 0..probes {
                let code = format!("PROBE{:02}", k % PROBE_SENSORS);
                while events_rx.try_recv().is_ok() {}
                let sent = post(&code, 95.0)?;
                match events_rx.recv_timeout(Duration::from_secs(5)) {
                    Ok(arrived) => latencies.push(arrived.saturating_duration_since(sent).as_secs_f64() * 1000.0),
                    Err(_) => bail!("probe {k}: no alarm event within 5 s"),
                }
                post(&code, 10.0)?;
                let _ = events_rx.recv_timeout(Duration::from_secs(5));
                std::thread::sleep(spacing);
            }
            let half = load.join().map_err(|_| anyhow::anyhow!("the half-load thread panicked"))??;
            Ok::<_, anyhow::Error>((half, latencies))
        })
    })?;
    let mut latencies = latencies;
    latencies.sort_by(f64::total_cmp);

    // Offline detection: a reading, then silence; the no-data alarm is due the limit (three
    // 1-second intervals) after the reading's time, and its lag is how much later its event came.
    eprintln!("bench: offline detection, {OFFLINE_TRIALS} trials …");
    let mut offline_lags = Vec::with_capacity(OFFLINE_TRIALS);
    let offline_agent = agent();
    let mut offline_ts = 0i64;
    for trial in 0..OFFLINE_TRIALS {
        offline_ts = store::now_ms().max(offline_ts + 1);
        let sent = Instant::now();
        let response =
            offline_agent.post(&telemetry_url).header("authorization", &bearer).content_type("text/plain").send(format!("{OFFLINE_SENSOR} 50 {offline_ts}"))?;
        if !response.status().is_success() {
            bail!("the offline probe answered HTTP {}", response.status());
        }
        // The reading clears the previous trial's alarm: let that event pass.
        std::thread::sleep(Duration::from_millis(500));
        while events_rx.try_recv().is_ok() {}
        let due = sent + Duration::from_millis(u64::from(OFFLINE_AFTER_INTERVALS) * 1000);
        match events_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(arrived) => {
                offline_lags.push(arrived.saturating_duration_since(due).as_secs_f64() * 1000.0 - due.saturating_duration_since(arrived).as_secs_f64() * 1000.0)
            }
            Err(_) => bail!("offline trial {trial}: no no-data alarm within 10 s"),
        }
    }
    offline_lags.sort_by(f64::total_cmp);

    // MQTT: 100 readings a message, as many rounds as make two million readings (bounded, since
    // the broker queues what the server has not taken yet).
    let mut mqtt = None;
    if let Some(broker) = &broker {
        let rounds = (2_000_000 / options.sensors as u64).max(1);
        let first_round = probe_rounds + half.0 / options.sensors.max(1) as u64 + 10;
        eprintln!("bench: MQTT, {rounds} rounds of {} sensors in messages of {} …", options.sensors, mqtt_leg::READINGS_PER_MESSAGE);
        let counter = store::Store::connect(&url).await?;
        let (_, stored_before) = counter.chunk_totals().await?;
        let cpu_before = cpu_seconds(pid);
        let load = mqtt_leg::Load { sensors: options.sensors, publishers: options.clients, rounds, first_round, base_ms };
        let (sent, elapsed) = mqtt_leg::run(broker, &credit_code, &load, &counter, stored_before).await?;
        let cpu = cpu_seconds(pid) - cpu_before;
        counter.close().await;
        mqtt = Some((sent, sent as f64 / elapsed, cpu / (sent as f64 / 1e6)));
    }
    drop(server);
    drop(broker);

    // Storage: what the load added, once compacted into per-sensor chunks and merged as the server
    // does.
    let store = store::Store::connect(&url).await?;
    let keeper = App::new(store.clone(), Default::default());
    keeper.monitor.compact_all_telemetry().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    keeper.monitor.merge_chunks().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (payload_after, readings_after) = store.chunk_totals().await?;
    let stored = (readings_after - readings_before).max(1) as f64;
    let payload_bytes_per_reading = (payload_after - payload_before) as f64 / stored;
    let bytes_per_reading = match (bytes_before, store.bytes_in_use().await?) {
        (Some(before), Some(after)) => (after - before) as f64 / stored,
        _ => payload_bytes_per_reading,
    };
    store.close().await;

    let mut peers = Vec::new();
    if options.peers {
        peers.push(victoria_metrics(options, dir.path(), base_ms, readings_per_s)?);
        if let Some(url) = &options.postgres_peer_url {
            peers.push(postgres_copy(options, url, base_ms, readings_per_s).await?);
        }
        if let Some((_, mqtt_rate, _)) = mqtt {
            for peer in &mut peers {
                peer.mqtt_ratio = Some(mqtt_rate / peer.readings_per_s);
            }
        }
    }
    Ok(IngestReport {
        backend: if options.database_url.is_some() { "postgres".into() } else { "sqlite".into() },
        sensors: options.sensors,
        batch: options.batch,
        clients: options.clients,
        seconds: options.seconds,
        readings,
        rejected: rejected.load(Ordering::Relaxed),
        readings_per_s,
        server_cpu_s_per_million: cpu / (readings as f64 / 1e6),
        half_load_readings_per_s: half.0 as f64 / half.1,
        alarm_probes: latencies.len(),
        alarm_latency_p50_ms: percentile(&latencies, 0.5),
        alarm_latency_p99_ms: percentile(&latencies, 0.99),
        alarm_latency_p999_ms: percentile(&latencies, 0.999),
        bytes_per_reading,
        payload_bytes_per_reading,
        steady_bytes_per_reading,
        steady_payload_bytes_per_reading,
        ram_bytes_per_sensor,
        monitor_heap_bytes_per_sensor,
        offline_detection_lag_max_ms: offline_lags.last().copied().unwrap_or_default(),
        latest_all_sensors: options.sensors,
        latest_all_ms: percentile(&latest_times, 0.5),
        downsample_24h_ms: percentile(&downsample_times, 0.5),
        mqtt_readings_per_message: mqtt.map(|_| mqtt_leg::READINGS_PER_MESSAGE),
        mqtt_readings: mqtt.map(|(sent, _, _)| sent),
        mqtt_readings_per_s: mqtt.map(|(_, rate, _)| rate),
        mqtt_server_cpu_s_per_million: mqtt.map(|(_, _, cpu)| cpu),
        peers,
    })
}

/// The same readings into VictoriaMetrics (Prometheus text import), from the same threads.
fn victoria_metrics(options: &IngestOptions, dir: &Path, base_ms: i64, ours: f64) -> anyhow::Result<PeerResult> {
    let binary = ["victoria-metrics", "/usr/bin/victoria-metrics"]
        .into_iter()
        .find(|b| Command::new(b).arg("-version").output().is_ok())
        .context("VictoriaMetrics is not installed (Debian package victoria-metrics)")?;
    let port = free_port()?;
    let storage = dir.join("victoria-metrics");
    let mut child = Spawned(
        Command::new(binary)
            .args([format!("-storageDataPath={}", storage.display()), format!("-httpListenAddr=127.0.0.1:{port}"), "-loggerLevel=ERROR".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start VictoriaMetrics")?,
    );
    let base_url = format!("http://127.0.0.1:{port}");
    wait_until_healthy(&agent(), &format!("{base_url}/health"), &mut child.0)?;
    eprintln!("bench: VictoriaMetrics for {} s …", options.seconds);
    let import_url = format!("{base_url}/api/v1/import/prometheus");
    let send = |agent: &ureq::Agent, batch: &[(usize, u64)]| -> anyhow::Result<u64> {
        let mut body = String::with_capacity(batch.len() * 48);
        for &(i, round) in batch {
            use std::fmt::Write as _;
            let _ = writeln!(body, "reading{{sensor=\"{}\"}} {} {}", code_of(i), value_of(i, round), ts_of(base_ms, round));
        }
        let response = agent.post(&import_url).content_type("text/plain").send(body)?;
        if !response.status().is_success() {
            bail!("VictoriaMetrics answered HTTP {}", response.status());
        }
        Ok(batch.len() as u64)
    };
    let (readings, elapsed) = drive(options.sensors, options.clients, options.batch, options.seconds, None, 1, &send)?;
    let _ = agent().get(&format!("{base_url}/internal/force_flush")).call();
    std::thread::sleep(Duration::from_secs(2));
    let rate = readings as f64 / elapsed;
    Ok(PeerResult {
        name: "victoria-metrics".into(),
        readings_per_s: rate,
        bytes_per_reading: Some(dir_bytes(&storage) as f64 / readings.max(1) as f64),
        ratio: ours / rate,
        mqtt_ratio: None,
    })
}

/// The same readings into PostgreSQL with COPY, from as many connections as we have clients.
async fn postgres_copy(options: &IngestOptions, url: &str, base_ms: i64, ours: f64) -> anyhow::Result<PeerResult> {
    let peer = Arc::new(store::copy_peer::PostgresCopyPeer::connect(url, options.clients as u32).await?);
    eprintln!("bench: PostgreSQL COPY for {} s …", options.seconds);
    let runtime = tokio::runtime::Handle::current();
    let copy_peer = peer.clone();
    let send = move |_: &ureq::Agent, batch: &[(usize, u64)]| -> anyhow::Result<u64> {
        let mut body = String::with_capacity(batch.len() * 32);
        for &(i, round) in batch {
            use std::fmt::Write as _;
            let _ = writeln!(body, "{}\t{}\t{}", code_of(i), ts_of(base_ms, round), value_of(i, round));
        }
        Ok(runtime.block_on(copy_peer.copy(body.as_bytes()))?)
    };
    let (readings, elapsed) = tokio::task::block_in_place(|| drive(options.sensors, options.clients, options.batch, options.seconds, None, 1, &send))?;
    let bytes = peer.table_bytes().await? as f64 / readings.max(1) as f64;
    peer.drop_table().await?;
    let rate = readings as f64 / elapsed;
    Ok(PeerResult { name: "postgresql-copy".into(), readings_per_s: rate, bytes_per_reading: Some(bytes), ratio: ours / rate, mqtt_ratio: None })
}
