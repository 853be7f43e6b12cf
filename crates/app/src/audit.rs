//! Reading the audit log: search, export and chain verification, for the audit administrator
//! only. Reads of the log are themselves recorded (exports always, searches by the page).

use domain::audit::{AuditEntry, ChainError};
/// How the audit log is searched.
pub use store::AuditFilter;
use store::AuditPage;

use crate::exports::Export;
use crate::policy::{self, Action};
use crate::spreadsheet::{Column, SpreadsheetFormat};
use crate::{Actor, App, Client, Result};

pub const AUDIT_PAGE_MAX: i64 = 500;
/// Most entries in one export; narrow the filter for more.
pub const AUDIT_EXPORT_ROWS_MAX: i64 = 200_000;
/// Formats an epoch-millisecond time as `YYYY-MM-DD HH:MM:SS` in China Standard Time.
pub fn display_time(epoch_ms: i64) -> String {
    domain::time::local_text(epoch_ms)
}

/// The epoch-millisecond start of a `YYYY-MM-DD` day in China Standard Time.
pub fn day_start_ms(date: &str) -> std::result::Result<i64, domain::message::Message> {
    let date: jiff::civil::Date = date.trim().parse().map_err(|_| domain::message!("audit.date_should_yyyy_mm_dd", value = clip(date)))?;
    Ok(domain::time::day_start_ms(date))
}

fn clip(text: &str) -> String {
    text.chars().take(20).collect()
}

/// How often the auditor's page reads the whole chain again rather than only what was added.
pub const AUDIT_FULL_VERIFY_EVERY_MS: i64 = 10 * 60_000;

/// How far this process has verified the audit chain: the end it reached, the entries checked
/// and when it last read the chain from its start. Each process keeps its own: it is a cache of
/// what the log itself says, never a source of truth.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedChain {
    position: domain::audit::ChainPosition,
    checked: i64,
    full_at_ms: i64,
}

impl App {
    async fn require_auditor(&self, actor: &Actor, client: &Client, action: &str) -> Result<()> {
        if policy::allows(actor, Action::ReadAuditLog) { Ok(()) } else { Err(self.denied(actor, client, action, "audit_log".into()).await) }
    }

    /// One page of entries matching `filter`, newest first.
    pub async fn search_audit_log(&self, actor: &Actor, client: &Client, filter: &AuditFilter, page: i64, per_page: i64) -> Result<AuditPage> {
        self.require_auditor(actor, client, "audit.read").await?;
        let per_page = per_page.clamp(1, AUDIT_PAGE_MAX);
        Ok(self.store.audit_page(filter, per_page, (page.max(1) - 1).saturating_mul(per_page)).await?)
    }

    /// The whole chain's verdict: the number of entries checked, or the first bad entry.
    ///
    /// The auditor's page asks on every view, so the chain is not read from its start each
    /// time: this process keeps how far it verified (`VerifiedChain`) and checks only the
    /// entries added since, reading it all again at least every `AUDIT_FULL_VERIFY_EVERY_MS`
    /// (an entry changed behind the end is found then, and by `anwei audit verify` at once).
    pub async fn verify_audit_log(&self, actor: &Actor, client: &Client) -> Result<std::result::Result<i64, ChainError>> {
        self.require_auditor(actor, client, "audit.verify").await?;
        let now = domain::time::now_ms();
        let mut verified = self.audit_verified.lock().await;
        // Where it stopped last time must still be as it was (an entry rewritten there, or the
        // tail cut back past it, sends it to the start).
        let end_unchanged = match verified.as_ref().and_then(|v| v.position.last.clone()) {
            Some((seq, hash)) => self.store.audit_hash_at(seq).await?.is_some_and(|stored| stored == hash),
            None => true,
        };
        let (start, checked_before) = match verified.as_ref() {
            Some(v) if end_unchanged && now - v.full_at_ms < AUDIT_FULL_VERIFY_EVERY_MS => (v.position.clone(), v.checked),
            _ => (domain::audit::ChainPosition::default(), 0),
        };
        let full_at_ms = if checked_before == 0 { now } else { verified.as_ref().map_or(now, |v| v.full_at_ms) };
        match self.store.verify_audit_chain_after(start).await? {
            Ok((position, checked)) => {
                let checked = checked_before + checked;
                *verified = Some(VerifiedChain { position, checked, full_at_ms });
                Ok(Ok(checked))
            }
            Err(error) => {
                *verified = None;
                Ok(Err(error))
            }
        }
    }

    /// Exports the entries matching `filter` (at most `AUDIT_EXPORT_ROWS_MAX`, newest first); the
    /// export is itself recorded. The headings are in English when `english`; the entries are as
    /// recorded (action codes, details as JSON), so that they can be checked against the chain.
    pub async fn export_audit_log(&self, actor: &Actor, client: &Client, filter: &AuditFilter, format: SpreadsheetFormat, english: bool) -> Result<Vec<u8>> {
        self.require_auditor(actor, client, "audit.export").await?;
        let page = self.store.audit_page(filter, AUDIT_EXPORT_ROWS_MAX, 0).await?;
        let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
        let columns = [
            Column { heading: say("序号", "No."), width: 10.0 },
            Column { heading: say("时间", "Time"), width: 20.0 },
            Column { heading: say("操作人", "Actor"), width: 14.0 },
            Column { heading: say("单位ID", "Unit ID"), width: 8.0 },
            Column { heading: say("操作", "Action"), width: 22.0 },
            Column { heading: say("对象", "Target"), width: 20.0 },
            Column { heading: say("结果", "Outcome"), width: 10.0 },
            Column { heading: say("详情", "Details"), width: 40.0 },
            Column { heading: say("来源地址", "Client address"), width: 16.0 },
            Column { heading: say("哈希", "Hash"), width: 66.0 },
        ];
        let rows = page.entries.iter().map(|e: &AuditEntry| {
            vec![
                e.seq.to_string(),
                display_time(e.occurred_at),
                e.actor_name.clone(),
                e.unit_id.map(|id| id.to_string()).unwrap_or_default(),
                e.action.clone(),
                e.target.clone(),
                e.outcome.clone(),
                e.details.clone(),
                e.client.clone(),
                e.hash.clone(),
            ]
        });
        let details = serde_json::json!({"actor": filter.actor_name, "action": filter.action_prefix, "from_ms": filter.from_ms, "to_ms": filter.to_ms});
        let export =
            Export { action: "audit.export", target: "audit_log".into(), format, sheet_name: say("审计日志", "Audit log"), columns: &columns, details };
        self.export_table(actor, client, export, rows).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_midnight_china_time() {
        // 2026-01-01 00:00 +08:00 is 2025-12-31 16:00 UTC.
        assert_eq!(day_start_ms("2026-01-01").unwrap(), 1_767_196_800_000);
        assert_eq!(display_time(1_767_196_800_000), "2026-01-01 00:00:00");
        assert!(day_start_ms("2026-13-01").is_err());
        assert!(day_start_ms("yesterday").unwrap_err().to_string().contains("YYYY-MM-DD"));
    }
}
