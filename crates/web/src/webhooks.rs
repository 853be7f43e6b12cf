//! Alarm webhooks: every alarm transition the monitor announces is posted as JSON to each
//! configured URL, from a bounded queue, with a few retries, never holding up the monitor. The
//! receiver gets `{"event": "alarm", "alarms": [...]}` with the alarms as the API shows them.
//! URLs are operator configuration (they may carry a secret), so logs name only their host.
//!
//! Every post is signed so that a receiver can tell it came from anwei and was not replayed:
//! `X-Anwei-Timestamp` (Unix seconds) and `X-Anwei-Signature: sha256=HEX`, the HMAC-SHA256 of
//! `TIMESTAMP.BODY` under the configured `monitoring.webhook_secret` (`signature`).

use std::time::Duration;

use app::App;
use tokio::sync::broadcast::error::RecvError;

/// Notices waiting for delivery; beyond this the oldest are dropped (and counted in the log).
const QUEUE_MAX: usize = 1_000;
const ATTEMPTS: u32 = 3;
const TIMEOUT: Duration = Duration::from_secs(5);

fn host_of(url: &str) -> &str {
    url.split("://").nth(1).and_then(|rest| rest.split(['/', '?']).next()).unwrap_or("?")
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &[u8], timestamp: u64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Starts delivering to `urls` (http:// only), signed with `secret`; returns at once.
pub fn spawn(app: App, urls: Vec<String>, secret: Vec<u8>) {
    if urls.is_empty() {
        return;
    }
    let Ok((mut notices, slot)) = app.subscribe_alarms(None) else {
        tracing::error!("no live-notice slot left for the webhooks");
        return;
    };
    let (queue, mut pending) = tokio::sync::mpsc::channel::<serde_json::Value>(QUEUE_MAX);
    let reader = app.clone();
    tokio::spawn(async move {
        let _slot = slot;
        loop {
            let notice = match notices.recv().await {
                Ok(notice) => notice,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "alarm webhooks fell behind; notices were skipped");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let ids = &notice.alarm_ids[..notice.alarm_ids.len().min(1000)];
            let alarms: Vec<crate::monitoring::api::Alarm> =
                reader.alarms_for_delivery(ids).await.into_iter().map(crate::monitoring::api::Alarm::from).collect();
            if alarms.is_empty() {
                continue;
            }
            let body = serde_json::json!({"event": "alarm", "alarms": alarms});
            if queue.try_send(body).is_err() {
                tracing::warn!("the alarm webhook queue is full; a notice was dropped");
            }
        }
    });
    let secret = std::sync::Arc::new(secret);
    tokio::spawn(async move {
        while let Some(body) = pending.recv().await {
            for url in &urls {
                let (url, body, secret) = (url.clone(), body.to_string(), secret.clone());
                // A receiver that stays down loses its notices after the retries; it is logged.
                let _ = tokio::task::spawn_blocking(move || deliver(&url, &body, &secret)).await;
            }
        }
    });
}

/// Posts one body with retries, each signed afresh; true when the receiver answered 2xx.
fn deliver(url: &str, body: &str, secret: &[u8]) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(TIMEOUT)).build().into();
    for attempt in 1..=ATTEMPTS {
        let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let sent = agent
            .post(url)
            .content_type("application/json")
            .header("x-anwei-timestamp", timestamp.to_string())
            .header("x-anwei-signature", signature(secret, timestamp, body))
            .send(body);
        match sent {
            Ok(response) if response.status().is_success() => return true,
            Ok(response) => tracing::warn!(host = host_of(url), status = response.status().as_u16(), attempt, "an alarm webhook was refused"),
            Err(error) => tracing::warn!(host = host_of(url), %error, attempt, "an alarm webhook failed"),
        }
        std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_name_the_host_only() {
        assert_eq!(host_of("http://hooks.example:8080/path?token=secret"), "hooks.example:8080");
        assert_eq!(host_of("http://10.0.0.5?k=v"), "10.0.0.5");
        assert_eq!(host_of("nonsense"), "?");
    }
}
