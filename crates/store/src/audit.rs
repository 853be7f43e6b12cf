//! The audit log table: append inside a transaction, read pages, and stream the chain for
//! verification. The application never updates or deletes an entry.

use domain::audit::{AuditEntry, AuditEvent, GENESIS_HASH};
use sqlx::FromRow;

use crate::{Result, Store, like_pattern, trusted, with_pool};

#[derive(Debug, FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    occurred_at: i64,
    actor_id: Option<i64>,
    actor_name: String,
    unit_id: Option<i64>,
    action: String,
    target: String,
    outcome: String,
    details: String,
    client: String,
    prev_hash: String,
    hash: String,
    mac: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            seq: row.seq,
            occurred_at: row.occurred_at,
            actor_id: row.actor_id,
            actor_name: row.actor_name,
            unit_id: row.unit_id,
            action: row.action,
            target: row.target,
            outcome: row.outcome,
            details: row.details,
            client: row.client,
            prev_hash: row.prev_hash,
            hash: row.hash,
            mac: row.mac,
        }
    }
}

/// Appends `$event` to the chain using the open transaction `$tx` (expanded once per backend).
macro_rules! append_audit {
    ($tx:expr, $event:expr) => {{
        let tail: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *$tx).await?;
        let (seq, prev_hash) = match tail {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, domain::audit::GENESIS_HASH.to_owned()),
        };
        let entry = domain::audit::AuditEntry::new($event, seq, $crate::now_ms(), &prev_hash, $tx.audit_key.as_deref());
        sqlx::query(
            "INSERT INTO audit_log (seq, occurred_at, actor_id, actor_name, unit_id, action, target, outcome, details, client, prev_hash, hash, mac) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(entry.seq)
        .bind(entry.occurred_at)
        .bind(entry.actor_id)
        .bind(&entry.actor_name)
        .bind(entry.unit_id)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.outcome)
        .bind(&entry.details)
        .bind(&entry.client)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .bind(&entry.mac)
        .execute(&mut *$tx)
        .await?;
        entry.seq
    }};
}
pub(crate) use append_audit;

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_name: Option<String>,
    pub action_prefix: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
}

const AUDIT_WHERE: &str = "WHERE ($1 IS NULL OR actor_name = $1) \
     AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') \
     AND ($3 IS NULL OR target = $3) \
     AND ($4 IS NULL OR occurred_at >= $4) \
     AND ($5 IS NULL OR occurred_at < $5) \
     AND ($6 IS NULL OR outcome = $6)";

impl Store {
    /// Records an event that changes nothing else (a login, a denied request, an export).
    pub async fn record_audit(&self, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| Ok(append_audit!(tx, event)), counts_change = false)
    }

    /// One page of the log, newest first.
    pub async fn audit_page(&self, filter: &AuditFilter, limit: i64, offset: i64) -> Result<AuditPage> {
        let action = filter.action_prefix.as_ref().map(|p| {
            let mut pattern = like_pattern(p);
            pattern.remove(0);
            pattern
        });
        let list_sql = format!("SELECT * FROM audit_log {AUDIT_WHERE} ORDER BY seq DESC LIMIT $7 OFFSET $8");
        let count_sql = format!("SELECT COUNT(*) FROM audit_log {AUDIT_WHERE}");
        with_pool!(self, |pool| {
            let rows: Vec<AuditRow> = sqlx::query_as(trusted(&list_sql))
                .bind(&filter.actor_name)
                .bind(&action)
                .bind(&filter.target)
                .bind(filter.from_ms)
                .bind(filter.to_ms)
                .bind(&filter.outcome)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(trusted(&count_sql))
                .bind(&filter.actor_name)
                .bind(&action)
                .bind(&filter.target)
                .bind(filter.from_ms)
                .bind(filter.to_ms)
                .bind(&filter.outcome)
                .fetch_one(pool)
                .await?;
            Ok(AuditPage { entries: rows.into_iter().map(AuditEntry::from).collect(), total })
        })
    }

    /// Entries with `seq > after`, oldest first, at most `limit`: the chain in bounded pieces.
    pub async fn audit_entries_after(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        with_pool!(self, |pool| {
            let rows: Vec<AuditRow> =
                sqlx::query_as("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2").bind(after).bind(limit).fetch_all(pool).await?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        })
    }

    /// Verifies the whole chain in pages of 10,000; returns the number of entries checked.
    /// With the store's key, every entry's keyed hash is checked too (see `domain::audit`).
    pub async fn verify_audit_chain(&self) -> Result<std::result::Result<i64, domain::audit::ChainError>> {
        Ok(self.verify_audit_chain_from_start().await?.map(|(checked, _)| checked))
    }

    /// Verifies the whole chain; returns the number of entries checked and where the chain
    /// became keyed.
    pub async fn verify_audit_chain_from_start(&self) -> Result<std::result::Result<(i64, Option<i64>), domain::audit::ChainError>> {
        Ok(self.verify_audit_chain_after(domain::audit::ChainPosition::default()).await?.map(|(position, checked)| (checked, position.keyed_since)))
    }

    /// Verifies the entries after `position` (a point of the chain already verified); returns
    /// the chain's new end and how many entries were checked.
    pub async fn verify_audit_chain_after(
        &self,
        mut position: domain::audit::ChainPosition,
    ) -> Result<std::result::Result<(domain::audit::ChainPosition, i64), domain::audit::ChainError>> {
        let mut checked = 0;
        loop {
            let after = position.last.as_ref().map(|(seq, _)| *seq).unwrap_or(0);
            let entries = self.audit_entries_after(after, 10_000).await?;
            if entries.is_empty() {
                return Ok(Ok((position, checked)));
            }
            // The first entry after a gap at the very start has seq > 1; verify_chain reports it.
            match domain::audit::verify_chain(position.clone(), &entries, self.audit_key.as_deref()) {
                Ok(next) => {
                    checked += entries.len() as i64;
                    position = next;
                }
                Err(error) => return Ok(Err(error)),
            }
        }
    }

    /// The chain's head: the last entry's seq and hash (0 and the genesis hash when empty).
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        with_pool!(self, |pool| {
            let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(pool).await?;
            Ok(head.unwrap_or_else(|| (0, GENESIS_HASH.to_owned())))
        })
    }

    /// Whether anything in the database was written with a server key (keyed audit entries or
    /// sealed secrets): then a missing key file must be restored, never replaced.
    pub async fn has_keyed_data(&self) -> Result<bool> {
        with_pool!(self, |pool| {
            let keyed: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM audit_log WHERE mac IS NOT NULL) OR EXISTS (SELECT 1 FROM users WHERE totp_secret LIKE 'sealed1:%')",
            )
            .fetch_one(pool)
            .await?;
            Ok(keyed)
        })
    }

    /// The first entry with a keyed hash, if any.
    pub async fn audit_first_keyed_seq(&self) -> Result<Option<i64>> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT MIN(seq) FROM audit_log WHERE mac IS NOT NULL").fetch_one(pool).await?))
    }

    /// The stored hash of entry `seq`, if there is one.
    pub async fn audit_hash_at(&self, seq: i64) -> Result<Option<String>> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1").bind(seq).fetch_optional(pool).await?))
    }

    pub async fn audit_tail_hash(&self) -> Result<String> {
        with_pool!(self, |pool| {
            let hash: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(pool).await?;
            Ok(hash.unwrap_or_else(|| GENESIS_HASH.to_owned()))
        })
    }
}
