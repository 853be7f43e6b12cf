//! Configuration: defaults in code, then a TOML file, then `ANWEI_*` environment variables, then
//! command-line flags; validated once into `Config` and passed down. Secrets are never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`; defaults to `anwei.db` in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Mark cookies `Secure`: set when the site is served over HTTPS.
    pub secure_cookies: bool,
    pub security: app::auth::SecuritySettings,
    /// Risk-grading bands (`[risk.lec]`, `[risk.matrix]`); defaults from DOMAIN.md.
    pub risk: domain::risk_points::RiskBands,
    /// Liability insurance (`[insurance]`): the statutory minimum cover and the premium's floating
    /// rules; defaults from DOMAIN.md.
    pub insurance: domain::insurance::InsuranceRules,
    /// Monitoring of major hazard sources (`[monitoring]`, `[monitoring.warning]`, `[monitoring.escalation]`).
    pub monitoring: MonitoringConfig,
    /// Telemetry over MQTT (`[mqtt]`); off unless the table is given.
    pub mqtt: Option<mqtt::MqttSettings>,
    /// The server's secret key (64 hex digits): it keys the audit chain, seals secrets such as
    /// second factors, and signs webhooks. Defaults to `anwei.key` in `data_dir`; created on the
    /// first start of a new database. Every process of one database needs the same file, and it
    /// must not be kept with the database's backups.
    pub key_file: Option<PathBuf>,
    /// The append-only file the audit chain's head is written to every minute. Defaults to
    /// `audit-anchor.log` in `data_dir`.
    pub audit_anchor_file: Option<PathBuf>,
    /// Addresses or networks of the reverse proxies in front of anwei (`["10.0.0.5",
    /// "10.1.0.0/16"]`): only from them are `Forwarded` and `X-Forwarded-For` believed. Empty:
    /// the socket's peer is the client.
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies write: `x-forwarded-for` (nginx `proxy_add_x_forwarded_for`)
    /// or `forwarded` (RFC 7239). Only that one is read.
    pub forwarded_header: String,
    /// Requests handled at once; beyond it the answer is 503 with `Retry-After` (not a queue).
    pub requests_in_flight_max: usize,
    /// Telling people beyond the page (`[inbox]`, `[inbox.smtp]`, `[inbox.sms]`): each channel is
    /// offered to users only when configured here.
    pub inbox: InboxConfig,
    /// Who runs the site (`[site]`): the organisation and emblem in the header, the hosting unit
    /// and filing number in the footer.
    pub site: SiteConfig,
    /// Documents the server writes (`[documents]`): the font of PDF records.
    pub documents: DocumentsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            data_dir: PathBuf::from("./anwei-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
            security: Default::default(),
            risk: Default::default(),
            insurance: Default::default(),
            monitoring: Default::default(),
            mqtt: None,
            key_file: None,
            audit_anchor_file: None,
            trusted_proxies: Vec::new(),
            forwarded_header: "x-forwarded-for".into(),
            requests_in_flight_max: web::REQUESTS_IN_FLIGHT_MAX,
            inbox: Default::default(),
            site: Default::default(),
            documents: Default::default(),
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>, database_url: Option<String>, data_dir: Option<PathBuf>, listen: Option<SocketAddr>) -> anyhow::Result<Self> {
        let text = file.map(read_file).transpose()?;
        let figment = Self::defaults_and(text.as_deref())
            .merge(Env::prefixed("ANWEI_").ignore(&["LOG", "TEST_POSTGRES_URL", "TEST_MQTT_URL", "TEST_REQUIRE"]).split("__"));
        let mut config: Config = figment.extract().context("invalid configuration")?;
        if let Some(url) = database_url {
            config.database_url = Some(url);
        }
        if let Some(dir) = data_dir {
            config.data_dir = dir;
        }
        if let Some(listen) = listen {
            config.listen = listen;
        }
        config.validate()?;
        Ok(config)
    }

    /// A configuration file's text over the defaults, validated, without the environment: what
    /// the file alone says (and what the `config_file` fuzz target feeds).
    #[cfg_attr(not(test), allow(dead_code, reason = "called by the tests and the config_file fuzz target"))]
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Config = Self::defaults_and(Some(text)).extract().context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn defaults_and(text: Option<&str>) -> Figment {
        let figment = Figment::from(Serialized::defaults(Config::default()));
        match text {
            Some(text) => figment.merge(Toml::string(text)),
            None => figment,
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = self.database_url();
        if !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("database_url must start with sqlite:// or postgres://");
        }
        let s = &self.security;
        if s.lock_after_failures < 1
            || s.lock_minutes < 1
            || s.session_idle_minutes < 1
            || s.session_absolute_hours < 1
            || s.max_sessions_per_user < 1
            || s.token_lifetime_days < 1
        {
            bail!("security settings must all be at least 1");
        }
        if let Err(message) = self.risk.check() {
            bail!("risk: {message}");
        }
        if let Err(message) = self.insurance.check() {
            bail!("insurance: {message}");
        }
        self.monitoring.check()?;
        if !(1..=100_000).contains(&self.requests_in_flight_max) {
            bail!("requests_in_flight_max must be 1 to 100000");
        }
        if self.trusted_proxies.len() > 64 {
            bail!("trusted_proxies: at most 64 entries");
        }
        web::client_address::parse_trusted(&self.trusted_proxies).map_err(|message| anyhow::anyhow!(message))?;
        web::client_address::ForwardedHeader::parse(&self.forwarded_header).map_err(|message| anyhow::anyhow!(message))?;
        if let Some(mqtt) = &self.mqtt {
            mqtt.validate()?;
        }
        self.inbox.check()?;
        self.site.check()?;
        if let Some(font) = &self.documents.font
            && !font.is_file()
        {
            anyhow::bail!("[documents] font: {} is not a file", font.display());
        }
        let problems = self.inbox.delivery_settings().problems();
        if !problems.is_empty() {
            bail!("{}", problems.join("; "));
        }
        Ok(())
    }

    pub fn key_file(&self) -> PathBuf {
        self.key_file.clone().unwrap_or_else(|| self.data_dir.join("anwei.key"))
    }

    pub fn audit_anchor_file(&self) -> PathBuf {
        self.audit_anchor_file.clone().unwrap_or_else(|| self.data_dir.join("audit-anchor.log"))
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("anwei.db").display()))
    }

    /// The database URL without its password, for messages.
    pub fn redacted_database_url(&self) -> String {
        let url = self.database_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let credentials = &url[scheme_end + 3..at];
                let user = credentials.split(':').next().unwrap_or("");
                format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
            }
            _ => url,
        }
    }
}

