//! Delivering inbox messages beyond the page: e-mail over SMTP (`lettre`), a text message through
//! the province's SMS gateway, and the group robots of 企业微信 and 钉钉 (HTTPS posts through
//! `ureq`). Deliveries are rows written with their message (`store::inbox`); the one process that
//! holds the `inbox_delivery` lease sends those due, a bounded batch at a time, each with a
//! timeout, and records each attempt: sent, or failed and tried again later
//! (`domain::inbox::retry_after_ms`) until `DELIVERY_ATTEMPTS_MAX`. A page view never waits on a
//! delivery. Addresses and keys are never logged.

use std::time::Duration;

use domain::inbox::{Channel, DELIVERY_ATTEMPTS_MAX, retry_after_ms};
use domain::message::{Lang, Message};

use crate::{App, Result};

/// How long one delivery may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the lease holder looks for due deliveries.
pub const POLL_PERIOD: Duration = Duration::from_secs(2);
/// Most bytes of a gateway's or robot's answer read.
const ANSWER_BYTES_MAX: u64 = 64 * 1024;
const LEASE: &str = "inbox_delivery";
/// How long a delivery taken for sending stays claimed: longer than a whole batch can take.
const CLAIM_MS: i64 = 60 * 60 * 1000;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// STARTTLS on the submission port (587), required: a server without it is refused.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain text: only for a relay on the same host or a closed network (and the tests).
    None,
}

/// The SMTP server the inbox sends e-mail through.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `安全生产监管平台 <noreply@yjt.jl.gov.cn>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings").field("host", &self.host).field("port", &self.port).field("security", &self.security).finish_non_exhaustive()
    }
}

/// The province's SMS gateway: anwei posts `{"to": "139…", "text": "…"}` as JSON, with
/// `Authorization: Bearer TOKEN` when a token is set, and counts any 2xx answer as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsGateway {
    pub url: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsGateway { .. }")
    }
}

/// The operator's delivery settings (`[inbox]` in the configuration, read by the binary). A channel is offered to
/// users only when it is configured here.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DeliverySettings {
    pub smtp: Option<SmtpSettings>,
    pub sms: Option<SmsGateway>,
    /// The 企业微信 robot address up to its key, e.g.
    /// `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=`; the user gives only the key.
    pub wecom_url: Option<String>,
    /// The 钉钉 robot address up to its token, e.g. `https://oapi.dingtalk.com/robot/send?access_token=`.
    pub dingtalk_url: Option<String>,
    /// The site's public address, put before a message's link, e.g. `https://aq.jl.gov.cn`.
    pub site_url: Option<String>,
}

/// Robot URLs carry no secret of their own (the key is the user's), but the SMTP password and
/// the gateway's token do: they are not printed.
impl std::fmt::Debug for DeliverySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySettings").field("channels", &self.channels()).finish_non_exhaustive()
    }
}

impl DeliverySettings {
    /// The channels configured, in their fixed order.
    pub fn channels(&self) -> Vec<Channel> {
        Channel::ALL
            .into_iter()
            .filter(|channel| match channel {
                Channel::Email => self.smtp.is_some(),
                Channel::Sms => self.sms.is_some(),
                Channel::Wecom => self.wecom_url.is_some(),
                Channel::Dingtalk => self.dingtalk_url.is_some(),
            })
            .collect()
    }

    /// What is wrong with these settings, if anything, in words for the operator.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let web_address = |name: &str, url: &Option<String>, problems: &mut Vec<String>| {
            if let Some(url) = url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                problems.push(format!("inbox.{name} must start with https:// (or http:// on a closed network)"));
            }
        };
        web_address("wecom_url", &self.wecom_url, &mut problems);
        web_address("dingtalk_url", &self.dingtalk_url, &mut problems);
        web_address("site_url", &self.site_url, &mut problems);
        if let Some(sms) = &self.sms {
            web_address("sms.url", &Some(sms.url.clone()), &mut problems);
        }
        if let Some(smtp) = &self.smtp {
            if smtp.host.trim().is_empty() {
                problems.push("inbox.smtp.host is empty".into());
            }
            if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                problems.push("inbox.smtp.from is not a mailbox such as `Name <user@example.cn>`".into());
            }
            if smtp.username.is_some() != smtp.password.is_some() {
                problems.push("inbox.smtp.username and inbox.smtp.password go together".into());
            }
        }
        problems
    }
}

