//! The MQTT leg of the ingest benchmark: a mosquitto of its own (Debian's package) on a free
//! loopback port with the shipped configuration and ACL (`deploy/mosquitto`), logins for anwei
//! and for the benchmark's enterprise, and publishers sending 100 readings per message with
//! QoS 1 to `anwei/telemetry/{credit code}`. The rate counts readings from the first publish to
//! the moment the server has stored the last of them (read from the database).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rumqttc::{AsyncClient, ConnectionError, MqttOptions, QoS};

use crate::{Spawned, code_of, free_port, ts_of, value_of};

/// Readings in one message.
pub const READINGS_PER_MESSAGE: usize = 100;
/// The password of both broker logins (loopback only, for the benchmark's run).
const PASSWORD: &str = "bench-password";
/// How long the server may take to store what was published.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

/// The shipped broker configuration and ACL, next to the executable's source tree or installed.
fn deploy_file(name: &str) -> anyhow::Result<PathBuf> {
    let candidates = [Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mosquitto").join(name), PathBuf::from("/etc/anwei/mosquitto").join(name)];
    candidates.into_iter().find(|p| p.exists()).with_context(|| format!("deploy/mosquitto/{name} not found"))
}

fn tool(name: &str, debian_path: &str) -> anyhow::Result<PathBuf> {
    if Command::new(name).arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
        return Ok(PathBuf::from(name));
    }
    let path = PathBuf::from(debian_path);
    if path.exists() {
        return Ok(path);
    }
    bail!("{name} is not installed (Debian package mosquitto)")
}

/// A broker of the benchmark's own, killed on drop.
pub struct Broker {
    pub port: u16,
    _process: Spawned,
}

impl Broker {
    /// Starts mosquitto in `dir` with logins `anwei` (reads every enterprise's topic) and
    /// `credit_code` (writes its own).
    pub fn start(dir: &Path, credit_code: &str) -> anyhow::Result<Broker> {
        let mosquitto = tool("mosquitto", "/usr/sbin/mosquitto")?;
        let passwd = tool("mosquitto_passwd", "/usr/bin/mosquitto_passwd")?;
        let passwords = dir.join("mosquitto.passwd");
        for (n, user) in ["anwei", credit_code].into_iter().enumerate() {
            let mut command = Command::new(&passwd);
            if n == 0 {
                command.arg("-c");
            }
            let output = command.arg("-b").arg(&passwords).arg(user).arg(PASSWORD).output().context("mosquitto_passwd")?;
            if !output.status.success() {
                bail!("mosquitto_passwd: {}", String::from_utf8_lossy(&output.stderr));
            }
        }
        let acl = dir.join("mosquitto.acl");
        std::fs::copy(deploy_file("acl")?, &acl)?;
        let port = free_port()?;
        let mut config = String::new();
        for line in std::fs::read_to_string(deploy_file("anwei.conf")?)?.lines() {
            let line = match line.split_whitespace().next() {
                Some("listener") => format!("listener {port} 127.0.0.1"),
                Some("password_file") => format!("password_file {}", passwords.display()),
                Some("acl_file") => format!("acl_file {}", acl.display()),
                Some("user") => continue,
                _ => line.to_owned(),
            };
            config.push_str(&line);
            config.push('\n');
        }
        // `user root` keeps a broker started by root from switching to the `mosquitto` user, which
        // could not read this private folder.
        config.push_str("persistence false\nuser root\n");
        let config_path = dir.join("mosquitto.conf");
        std::fs::write(&config_path, config)?;
        let process = Spawned(
            Command::new(mosquitto)
                .arg("-c")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start mosquitto")?,
        );
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("mosquitto did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Broker { port, _process: process })
    }

    /// The `[mqtt]` table for the server.
    pub fn server_settings(&self) -> String {
        format!("[mqtt]\nurl = \"mqtt://127.0.0.1:{}\"\nusername = \"anwei\"\npassword = \"{PASSWORD}\"\nclient_id = \"anwei-bench\"\n", self.port)
    }
}

/// What the MQTT leg sends: `rounds` rounds of every one of `sensors` sensors' readings, from
/// `first_round` on (timestamps from `base_ms`), from `publishers` connections.
pub struct Load {
    pub sensors: usize,
    pub publishers: usize,
    pub rounds: u64,
    pub first_round: u64,
    pub base_ms: i64,
}

/// Publishes `load` as messages of `READINGS_PER_MESSAGE` and waits until `store` holds
/// `stored_before` plus all of them. Returns the readings and the seconds from the first publish
/// to the last one stored.
pub async fn run(broker: &Broker, credit_code: &str, load: &Load, store: &store::Store, stored_before: i64) -> anyhow::Result<(u64, f64)> {
    let Load { sensors, publishers, rounds, first_round, base_ms } = *load;
    let topic = format!("anwei/telemetry/{credit_code}");
    let mut clients = Vec::new();
    let mut loops = Vec::new();
    for n in 0..publishers.max(1) {
        let mut options = MqttOptions::new(format!("bench-publisher-{n}"), "127.0.0.1", broker.port);
        options.set_credentials(credit_code, PASSWORD).set_keep_alive(Duration::from_secs(30)).set_inflight(100);
        let (client, mut eventloop) = AsyncClient::new(options, 1_000);
        loops.push(tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(_) => {}
                    Err(ConnectionError::RequestsDone) => return Ok(()),
                    Err(error) => return Err(anyhow::anyhow!("publisher connection: {error}")),
                }
            }
        }));
        clients.push(client);
    }
    let total = sensors as u64 * rounds;
    let started = Instant::now();
    let publishing: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(n, client)| {
            let (client, topic) = (client.clone(), topic.clone());
            let count = clients.len();
            tokio::spawn(async move {
                for round in first_round..first_round + rounds {
                    for (m, chunk) in (0..sensors).collect::<Vec<_>>().chunks(READINGS_PER_MESSAGE).enumerate() {
                        if m % count != n {
                            continue;
                        }
                        let mut payload = String::with_capacity(chunk.len() * 32);
                        for &i in chunk {
                            use std::fmt::Write as _;
                            let _ = writeln!(payload, "{} {} {}", code_of(i), value_of(i, round), ts_of(base_ms, round));
                        }
                        client.publish(topic.as_str(), QoS::AtLeastOnce, false, payload).await?;
                    }
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in publishing {
        task.await??;
    }
    let target = stored_before + total as i64;
    loop {
        let (_, stored) = store.chunk_totals().await?;
        if stored >= target {
            break;
        }
        if started.elapsed() > DRAIN_TIMEOUT {
            bail!("the server stored {} of {total} readings sent over MQTT within {} s", stored - stored_before, DRAIN_TIMEOUT.as_secs());
        }
        if let Some(failed) = loops.iter().position(|l| l.is_finished()) {
            let outcome = loops.remove(failed).await?;
            outcome?;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    for client in &clients {
        let _ = client.disconnect().await;
    }
    Ok((total, elapsed))
}
