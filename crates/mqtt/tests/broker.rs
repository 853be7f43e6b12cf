//! MQTT ingest against a real mosquitto, started by the test on a free loopback port with the
//! shipped configuration and ACL (`deploy/mosquitto`) and a password file for anwei and a few
//! enterprises: text and JSON payloads with good and bad readings, whole messages refused, the
//! broker's ACL keeping an enterprise off another's topic, an unknown publisher, a broker killed and
//! restarted, a packet over the size limit, a full ingest queue, and storage failing. Skipped (and
//! says so) where mosquitto is not installed; CI installs it.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app::monitoring::History;
use app::{App, AppError, Client};
use domain::monitoring::RawReading;
use mqtt::{BadMessage, MqttSettings, Stats};
use rumqttc::{AsyncClient, ConnectionError, MqttOptions, QoS};

/// Any single wait; a broken ingest fails in seconds rather than hanging.
const WAIT: Duration = Duration::from_secs(15);
/// The whole scenario.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);
const ANWEI_PASSWORD: &str = "anwei-test-password";

/// The mosquitto programs, from PATH or where Debian puts them.
struct Tools {
    mosquitto: PathBuf,
    mosquitto_passwd: PathBuf,
}

fn find_tool(name: &str, fallback: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").map(|path| std::env::split_paths(&path).map(|dir| dir.join(name)).collect::<Vec<_>>()).unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from(fallback)]).find(|candidate| candidate.is_file())
}

fn tools() -> Option<Tools> {
    Some(Tools { mosquitto: find_tool("mosquitto", "/usr/sbin/mosquitto")?, mosquitto_passwd: find_tool("mosquitto_passwd", "/usr/bin/mosquitto_passwd")? })
}

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mosquitto").join(name)
}