/// The text a delivery carries: the message in the channel's language, and where to read it.
fn delivery_text(message: &Message, link: &str, lang: Lang, site_url: Option<&str>) -> (String, String) {
    let subject = match lang {
        Lang::Zh => "安全生产监管平台消息",
        Lang::En => "Work-safety supervision: a message",
    };
    let mut body = message.render(lang);
    if let Some(site) = site_url {
        body.push_str(if lang == Lang::Zh { "\n详见:" } else { "\nSee: " });
        body.push_str(site.trim_end_matches('/'));
        body.push_str(link);
    }
    (subject.to_owned(), body)
}

impl App {
    /// Sends the deliveries due now, at most a batch, if this process holds the delivery lease
    /// (`holder` names the process). Returns how many were sent and how many failed, or `None`
    /// when another process holds the lease.
    pub async fn deliver_due_messages(&self, holder: &str) -> Result<Option<(u64, u64)>> {
        if !self.store.claim_job_lease(LEASE, holder, POLL_PERIOD.as_millis() as i64 * 5).await? {
            return Ok(None);
        }
        // Each delivery is claimed for longer than it can take, so that a lease passing to another
        // process meanwhile cannot send it again.
        let now = store::now_ms();
        let due = self.store.take_due_deliveries(now, now + CLAIM_MS, store::DELIVERIES_TAKEN_MAX).await?;
        let (mut sent, mut failed) = (0, 0);
        for delivery in due {
            let lang = if delivery.lang == "en" { Lang::En } else { Lang::Zh };
            let (subject, body) = delivery_text(&Message::from_stored(&delivery.message), &delivery.link, lang, self.delivery.site_url.as_deref());
            let outcome = send(&self.delivery, delivery.channel, &delivery.address, &subject, &body).await;
            let recorded = match &outcome {
                Ok(()) => {
                    sent += 1;
                    Ok(())
                }
                Err(error) => {
                    failed += 1;
                    let attempts = delivery.attempts + 1;
                    tracing::warn!(channel = delivery.channel.key(), delivery = delivery.id, attempts, %error, "an inbox delivery failed");
                    let retry_at = (attempts < DELIVERY_ATTEMPTS_MAX).then(|| store::now_ms() + retry_after_ms(attempts));
                    Err((error.as_str(), retry_at))
                }
            };
            if let Err(error) = self.store.record_delivery_attempt(delivery.id, recorded).await {
                tracing::warn!(delivery = delivery.id, %error, "an inbox delivery's attempt could not be recorded");
            }
        }
        Ok(Some((sent, failed)))
    }
}

/// Starts the delivery loop (every `POLL_PERIOD`); only the lease holder sends.
pub fn spawn(app: App) {
    if app.delivery.channels().is_empty() {
        return;
    }
    let holder = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL_PERIOD);
        loop {
            tick.tick().await;
            match app.deliver_due_messages(&holder).await {
                Ok(Some((sent, failed))) if sent + failed > 0 => tracing::info!(sent, failed, "inbox messages delivered"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not deliver inbox messages"),
            }
        }
    });
}

/// Sends one delivery; the error is a short description without the address.
async fn send(settings: &DeliverySettings, channel: Channel, address: &str, subject: &str, body: &str) -> std::result::Result<(), String> {
    match channel {
        Channel::Email => {
            let smtp = settings.smtp.as_ref().ok_or("e-mail is not configured")?;
            send_email(smtp, address, subject, body).await
        }
        Channel::Sms => {
            let gateway = settings.sms.as_ref().ok_or("SMS is not configured")?;
            let payload = serde_json::json!({"to": address, "text": body}).to_string();
            post_json(gateway.url.clone(), gateway.token.clone(), payload, false).await
        }
        Channel::Wecom | Channel::Dingtalk => {
            let base = if channel == Channel::Wecom { &settings.wecom_url } else { &settings.dingtalk_url };
            let base = base.as_ref().ok_or("this robot is not configured")?;
            // Both robots take the same text message and answer `{"errcode": 0}` when it is posted.
            let payload = serde_json::json!({"msgtype": "text", "text": {"content": format!("{subject}\n{body}")}}).to_string();
            let url = match Channel::robot_key_and_secret(address) {
                (key, Some(secret)) if channel == Channel::Dingtalk => format!("{base}{key}{}", dingtalk_signature(secret, domain::time::now_ms())),
                (key, _) => format!("{base}{key}"),
            };
            post_json(url, None, payload, true).await
        }
    }
}

/// The query a signing 钉钉 robot checks (加签): the time in milliseconds, and the base64 of the
/// HMAC-SHA256 under the secret of `"{timestamp}\n{secret}"`, URL-encoded.
fn dingtalk_signature(secret: &str, timestamp_ms: i64) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    // Base64 uses three characters a query must escape.
    let sign = sign.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    format!("&timestamp={timestamp_ms}&sign={sign}")
}

