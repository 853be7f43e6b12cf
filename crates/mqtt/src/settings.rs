//! The `[mqtt]` settings: where the broker is, how anwei logs in, and which topics it reads;
//! checked once by `validate`, which names the bad field. The password is never printed.

use std::fmt;
use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};

/// The port of `mqtt://host` without one (IANA's MQTT port).
pub const DEFAULT_PORT: u16 = 1883;

/// How anwei reaches the broker (`[mqtt]` in the configuration).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttSettings {
    /// `mqtt://host:port` (the port defaults to 1883). No TLS yet: keep the broker on loopback or a
    /// private network, or terminate TLS in front of it.
    pub url: String,
    /// anwei's own account at the broker, which may read `{topic_prefix}/#`.
    pub username: Option<String>,
    /// Never serialised nor printed.
    #[serde(skip_serializing)]
    pub password: Option<String>,
    /// Stable across restarts: the broker keeps the session (subscription and unacknowledged
    /// messages) under this id, and disconnects an older connection when a newer one uses it.
    pub client_id: String,
    /// Enterprises publish to `{topic_prefix}/{unified social credit code}`.
    pub topic_prefix: String,
}

impl Default for MqttSettings {
    fn default() -> Self {
        Self {
            url: format!("mqtt://127.0.0.1:{DEFAULT_PORT}"),
            username: None,
            password: None,
            client_id: "anwei".into(),
            topic_prefix: "anwei/telemetry".into(),
        }
    }
}

impl fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttSettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("client_id", &self.client_id)
            .field("topic_prefix", &self.topic_prefix)
            .finish()
    }
}

/// A setting that cannot work, with the field it is in (`mqtt.url`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mqtt.{field}: {message}")]
pub struct SettingsError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError { field, message: message.into() }
}

/// Where to connect: the host as the socket layer wants it (an IPv6 address keeps its brackets)
/// and the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokerAddress {
    pub host: String,
    pub port: u16,
}

/// The longest client id accepted. MQTT 3.1.1 only promises 23 bytes; mosquitto takes more, and
/// a readable id like `anwei-prod-1` fits either way.
const CLIENT_ID_MAX: usize = 64;
/// Bounds that keep the topic and the credentials well inside MQTT's 64 KiB strings.
const TOPIC_PREFIX_MAX: usize = 128;
const USERNAME_MAX: usize = 256;
const PASSWORD_MAX: usize = 1024;

impl MqttSettings {
    /// Checks every field; the first bad one is reported.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.broker_address().map(|_| ())
    }

    /// The broker's address, once every field has been checked.
    pub(crate) fn broker_address(&self) -> Result<BrokerAddress, SettingsError> {
        let address = parse_url(&self.url).map_err(|message| bad("url", message))?;
        if let Some(username) = &self.username
            && (username.is_empty() || username.len() > USERNAME_MAX || username.chars().any(char::is_control))
        {
            return Err(bad("username", format!("give 1 to {USERNAME_MAX} bytes without control characters, or leave it out")));
        }
        if let Some(password) = &self.password {
            if self.username.is_none() {
                return Err(bad("password", "a password needs a username (MQTT sends none without one)"));
            }
            if password.len() > PASSWORD_MAX {
                return Err(bad("password", format!("at most {PASSWORD_MAX} bytes")));
            }
        }
        let id = &self.client_id;
        if id.is_empty() || id.len() > CLIENT_ID_MAX || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            return Err(bad(
                "client_id",
                format!("give 1 to {CLIENT_ID_MAX} letters, digits, '-', '_' or '.'; a stable id keeps the broker's session across restarts"),
            ));
        }
        let prefix = &self.topic_prefix;
        if prefix.is_empty() || prefix.len() > TOPIC_PREFIX_MAX {
            return Err(bad("topic_prefix", format!("give 1 to {TOPIC_PREFIX_MAX} bytes, such as \"anwei/telemetry\"")));
        }
        if prefix.contains(['+', '#', '\0']) || prefix.chars().any(char::is_control) {
            return Err(bad("topic_prefix", "no wildcards ('+', '#') or control characters: anwei adds \"/+\" itself"));
        }
        if prefix.split('/').any(str::is_empty) {
            return Err(bad("topic_prefix", "no empty topic level: no leading, trailing or doubled '/'"));
        }
        Ok(address)
    }
}