/// The largest configuration file read; checked before reading it.
pub const CONFIG_FILE_BYTES_MAX: u64 = 1 << 20;

fn read_file(file: &Path) -> anyhow::Result<String> {
    let metadata = match std::fs::metadata(file) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!("configuration file {} does not exist", file.display()),
        Err(error) => return Err(error).with_context(|| format!("cannot read the configuration file {}", file.display())),
    };
    let too_large = || anyhow::anyhow!("configuration file {}: not a file of at most {} KiB", file.display(), CONFIG_FILE_BYTES_MAX / 1024);
    if !metadata.is_file() || metadata.len() > CONFIG_FILE_BYTES_MAX {
        return Err(too_large());
    }
    // Read with the bound too: the file may grow between the check and the read.
    let mut bytes = Vec::new();
    let opened = std::fs::File::open(file).with_context(|| format!("cannot read the configuration file {}", file.display()))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(opened, CONFIG_FILE_BYTES_MAX + 1), &mut bytes)
        .with_context(|| format!("cannot read the configuration file {}", file.display()))?;
    if bytes.len() as u64 > CONFIG_FILE_BYTES_MAX {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|error| anyhow::anyhow!("configuration file {}: not UTF-8 (byte {})", file.display(), error.utf8_error().valid_up_to()))
}