async fn send_email(smtp: &SmtpSettings, to: &str, subject: &str, body: &str) -> std::result::Result<(), String> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Email, Tokio1Executor};
    let from = smtp.from.parse().map_err(|_| "the sender is not a mailbox".to_owned())?;
    let to = to.parse().map_err(|_| "the address is not a mailbox".to_owned())?;
    let email = Email::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|error| format!("could not build the e-mail: {error}"))?;
    let builder = match smtp.security {
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(|error| error.to_string())?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|error| error.to_string())?,
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(SEND_TIMEOUT));
    if let (Some(username), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(username.clone(), password.clone()));
    }
    let transport = builder.build();
    match tokio::time::timeout(SEND_TIMEOUT * 2, transport.send(email)).await {
        Ok(Ok(_)) => Ok(()),
        // lettre's message may quote the server's reply, which names the address: only its kind
        // and code are kept.
        Ok(Err(error)) => {
            let kind = if error.is_permanent() {
                "permanent failure"
            } else if error.is_transient() {
                "transient failure"
            } else if error.is_timeout() {
                "timeout"
            } else if error.is_tls() {
                "TLS failure"
            } else {
                "connection or protocol failure"
            };
            Err(match error.status() {
                Some(code) => format!("SMTP {kind} ({code})"),
                None => format!("SMTP {kind}"),
            })
        }
        Err(_) => Err("SMTP: timed out".into()),
    }
}

/// Posts JSON on a blocking thread (ureq is blocking); with `robot`, the answer must also say
/// `errcode` 0, as the robots answer 200 with an error code when they refuse a message.
async fn post_json(url: String, token: Option<String>, payload: String, robot: bool) -> std::result::Result<(), String> {
    let posted = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(SEND_TIMEOUT)).build().into();
        let mut request = agent.post(&url).content_type("application/json");
        if let Some(token) = &token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut response = request.send(&payload).map_err(|error| format!("HTTP: {error}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP status {}", status.as_u16()));
        }
        if robot {
            let answer = response.body_mut().with_config().limit(ANSWER_BYTES_MAX).read_to_string().map_err(|error| format!("HTTP: {error}"))?;
            let code = serde_json::from_str::<serde_json::Value>(&answer).ok().and_then(|value| value.get("errcode").and_then(|c| c.as_i64()));
            if code != Some(0) {
                return Err(format!("the robot refused the message (errcode {code:?})"));
            }
        }
        Ok(())
    })
    .await;
    posted.unwrap_or_else(|error| Err(format!("the sending thread failed: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signing_dingtalk_robot_gets_the_signature_it_checks() {
        // Computed independently (Python's hmac, base64 and urllib.parse.quote_plus).
        assert_eq!(
            dingtalk_signature("SEC0123456789abcdef", 1_577_262_236_757),
            "&timestamp=1577262236757&sign=Pgr6tpIpjVrMPPJUPkaI9sivFPPTYOy5zIOMF2GPFMA%3D"
        );
    }

    #[test]
    fn only_configured_channels_are_offered() {
        let mut settings = DeliverySettings::default();
        assert!(settings.channels().is_empty());
        settings.dingtalk_url = Some("https://oapi.dingtalk.com/robot/send?access_token=".into());
        settings.sms = Some(SmsGateway { url: "https://sms.example/send".into(), token: None });
        assert_eq!(settings.channels(), vec![Channel::Sms, Channel::Dingtalk]);
    }

    #[test]
    fn settings_problems_are_named() {
        let settings = DeliverySettings {
            smtp: Some(SmtpSettings {
                host: "".into(),
                port: 25,
                security: SmtpSecurity::None,
                username: Some("u".into()),
                password: None,
                from: "not a mailbox".into(),
            }),
            wecom_url: Some("ftp://x".into()),
            ..Default::default()
        };
        let problems = settings.problems().join("\n");
        for expected in ["wecom_url", "smtp.host", "smtp.from", "smtp.username"] {
            assert!(problems.contains(expected), "{expected} in {problems}");
        }
        assert!(DeliverySettings::default().problems().is_empty());
    }

    #[test]
    fn delivery_text_is_in_the_channels_language_with_the_link() {
        let message = domain::message!("common.text", text = "x");
        let (subject, body) = delivery_text(&message, "/dangers/7", Lang::En, Some("https://aq.example.cn/"));
        assert!(subject.is_ascii());
        assert_eq!(body, "x\nSee: https://aq.example.cn/dangers/7");
        let (_, body) = delivery_text(&message, "/dangers/7", Lang::Zh, None);
        assert_eq!(body, "x");
    }
}