/// `mqtt://host[:port][/]` → host and port. Credentials, paths and queries are refused rather
/// than ignored, so that a URL copied from another tool does not silently lose a part.
fn parse_url(url: &str) -> Result<BrokerAddress, String> {
    let Some(rest) = url.strip_prefix("mqtt://") else {
        return Err(if url.starts_with("mqtts://") || url.starts_with("ssl://") {
            "TLS is not supported yet: use mqtt:// to a broker on loopback or a private network".to_owned()
        } else {
            format!("expected mqtt://host:port, got {:?}", url.chars().take(80).collect::<String>())
        });
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        return Err("put the credentials in username and password, not in the URL".into());
    }
    if rest.contains(['/', '?', '#']) {
        return Err("expected mqtt://host:port without a path or query".into());
    }
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        // An IPv6 literal; rumqttc joins host and port with ':', so the brackets stay.
        let (address, after) = bracketed.split_once(']').ok_or("an IPv6 address needs its closing ']'")?;
        address.parse::<Ipv6Addr>().map_err(|_| format!("{address:?} is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("expected ':port' after the IPv6 address")?),
        };
        (format!("[{address}]"), port)
    } else {
        let (host, port) = match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        };
        let valid_host = !host.is_empty() && host.len() <= 253 && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid_host {
            return Err(format!("{:?} is not a host name or address", host.chars().take(80).collect::<String>()));
        }
        (host.to_owned(), port)
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("the port must be a number from 1 to 65535, got {:?}", port.chars().take(20).collect::<String>())),
        },
    };
    Ok(BrokerAddress { host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validates `settings` and checks the outcome: `Ok(())` or the field named in the error.
    fn check(settings: MqttSettings, expected: Result<(), &str>) {
        let outcome = settings.validate();
        match (&outcome, expected) {
            (Ok(()), Ok(())) => {}
            (Err(error), Err(field)) => {
                assert_eq!(error.field, field, "{settings:?}: {error}");
                assert!(error.to_string().starts_with(&format!("mqtt.{field}: ")), "{error}");
            }
            _ => panic!("{settings:?}: expected {expected:?}, got {outcome:?}"),
        }
    }

    fn with_url(url: &str) -> MqttSettings {
        MqttSettings { url: url.into(), ..Default::default() }
    }

    #[test]
    fn urls() {
        let address = |url: &str| with_url(url).broker_address().map(|a| (a.host, a.port));
        assert_eq!(address("mqtt://127.0.0.1:1883"), Ok(("127.0.0.1".into(), 1883)));
        assert_eq!(address("mqtt://broker.example/"), Ok(("broker.example".into(), DEFAULT_PORT)));
        assert_eq!(address("mqtt://[::1]:51883"), Ok(("[::1]".into(), 51883)));
        assert_eq!(address("mqtt://[::1]"), Ok(("[::1]".into(), DEFAULT_PORT)));
        #[rustfmt::skip]
        let bad_urls = [
            "", "127.0.0.1:1883", "tcp://host:1883", "http://host", "mqtts://host:8883", "ssl://host",
            "mqtt://", "mqtt://:1883", "mqtt://host:", "mqtt://host:0", "mqtt://host:65536", "mqtt://host:-1",
            "mqtt://host:1883x", "mqtt://host:1883:1", "mqtt://user:secret@host", "mqtt://host/path", "mqtt://host?x=1",
            "mqtt://ho st", "mqtt://host\n", "mqtt://[::1", "mqtt://[nope]:1883", "mqtt://[::1]1883", "mqtt://主机:1883",
        ];
        for url in bad_urls {
            check(with_url(url), Err("url"));
        }
        let error = with_url("mqtt://user:secret@host").validate().unwrap_err().to_string();
        assert!(!error.contains("secret"), "a password typed into the URL is not echoed: {error}");
        assert!(with_url("mqtts://host").validate().unwrap_err().message.contains("TLS"));
    }

    #[test]
    fn other_fields() {
        let base = MqttSettings { username: Some("anwei".into()), password: Some("secret".into()), ..Default::default() };
        check(base.clone(), Ok(()));
        check(MqttSettings::default(), Ok(()));
        check(MqttSettings { password: None, ..base.clone() }, Ok(()));
        #[rustfmt::skip]
        let cases: Vec<(MqttSettings, &str)> = vec![
            (MqttSettings { username: Some(String::new()), ..base.clone() }, "username"),
            (MqttSettings { username: Some("an\nwei".into()), ..base.clone() }, "username"),
            (MqttSettings { username: Some("u".repeat(USERNAME_MAX + 1)), ..base.clone() }, "username"),
            (MqttSettings { username: None, ..base.clone() }, "password"),
            (MqttSettings { password: Some("p".repeat(PASSWORD_MAX + 1)), ..base.clone() }, "password"),
            (MqttSettings { client_id: String::new(), ..base.clone() }, "client_id"),
            (MqttSettings { client_id: "anwei 1".into(), ..base.clone() }, "client_id"),
            (MqttSettings { client_id: "安危".into(), ..base.clone() }, "client_id"),
            (MqttSettings { client_id: "a".repeat(CLIENT_ID_MAX + 1), ..base.clone() }, "client_id"),
            (MqttSettings { topic_prefix: String::new(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "anwei/#".into(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "anwei/+/x".into(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "/anwei".into(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "anwei/".into(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "anwei//t".into(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "anwei\0t".into(), ..base.clone() }, "topic_prefix"),
            (MqttSettings { topic_prefix: "t".repeat(TOPIC_PREFIX_MAX + 1), ..base.clone() }, "topic_prefix"),
        ];
        for (settings, field) in cases {
            check(settings, Err(field));
        }
        check(MqttSettings { client_id: "anwei-prod_1.a".into(), topic_prefix: "jl/安危/telemetry".into(), ..base }, Ok(()));
    }

    #[test]
    fn the_password_is_never_printed() {
        let settings = MqttSettings { username: Some("anwei".into()), password: Some("s3cret-Passw0rd".into()), ..Default::default() };
        let printed = format!("{settings:?} {settings:#?}");
        assert!(!printed.contains("s3cret") && printed.contains("***"), "{printed}");
        let serialised = toml::to_string(&settings).unwrap();
        assert!(!serialised.contains("s3cret") && serialised.contains("anwei"), "{serialised}");
    }

    #[test]
    fn deserialises_with_defaults_and_refuses_unknown_keys() {
        let parsed: MqttSettings = toml::from_str("url = \"mqtt://broker.internal\"\npassword = \"x\"\nusername = \"anwei\"").unwrap();
        assert_eq!(
            parsed,
            MqttSettings { url: "mqtt://broker.internal".into(), username: Some("anwei".into()), password: Some("x".into()), ..Default::default() }
        );
        assert_eq!(parsed.topic_prefix, "anwei/telemetry");
        assert!(toml::from_str::<MqttSettings>("host = \"broker\"").is_err(), "a misspelt key is refused");
    }
}