/// A mosquitto process of our own; killed on drop.
struct Broker {
    mosquitto: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Starts a broker with the shipped settings and ACL, and these accounts.
    fn start(tools: &Tools, accounts: &[(&str, &str)]) -> Broker {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let passwords = dir.path().join("passwd");
        for (index, (username, password)) in accounts.iter().enumerate() {
            let mut command = Command::new(&tools.mosquitto_passwd);
            if index == 0 {
                command.arg("-c");
            }
            let output = command.arg("-b").arg(&passwords).arg(username).arg(password).output().expect("mosquitto_passwd runs");
            assert!(output.status.success(), "mosquitto_passwd: {}", String::from_utf8_lossy(&output.stderr));
        }
        let acl = dir.path().join("acl");
        std::fs::copy(deploy_file("acl"), &acl).expect("deploy/mosquitto/acl");
        let port = free_port();
        // The shipped configuration, pointed at this test's port and files.
        let shipped = std::fs::read_to_string(deploy_file("anwei.conf")).expect("deploy/mosquitto/anwei.conf");
        let mut config = String::new();
        for line in shipped.lines() {
            let line = match line.split_whitespace().next() {
                Some("listener") => format!("listener {port} 127.0.0.1"),
                Some("password_file") => format!("password_file {}", passwords.display()),
                Some("acl_file") => format!("acl_file {}", acl.display()),
                _ => line.to_owned(),
            };
            config.push_str(&line);
            config.push('\n');
        }
        // Without persistence a restarted broker has no session for anwei, which must then
        // subscribe again. `user root` keeps a broker started by root from switching to the
        // `mosquitto` user, which could not read this test's private folder; it does nothing for
        // other users.
        config.push_str("persistence false\nlog_dest stdout\nuser root\n");
        std::fs::write(dir.path().join("mosquitto.conf"), config).expect("write the broker configuration");
        let mut broker = Broker { mosquitto: tools.mosquitto.clone(), dir, port, child: None };
        broker.spawn();
        broker
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("mosquitto.log")).expect("the broker log");
        let child = Command::new(&self.mosquitto)
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the broker log"))
            .stderr(log)
            .spawn()
            .expect("mosquitto starts");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten()) {
                panic!("mosquitto exited ({status}):\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "mosquitto is not listening on {}:\n{}", self.port, self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the broker as a crash would (SIGKILL) and starts it again on the same port.
    fn crash_and_restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A device or gateway of an enterprise, publishing with its credentials.
struct Publisher {
    client: AsyncClient,
    /// Connection errors seen, e.g. the broker closing the connection.
    errors: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Publisher {
    fn connect(port: u16, username: &str, password: &str, client_id: &str) -> Publisher {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        // Large enough to send a packet over the broker's limit.
        options.set_credentials(username, password).set_max_packet_size(16 << 20, 16 << 20).set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        let errors = Arc::new(AtomicU64::new(0));
        let seen = errors.clone();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(_) => {}
                    Err(ConnectionError::RequestsDone) => break,
                    Err(_) => {
                        seen.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Publisher { client, errors, task }
    }

    async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client.publish(topic, QoS::AtLeastOnce, false, payload).await.expect("the publish is queued");
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Polls `probe` until it holds, failing after `WAIT`.
async fn wait_until<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn topic(credit_code: &str) -> String {
    format!("anwei/telemetry/{credit_code}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingests_mqtt_messages_through_bad_input_acl_refusals_and_a_broker_restart() {
    let Some(tools) = tools() else {
        store::testing::skipping("mosquitto", "mosquitto or mosquitto_passwd is not installed (apt-get install mosquitto)");
        return;
    };
    tokio::time::timeout(SCENARIO_TIMEOUT, scenario(tools)).await.expect("the MQTT scenario finishes in time");
}

async fn scenario(tools: Tools) {
    let db = store::testing::fresh("sqlite").await.unwrap();
    let app = App::new(db.store.clone(), Default::default());
    demo::load_with(&app, 10).await.unwrap();
    app.start_monitoring().await.unwrap();
    let client = Client::cli();
    let actor = |name: &'static str| {
        let app = app.clone();
        async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
    };
    let (enterprise, office) = (actor("enterprise").await, actor("office").await);
    let own = enterprise.enterprise_id.unwrap();
    let sensors = app.sensors(&office, &client, None, None).await.unwrap();
    let code_of = |enterprise_id: i64, tag: &str| {
        sensors.iter().find(|s| s.enterprise_id == enterprise_id && s.code.ends_with(tag)).unwrap_or_else(|| panic!("{enterprise_id} has a {tag}")).code.clone()
    };
    let (pt, lt, tt, ft, gt, at) =
        (code_of(own, "PT101"), code_of(own, "LT101"), code_of(own, "TT101"), code_of(own, "FT101"), code_of(own, "GT101"), code_of(own, "AT101"));
    // Another enterprise's sensor (a pressure transmitter where there is one: 1.0 is a normal reading for it).
    let other_sensor =
        sensors.iter().filter(|s| s.enterprise_id != own).min_by_key(|s| !s.code.ends_with("PT101")).expect("the demo has sensors at another enterprise");
    let (other, other_pt) = (other_sensor.enterprise_id, other_sensor.code.clone());
    // Plain references from here on, so that the probes below can copy them.
    let (pt, lt, tt, ft, gt, at, other_pt) = (pt.as_str(), lt.as_str(), tt.as_str(), ft.as_str(), gt.as_str(), at.as_str(), other_pt.as_str());
    let credit_code = |id: i64| {
        let app = app.clone();
        async move { app.store.enterprise(id, &domain::access::Visibility::Everything).await.unwrap().enterprise.credit_code.to_string() }
    };
    let (a, b) = (credit_code(own).await, credit_code(other).await);
    // A well-formed credit code that names no enterprise of anwei's.
    let mut stranger = None;
    for n in 0..100 {
        let candidate = domain::CreditCode::complete(&format!("9122999900000{n:04}")).unwrap().to_string();
        if app.store.enterprise_id_by_credit_code(&candidate).await.unwrap().is_none() {
            stranger = Some(candidate);
            break;
        }
    }
    let stranger = stranger.expect("a free credit code");

    let mut broker =
        Broker::start(&tools, &[("anwei", ANWEI_PASSWORD), (&a, "password-a"), (&b, "password-b"), (&stranger, "password-c"), ("gateway-7", "password-g")]);
    let stats = Arc::new(Stats::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = MqttSettings {
        url: format!("mqtt://127.0.0.1:{}", broker.port),
        username: Some("anwei".into()),
        password: Some(ANWEI_PASSWORD.into()),
        client_id: "anwei-test".into(),
        ..Default::default()
    };
    let ingest = tokio::spawn(mqtt::run_with_stats(app.clone(), settings, stats.clone(), async {
        let _ = stopped.await;
    }));
    let (app, stats) = (&app, &*stats);
    wait_until("anwei subscribed", || async move { stats.subscriptions() == 1 }).await;

    let publisher_a = Publisher::connect(broker.port, &a, "password-a", "gateway-a");
    let base = store::now_ms() - 10 * 60 * 1000;
    let t = |seconds: i64| base + seconds * 1000;
    let history = |code: &str| {
        let code = code.to_owned();
        let (office, client) = (office.clone(), client.clone());
        async move {
            match app.sensor_history(&office, &client, &code, base - 1, store::now_ms(), None).await.unwrap() {
                History::Raw { points } => points,
                History::Buckets { .. } => unreachable!("no bucket was asked for"),
            }
        }
    };
    // The latest stored reading (the monitor's in-memory value runs a commit ahead of storage).
    let latest = |code: &str| {
        let stored = history(code);
        async move { stored.await.last().copied() }
    };

    // (1) Text lines: the good readings are stored, a malformed, an out-of-range and an unknown
    // sensor's reading are not, and the message as a whole is taken.
    let text = format!("{pt} 1.20 {}\n{pt} abc {}\n{pt} 9.9 {}\nNO-SUCH-SENSOR 1.0 {}\n\n{lt} 42.5 {}\n", t(1), t(2), t(3), t(3), t(4));
    publisher_a.publish(&topic(&a), text).await;
    wait_until("the text readings", || async move { latest(lt).await == Some((t(4), 42.5)) }).await;
    assert_eq!(history(pt).await, [(t(1), 1.2)]);
    assert_eq!(history(lt).await, [(t(4), 42.5)]);

    // A JSON array, after leading whitespace: the good readings in, the bad ones out.
    let json = format!(
        " \r\n[{{\"sensor\": \"{pt}\", \"value\": 1.3, \"ts\": {}}}, {{\"sensor\": \"{pt}\", \"value\": \"1.4\", \"ts\": {}}}, {{\"sensor\": \"{lt}\"}}, {{\"sensor\": \"{tt}\", \"value\": 21.5, \"ts\": {}}}]",
        t(5),
        t(6),
        t(7)
    );
    publisher_a.publish(&topic(&a), json).await;
    wait_until("the JSON readings", || async move { latest(tt).await == Some((t(7), 21.5)) }).await;
    assert_eq!(history(pt).await, [(t(1), 1.2), (t(5), 1.3)]);
    assert_eq!(stats.messages_ingested(), 2);

    // Whole messages that cannot be read are refused, good lines and all, and the loop goes on.
    publisher_a.publish(&topic(&a), [format!("{pt} 1.0 {}\n", t(8)).into_bytes(), vec![0xFF, 0xFE, b'\n']].concat()).await;
    publisher_a.publish(&topic(&a), format!("[{{\"sensor\": \"{pt}\", \"value\": 1.0, \"ts\": {}}}", t(9))).await;
    let too_many: String = (0..=app::monitoring::BATCH_READINGS_MAX as i64).map(|i| format!("{gt} 1.0 {}\n", base + i)).collect();
    assert!(too_many.len() > 3_000_000, "a few megabytes travel");
    publisher_a.publish(&topic(&a), too_many).await;
    publisher_a.publish(&topic(&a), format!("{ft} 10.0 {}", t(10))).await;
    wait_until("the reading after the bad messages", || async move { latest(ft).await == Some((t(10), 10.0)) }).await;
    assert_eq!([BadMessage::NotUtf8, BadMessage::BadJson, BadMessage::TooManyReadings].map(|reason| stats.bad_messages(reason)), [1, 1, 1]);
    assert_eq!(history(pt).await, [(t(1), 1.2), (t(5), 1.3)], "nothing of the refused messages");
    assert_eq!(latest(gt).await, None);
    assert!(history(gt).await.is_empty());
    assert_eq!(stats.connections(), 1, "no message broke the connection");

    // (2) The broker keeps enterprise A off B's topic; on its own topic, B's sensor is unknown to A.
    let unknown_sensor = || async move { app.monitor.counters().1.into_iter().find(|(reason, _)| *reason == "unknown_sensor").map_or(0, |(_, n)| n) };
    let (received, unknown_before) = (stats.messages_received(), unknown_sensor().await);
    publisher_a.publish(&topic(&b), format!("{other_pt} 1.0 {}", t(11))).await;
    publisher_a.publish(&topic(&a), format!("{other_pt} 1.1 {}\n{at} 3.0 {}", t(12), t(12))).await;
    wait_until("A's reading after the refused ones", || async move { latest(at).await == Some((t(12), 3.0)) }).await;
    assert_eq!(latest(other_pt).await, None, "nothing stored for B");
    assert_eq!(stats.messages_received() - received, 1, "the message to B's topic never reached anwei");
    assert_eq!(unknown_sensor().await - unknown_before, 1, "B's sensor on A's topic is an unknown sensor");
    // B on its own topic may.
    let publisher_b = Publisher::connect(broker.port, &b, "password-b", "gateway-b");
    publisher_b.publish(&topic(&b), format!("{other_pt} 1.0 {}", t(13))).await;
    wait_until("B's own reading", || async move { latest(other_pt).await == Some((t(13), 1.0)) }).await;

    // (3) A publisher whose credit code (or name) is no enterprise of anwei's does nothing.
    let publisher_c = Publisher::connect(broker.port, &stranger, "password-c", "gateway-c");
    publisher_c.publish(&topic(&stranger), format!("{pt} 2.0 {}", t(14))).await;
    let publisher_g = Publisher::connect(broker.port, "gateway-7", "password-g", "gateway-g");
    publisher_g.publish(&topic("gateway-7"), format!("{pt} 2.1 {}", t(14))).await;
    wait_until("both unknown publishers refused", || async move { stats.bad_messages(BadMessage::UnknownEnterprise) == 2 }).await;
    assert_eq!(latest(pt).await, Some((t(5), 1.3)));
    assert_eq!(history(pt).await, [(t(1), 1.2), (t(5), 1.3)]);

    // (4) The broker crashes and comes back without the session: anwei reconnects, subscribes
    // again, and ingests what comes next.
    broker.crash_and_restart();
    wait_until("anwei connected and subscribed again", || async move { stats.connections() == 2 && stats.subscriptions() == 2 }).await;
    publisher_a.publish(&topic(&a), format!("{lt} 50.0 {}", t(15))).await;
    wait_until("a reading after the restart", || async move { latest(lt).await == Some((t(15), 50.0)) }).await;

    // (5) A packet over the limit: the broker refuses it and disconnects the sender; anwei's
    // connection and loop carry on.
    let big = Publisher::connect(broker.port, &a, "password-a", "gateway-a-big");
    big.client.publish(topic(&a), QoS::AtMostOnce, false, vec![b'x'; mqtt::MAX_PACKET_BYTES + (1 << 20)]).await.unwrap();
    let big_errors = big.errors.clone();
    wait_until("the broker to drop the oversized sender", || {
        let big_errors = big_errors.clone();
        async move { big_errors.load(Ordering::Relaxed) > 0 }
    })
    .await;
    drop(big);
    let received = stats.messages_received();
    publisher_a.publish(&topic(&a), format!("{lt} 51.0 {}", t(16))).await;
    wait_until("a reading after the oversized one", || async move { latest(lt).await == Some((t(16), 51.0)) }).await;
    assert_eq!(stats.messages_received() - received, 1, "the oversized message never reached anwei");
    assert_eq!(stats.connections(), 2, "anwei kept its connection");

    // (6) The ingest queue is full (HTTP batches hold every slot): a message waits and is retried
    // before the next one is read, so two messages sent back to back are both stored, in order.
    let flooding = Arc::new(AtomicBool::new(true));
    let flood_from = store::now_ms() - 6 * 24 * 3600 * 1000;
    let floods: Vec<_> = (0..app::monitoring::INGEST_QUEUE_MAX)
        .map(|_| {
            let (app, flooding, code) = (app.clone(), flooding.clone(), gt.to_owned());
            tokio::spawn(async move {
                // Built once: after the first round its readings are duplicates, which still hold
                // a slot while they wait for the monitor, and the loop re-enters at once.
                let batch: Vec<_> = (0..20_000).map(|i| Ok(RawReading { code: &code, value: 1.0, ts_ms: flood_from + i })).collect();
                while flooding.load(Ordering::Relaxed) {
                    let _ = app.ingest(own, &batch, store::now_ms()).await;
                }
            })
        })
        .collect();
    wait_until("the ingest queue to fill", || async move { matches!(app.ingest(own, &[], store::now_ms()).await, Err(AppError::Busy(_))) }).await;
    let (mut sent, ingested) = (vec![(t(16), 51.0)], stats.messages_ingested());
    for pair in 0..20i32 {
        for n in [0, 1] {
            let index = 20 + 2 * pair + n;
            let reading = (t(i64::from(index)), 20.0 + f64::from(index));
            publisher_a.publish(&topic(&a), format!("{lt} {} {}", reading.1, reading.0)).await;
            sent.push(reading);
        }
        let expected = ingested + 2 * (pair as u64 + 1);
        wait_until("a message to meet the full queue", || async move { stats.busy_retries() > 0 || stats.messages_ingested() == expected }).await;
        if stats.busy_retries() > 0 {
            break;
        }
    }
    assert!(stats.busy_retries() > 0, "a message met the full queue");
    flooding.store(false, Ordering::Relaxed);
    for flood in floods {
        flood.await.unwrap();
    }
    let expected = ingested + sent.len() as u64 - 1;
    wait_until("every message ingested once the queue drains", || async move { stats.messages_ingested() == expected }).await;
    let kept = history(lt).await;
    assert_eq!(kept[kept.len() - sent.len()..], sent, "every message stored, none skipped or reordered");

    // (7) Storage fails: the message is not acknowledged, so the broker sends it again after the
    // reconnect anwei forces; nothing is stored.
    app.store.close().await;
    publisher_a.publish(&topic(&a), format!("{lt} 52.0 {}", t(99))).await;
    wait_until("the message to come back after a storage failure", || async move { stats.storage_failures() >= 2 }).await;
    assert!(stats.connections() >= 3, "anwei renewed its connection to get the message again");
    assert_eq!(app.monitor.latest(lt).await, sent.last().copied(), "the monitor was put back as it was before the failed message");

    let _ = stop.send(());
    let outcome = tokio::time::timeout(WAIT, ingest).await.expect("anwei stops on shutdown").expect("the ingest task did not panic");
    assert!(outcome.is_ok(), "{outcome:?}");
    drop((publisher_a, publisher_b, publisher_c, publisher_g));
    drop(broker);
    drop(db);
}