/// A secret from the configuration, never printed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// `[monitoring]`: how long readings are kept, which timestamps are accepted, how alarms grade
/// sources and when unacknowledged alarms go up the tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// Days readings are kept; at least 30 (GB 18218 practice: monitoring data kept 30 days).
    pub retention_days: u32,
    /// How old a reading may be when it arrives (buffered by a gateway during an outage).
    pub max_past_minutes: u32,
    /// How far ahead of the server's clock a reading's time may be.
    pub max_future_seconds: u32,
    pub warning: domain::monitoring::WarningRules,
    pub escalation: domain::monitoring::EscalationRules,
    /// URLs (http://) every alarm transition is posted to as JSON.
    pub webhooks: Vec<String>,
    /// The secret the webhook posts are signed with (HMAC-SHA256, `X-Anwei-Signature`); at
    /// least 32 characters, shared with the receivers; required when `webhooks` are given.
    pub webhook_secret: Option<Secret>,
    /// Live alarm streams one user may hold open at once.
    pub live_streams_per_user: usize,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        let settings = app::monitoring::MonitorSettings::default();
        Self {
            retention_days: settings.retention_days,
            max_past_minutes: u32::try_from(settings.window.max_past_ms / 60_000).unwrap_or(u32::MAX),
            max_future_seconds: u32::try_from(settings.window.max_future_ms / 1000).unwrap_or(u32::MAX),
            warning: settings.warning_rules,
            escalation: settings.escalation,
            webhooks: Vec::new(),
            webhook_secret: None,
            live_streams_per_user: settings.live_streams_per_user,
        }
    }
}

impl MonitoringConfig {
    fn check(&self) -> anyhow::Result<()> {
        if self.retention_days < 30 {
            bail!("monitoring.retention_days must be at least 30");
        }
        if self.max_past_minutes == 0 || self.max_past_minutes > 31 * 24 * 60 {
            bail!("monitoring.max_past_minutes must be 1 to 44640 (31 days)");
        }
        if self.max_future_seconds > 24 * 3600 {
            bail!("monitoring.max_future_seconds must be at most 86400");
        }
        if let Err(message) = self.escalation.check() {
            bail!("monitoring.escalation: {message}");
        }
        if !(1..=app::monitoring::LIVE_SUBSCRIBERS_MAX).contains(&self.live_streams_per_user) {
            bail!("monitoring.live_streams_per_user must be 1 to {}", app::monitoring::LIVE_SUBSCRIBERS_MAX);
        }
        if !self.webhooks.is_empty() && self.webhook_secret.as_ref().is_none_or(|secret| secret.0.chars().count() < 32) {
            bail!("monitoring.webhook_secret: webhooks are signed, so give a secret of at least 32 characters to share with the receivers");
        }
        if self.webhooks.len() > 20 {
            bail!("monitoring.webhooks: at most 20");
        }
        for (i, url) in self.webhooks.iter().enumerate() {
            let host = url.strip_prefix("http://").and_then(|rest| rest.split(['/', '?']).next()).unwrap_or("");
            if host.is_empty() || url.len() > 500 || url.chars().any(char::is_whitespace) {
                bail!("monitoring.webhooks[{i}] must be an http:// URL of at most 500 characters (https is not supported yet)");
            }
        }
        Ok(())
    }

    /// The application's settings from this section.
    pub fn settings(&self) -> app::monitoring::MonitorSettings {
        app::monitoring::MonitorSettings {
            window: domain::monitoring::TimeWindow {
                max_past_ms: i64::from(self.max_past_minutes) * 60_000,
                max_future_ms: i64::from(self.max_future_seconds) * 1000,
            },
            retention_days: self.retention_days,
            warning_rules: self.warning.clone(),
            escalation: self.escalation,
            live_streams_per_user: self.live_streams_per_user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitoring_settings_come_from_the_file_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anwei.toml");
        std::fs::write(
            &file,
            "[monitoring]\nretention_days = 90\n[monitoring.escalation]\ncounty_after_min = 5\ncity_after_min = 20\nprovince_after_min = 45\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), None, None, None).unwrap();
        let settings = config.monitoring.settings();
        assert_eq!((settings.retention_days, settings.escalation.county_after_min), (90, 5));
        assert_eq!(settings.window.max_future_ms, 300_000, "the rest keep their defaults");
        for bad in [
            "[monitoring]\nretention_days = 7\n",
            "[monitoring.escalation]\ncounty_after_min = 40\n",
            "[monitoring]\nretension_days = 40\n",
            "[monitoring]\nwebhooks = [\"ftp://x\"]\n",
            "[monitoring]\nwebhooks = [\"http://hooks.example/alarm\"]\n",
            "[monitoring]\nwebhooks = [\"http://hooks.example/alarm\"]\nwebhook_secret = \"too short\"\n",
        ] {
            std::fs::write(&file, bad).unwrap();
            let error = format!("{:#}", Config::load(Some(&file), None, None, None).unwrap_err());
            assert!(error.contains("monitoring") || error.contains("retension"), "{bad}: {error}");
        }
    }

    #[test]
    fn signed_webhooks_need_a_secret_that_is_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anwei.toml");
        std::fs::write(&file, "[monitoring]\nwebhooks = [\"http://hooks.example/alarm\"]\nwebhook_secret = \"a-shared-secret-of-at-least-32-chars\"\n")
            .unwrap();
        let config = Config::load(Some(&file), None, None, None).unwrap();
        assert!(!format!("{config:?}").contains("a-shared-secret"), "the webhook secret is not printed");
    }

    #[test]
    fn oversized_and_non_utf8_files_are_refused_before_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anwei.toml");
        std::fs::write(&file, "# ".repeat(CONFIG_FILE_BYTES_MAX as usize / 2 + 1)).unwrap();
        let error = Config::load(Some(&file), None, None, None).unwrap_err().to_string();
        assert!(error.contains("at most 1024 KiB"), "{error}");
        std::fs::write(&file, b"listen = \"127.0.0.1:1\"\n\xff\n").unwrap();
        let error = Config::load(Some(&file), None, None, None).unwrap_err().to_string();
        assert!(error.contains("not UTF-8 (byte 23)"), "{error}");
        assert!(Config::load(Some(dir.path()), None, None, None).is_err(), "a directory is not a file");
    }

    #[test]
    fn inbox_channels_come_from_the_file_are_checked_and_keep_their_secrets() {
        let text = "[inbox]\nwecom_url = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=\"\n\
                    [inbox.smtp]\nhost = \"smtp.yjt.jl.gov.cn\"\nfrom = \"安全生产监管平台 <noreply@yjt.jl.gov.cn>\"\n\
                    username = \"noreply\"\npassword = \"smtp-password-1\"\n\
                    [inbox.sms]\nurl = \"https://sms.jl.gov.cn/send\"\ntoken = \"gateway-token-1\"\n";
        let config = Config::parse(text).unwrap();
        let delivery = config.inbox.delivery_settings();
        assert_eq!(delivery.channels(), vec![domain::inbox::Channel::Email, domain::inbox::Channel::Sms, domain::inbox::Channel::Wecom]);
        let smtp = delivery.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.security), (587, app::inbox::delivery::SmtpSecurity::Starttls), "STARTTLS on 587 unless told");
        let printed = format!("{config:?} {delivery:?}");
        assert!(!printed.contains("smtp-password-1") && !printed.contains("gateway-token-1"), "{printed}");
        for (bad, named) in [
            ("[inbox.smtp]\nhost = \"h\"\nfrom = \"nobody\"\n", "smtp.from"),
            ("[inbox.smtp]\nhost = \"h\"\nfrom = \"a@b.cn\"\nsecurity = \"ssl3\"\n", "security"),
            ("[inbox.smtp]\nhost = \"h\"\nfrom = \"a@b.cn\"\nusername = \"u\"\n", "password"),
            ("[inbox]\ndingtalk_url = \"file:///etc/passwd\"\n", "dingtalk_url"),
            ("[inbox]\nsmtp_host = \"h\"\n", "smtp_host"),
        ] {
            let error = format!("{:#}", Config::parse(bad).unwrap_err());
            assert!(error.contains(named), "{bad}: {error}");
        }
    }

    #[test]
    fn the_site_identity_comes_from_the_file_and_the_emblem_is_checked_by_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let emblem = dir.path().join("emblem.png");
        std::fs::write(&emblem, b"\x89PNG\r\n\x1a\n0000").unwrap();
        let text = format!(
            "[site]\norganisation = \"吉林省安全生产委员会办公室\"\nhosting_unit = \"吉林省应急管理厅\"\nemblem_file = {:?}\n",
            emblem.display().to_string()
        );
        let identity = Config::parse(&text).unwrap().site.identity().unwrap();
        assert_eq!(identity.organisation_zh, "吉林省安全生产委员会办公室");
        assert_eq!(identity.emblem.map(|e| e.content_type), Some("image/png"));
        std::fs::write(&emblem, b"<svg onload=alert(1)>").unwrap();
        let refused = format!("{:#}", Config::parse(&text).unwrap().site.identity().unwrap_err());
        assert!(refused.contains("PNG or JPEG"), "{refused}");
        let directory = format!("[site]\nemblem_file = {:?}\n", dir.path().display().to_string());
        assert!(format!("{:#}", Config::parse(&directory).unwrap().site.identity().unwrap_err()).contains("not a file"));
        assert!(format!("{:#}", Config::parse("[site]\norganisation = \"a\\nb\"\n").unwrap_err()).contains("site.organisation"));
    }

    #[test]
    fn a_parse_error_says_where() {
        let error = format!("{:#}", Config::parse("[security]\nsession_idle_minutes = \"ten\"\n").unwrap_err());
        assert!(error.contains("session_idle_minutes"), "{error}");
        let error = format!("{:#}", Config::parse("listen = [\n").unwrap_err());
        assert!(error.contains("line 1") || error.contains("line 2"), "{error}");
    }

    /// Replays the `config_file` fuzzer's corpus on the stable toolchain: every input is read or
    /// refused without a panic, and the documented examples are read.
    #[test]
    fn the_fuzz_corpus_is_read_or_refused() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/config_file");
        let mut read = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            if let Ok(text) = std::str::from_utf8(&bytes)
                && Config::parse(text).is_ok()
            {
                read.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        for example in ["readme-main.toml", "readme-monitoring.toml", "readme-mqtt.toml"] {
            assert!(read.iter().any(|name| name == example), "README's example {example} is a valid configuration: {read:?}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        let config = Config { database_url: Some("postgres://anwei:secret@127.0.0.1/db".into()), ..Default::default() };
        assert_eq!(config.redacted_database_url(), "postgres://anwei:***@127.0.0.1/db");
    }

    #[test]
    fn bad_settings_are_rejected_with_the_reason() {
        let error = Config::load(None, Some("mysql://x".into()), None, None).unwrap_err();
        assert!(error.to_string().contains("sqlite:// or postgres://"));
        let error = Config::load(Some(Path::new("/nonexistent/anwei.toml")), None, None, None).unwrap_err();
        assert!(error.to_string().contains("does not exist"));
        let dir = std::env::temp_dir().join(format!("anwei-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("anwei.toml");
        std::fs::write(&file, "[risk.matrix]\nmajor_from = 20\nlarger_from = 15\ngeneral_from = 9\n").unwrap();
        let config = Config::load(Some(&file), None, None, None).unwrap();
        assert_eq!(config.risk.matrix.larger_from, 15, "another province's matrix bands");
        assert_eq!(config.risk.lec.major_above, 320.0, "the rest keep their defaults");
        std::fs::write(&file, "[risk.lec]\nmajor_above = 70\n").unwrap();
        assert!(Config::load(Some(&file), None, None, None).unwrap_err().to_string().contains("descend"));
        std::fs::write(&file, "[insurance]\nceiling_points = 50\nminimum_cover_from = \"2025-07-01\"\n").unwrap();
        let insurance = Config::load(Some(&file), None, None, None).unwrap().insurance;
        assert_eq!((insurance.ceiling_points, insurance.minimum_cover_yuan), (50, 400_000), "another province's band, the rest by default");
        std::fs::write(&file, "[insurance]\nfloor_points = 10\n").unwrap();
        assert!(Config::load(Some(&file), None, None, None).unwrap_err().to_string().contains("insurance"), "a band above zero is refused");
        std::fs::write(&file, "[risk.lec]\nmajor_abov = 400\n").unwrap();
        assert!(Config::load(Some(&file), None, None, None).is_err(), "a misspelt key is refused");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_mqtt_table_is_optional_and_validated() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anwei.toml");
        assert!(Config::load(None, None, None, None).unwrap().mqtt.is_none(), "off by default");
        std::fs::write(&file, "[mqtt]\nurl = \"mqtt://127.0.0.1:51883\"\nusername = \"anwei\"\npassword = \"pw-not-for-logs\"\n").unwrap();
        let config = Config::load(Some(&file), None, None, None).unwrap();
        let mqtt = config.mqtt.as_ref().expect("the [mqtt] table");
        assert_eq!((mqtt.url.as_str(), mqtt.topic_prefix.as_str()), ("mqtt://127.0.0.1:51883", "anwei/telemetry"), "the rest keep their defaults");
        assert!(!format!("{config:?}").contains("pw-not-for-logs"), "the password is not printed");
        std::fs::write(&file, "[mqtt]\nurl = \"http://broker:1883\"\n").unwrap();
        let error = Config::load(Some(&file), None, None, None).unwrap_err().to_string();
        assert!(error.contains("mqtt.url"), "{error}");
        std::fs::write(&file, "[mqtt]\nurl = \"mqtt://broker:99999\"\n").unwrap();
        assert!(Config::load(Some(&file), None, None, None).unwrap_err().to_string().contains("mqtt.url"));
        std::fs::write(&file, "[mqtt]\nhost = \"broker\"\n").unwrap();
        assert!(Config::load(Some(&file), None, None, None).is_err(), "a misspelt key is refused");
    }
}

/// `[inbox]`: where inbox messages may go beyond the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxConfig {
    /// `[inbox.smtp]`: e-mail.
    pub smtp: Option<SmtpConfig>,
    /// `[inbox.sms]`: the SMS gateway, posted `{"to", "text"}` as JSON.
    pub sms: Option<SmsConfig>,
    /// The 企业微信 robot address up to its key (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=`).
    pub wecom_url: Option<String>,
    /// The 钉钉 robot address up to its token (`https://oapi.dingtalk.com/robot/send?access_token=`).
    pub dingtalk_url: Option<String>,
    /// The site's public address, put before the links in messages sent beyond the page.
    pub site_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default 587.
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default, required), `tls` (port 465) or `none` (a relay on a closed network).
    #[serde(default = "default_smtp_security")]
    pub security: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender, e.g. `安全生产监管平台 <noreply@yjt.jl.gov.cn>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> String {
    "starttls".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub url: String,
    /// Sent as `Authorization: Bearer TOKEN`.
    #[serde(default)]
    pub token: Option<Secret>,
}

impl InboxConfig {
    pub fn delivery_settings(&self) -> app::inbox::delivery::DeliverySettings {
        use app::inbox::delivery::{DeliverySettings, SmsGateway, SmtpSecurity, SmtpSettings};
        DeliverySettings {
            smtp: self.smtp.as_ref().map(|smtp| SmtpSettings {
                host: smtp.host.clone(),
                port: smtp.port,
                security: match smtp.security.as_str() {
                    "tls" => SmtpSecurity::Tls,
                    "none" => SmtpSecurity::None,
                    _ => SmtpSecurity::Starttls,
                },
                username: smtp.username.clone(),
                password: smtp.password.as_ref().map(|secret| secret.0.clone()),
                from: smtp.from.clone(),
            }),
            sms: self.sms.as_ref().map(|sms| SmsGateway { url: sms.url.clone(), token: sms.token.as_ref().map(|secret| secret.0.clone()) }),
            wecom_url: self.wecom_url.clone(),
            dingtalk_url: self.dingtalk_url.clone(),
            site_url: self.site_url.clone(),
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if let Some(smtp) = &self.smtp
            && !matches!(smtp.security.as_str(), "starttls" | "tls" | "none")
        {
            bail!("inbox.smtp.security must be starttls, tls or none");
        }
        Ok(())
    }
}

/// `[documents]`: how the server writes PDF documents (a check's record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// A font file with Chinese glyphs (.ttf, .otf or .ttc). Unset: the first of the system's
    /// CJK fonts (Debian's `fonts-noto-cjk`, WenQuanYi, Droid Sans Fallback, AR PL UMing).
    pub font: Option<PathBuf>,
}

/// `[site]`: the organisation that runs the site, as its pages show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// e.g. `吉林省安全生产委员会办公室`.
    pub organisation: String,
    pub organisation_en: String,
    /// 主办单位, in the footer.
    pub hosting_unit: String,
    pub hosting_unit_en: String,
    /// The site's filing number (备案号), shown as given.
    pub filing_number: String,
    /// A PNG or JPEG of at most 256 KiB, shown beside the organisation's name.
    pub emblem_file: Option<PathBuf>,
}

impl SiteConfig {
    /// The names are short lines of text; the emblem file is read when the server starts.
    fn check(&self) -> anyhow::Result<()> {
        for (name, value) in [
            ("organisation", &self.organisation),
            ("organisation_en", &self.organisation_en),
            ("hosting_unit", &self.hosting_unit),
            ("hosting_unit_en", &self.hosting_unit_en),
            ("filing_number", &self.filing_number),
        ] {
            if value.trim().chars().count() > 100 || value.chars().any(char::is_control) {
                bail!("site.{name}: at most 100 characters, without control characters");
            }
        }
        Ok(())
    }

    /// The identity the pages show, with the emblem read (a file of at most 256 KiB, read no
    /// further) and checked by its bytes.
    pub fn identity(&self) -> anyhow::Result<web::SiteIdentity> {
        self.check()?;
        let emblem = match &self.emblem_file {
            None => None,
            Some(path) => {
                let named = || format!("site.emblem_file {}", path.display());
                let metadata = std::fs::metadata(path).with_context(named)?;
                if !metadata.is_file() || metadata.len() > web::EMBLEM_BYTES_MAX as u64 {
                    bail!("{}: not a file of at most {} KiB", named(), web::EMBLEM_BYTES_MAX / 1024);
                }
                let mut bytes = Vec::new();
                let file = std::fs::File::open(path).with_context(named)?;
                std::io::Read::read_to_end(&mut std::io::Read::take(file, web::EMBLEM_BYTES_MAX as u64 + 1), &mut bytes).with_context(named)?;
                Some(web::Emblem::from_bytes(bytes).map_err(|problem| anyhow::anyhow!("{}: {problem}", named()))?)
            }
        };
        Ok(web::SiteIdentity {
            organisation_zh: self.organisation.trim().to_owned(),
            organisation_en: self.organisation_en.trim().to_owned(),
            hosting_unit_zh: self.hosting_unit.trim().to_owned(),
            hosting_unit_en: self.hosting_unit_en.trim().to_owned(),
            filing_number: self.filing_number.trim().to_owned(),
            emblem,
        })
    }
}
