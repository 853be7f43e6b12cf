//! Tips (举报): everything a reporter wrote is sealed under the server's key before it reaches
//! SQL and opened only here; the receipt code is kept as a keyed hash; dates, not instants. A
//! store without a server key refuses to keep tips at all rather than keep them readable.

use domain::audit::AuditEvent;
use domain::tips::{TipKind, TipState};
use sqlx::FromRow;

use crate::keys::Sealer;
use crate::{Result, Store, StoreError, with_pool};

const CONTENT: &str = "tip content";
const IDENTITY: &str = "tip identity";
const MESSAGE: &str = "tip message";
const OUTCOME: &str = "tip outcome";
const ATTACHMENT: &str = "tip attachment";
const RECEIPT: &str = "tip receipt";

/// Most tips listed at once.
pub const TIPS_LISTED_MAX: i64 = 2_000;

/// A tip as received, its texts still plain (they are sealed on the way in).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTip {
    pub kind: TipKind,
    pub region_code: String,
    pub enterprise_id: Option<i64>,
    /// What the reporter wrote (description, location, map point), as JSON.
    pub content: String,
    pub anonymous: bool,
    pub internal: bool,
    /// Name and phone as JSON, for a named tip.
    pub identity: Option<String>,
    pub received_on: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
struct StoredTip {
    id: i64,
    #[sqlx(try_from = "String")]
    kind: TipKind,
    region_code: String,
    region_name: String,
    region_path: String,
    enterprise_id: Option<i64>,
    enterprise_name: Option<String>,
    sealed_content: String,
    anonymous: bool,
    internal: bool,
    has_identity: bool,
    #[sqlx(try_from = "String")]
    state: TipState,
    received_on: String,
    accepted_on: Option<String>,
    verified_on: Option<String>,
    substantiated: Option<bool>,
    feedback_on: Option<String>,
    closed_on: Option<String>,
    extended: bool,
    handler_unit_id: Option<i64>,
    duplicate_of: Option<i64>,
    danger_id: Option<i64>,
    accident_id: Option<i64>,
    inspection_id: Option<i64>,
    sealed_outcome: Option<String>,
    reward_yuan: Option<i64>,
    reward_basis: Option<String>,
    reward_approved_by: Option<i64>,
    reward_approved_on: Option<String>,
    paying_unit: Option<String>,
    reward_paid_on: Option<String>,
    reward_paid_by: Option<i64>,
    version: i64,
}

/// A tip with its content opened (never its reporter's identity; see `tip_identity`).
#[derive(Debug, Clone, PartialEq)]
pub struct TipRow {
    pub id: i64,
    pub kind: TipKind,
    pub region_code: String,
    pub region_name: String,
    pub region_path: String,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: Option<String>,
    /// What the reporter wrote, as JSON.
    pub content: String,
    pub anonymous: bool,
    pub internal: bool,
    pub has_identity: bool,
    pub state: TipState,
    pub received_on: String,
    pub accepted_on: Option<String>,
    pub verified_on: Option<String>,
    /// Whether verification found it true (`None` until verified).
    pub substantiated: Option<bool>,
    pub feedback_on: Option<String>,
    pub closed_on: Option<String>,
    pub extended: bool,
    pub handler_unit_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub danger_id: Option<i64>,
    pub accident_id: Option<i64>,
    pub inspection_id: Option<i64>,
    /// The handler's conclusion, which the reporter reads.
    pub outcome: Option<String>,
    pub reward_yuan: Option<i64>,
    pub reward_basis: Option<String>,
    pub reward_approved_by: Option<i64>,
    pub reward_approved_on: Option<String>,
    pub paying_unit: Option<String>,
    pub reward_paid_on: Option<String>,
    pub reward_paid_by: Option<i64>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipMessageRow {
    pub id: i64,
    pub from_reporter: bool,
    pub author_name: Option<String>,
    pub body: String,
    pub sent_on: String,
}

/// A deadline notice of a tip to a unit (its text names no content of the tip).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TipNotice {
    pub unit_id: i64,
    /// `reminder` or `escalation`.
    pub kind: String,
    pub tip_id: i64,
    pub due_on: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TipDisclosureRow {
    pub id: i64,
    pub tip_id: i64,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub reason: String,
    pub decided_by: Option<i64>,
    pub approved: Option<bool>,
    pub decision: Option<String>,
}

const TIP_SELECT: &str = "SELECT t.id, t.kind, t.region_code, r.name AS region_name, r.path AS region_path, t.enterprise_id, e.name AS enterprise_name, \
     t.sealed_content, t.anonymous, t.internal, t.sealed_identity IS NOT NULL AS has_identity, t.state, t.received_on, t.accepted_on, t.verified_on, \
     t.substantiated, t.feedback_on, t.closed_on, t.extended, t.handler_unit_id, t.duplicate_of, t.danger_id, t.accident_id, t.inspection_id, t.sealed_outcome, \
     t.reward_yuan, t.reward_basis, t.reward_approved_by, t.reward_approved_on, t.paying_unit, t.reward_paid_on, t.reward_paid_by, t.version \
     FROM tips t JOIN regions r ON r.code = t.region_code LEFT JOIN enterprises e ON e.id = t.enterprise_id";

impl Store {
    /// Whether this store can keep tips (it has a server key to seal them with).
    pub fn keeps_tips(&self) -> bool {
        self.sealer.is_some()
    }

    fn tip_sealer(&self) -> Result<&Sealer> {
        self.sealer.as_ref().ok_or_else(|| StoreError::Corrupt("tips are kept only under a server key, and this store has none".into()))
    }

    fn opened_tip(&self, row: StoredTip) -> Result<TipRow> {
        let sealer = self.tip_sealer()?;
        let outcome = row.sealed_outcome.as_deref().map(|o| sealer.open(OUTCOME, o)).transpose()?;
        Ok(TipRow {
            id: row.id,
            kind: row.kind,
            region_code: row.region_code,
            region_name: row.region_name,
            region_path: row.region_path,
            enterprise_id: row.enterprise_id,
            enterprise_name: row.enterprise_name,
            content: sealer.open(CONTENT, &row.sealed_content)?,
            anonymous: row.anonymous,
            internal: row.internal,
            has_identity: row.has_identity,
            state: row.state,
            received_on: row.received_on,
            accepted_on: row.accepted_on,
            verified_on: row.verified_on,
            substantiated: row.substantiated,
            feedback_on: row.feedback_on,
            closed_on: row.closed_on,
            extended: row.extended,
            handler_unit_id: row.handler_unit_id,
            duplicate_of: row.duplicate_of,
            danger_id: row.danger_id,
            accident_id: row.accident_id,
            inspection_id: row.inspection_id,
            outcome,
            reward_yuan: row.reward_yuan,
            reward_basis: row.reward_basis,
            reward_approved_by: row.reward_approved_by,
            reward_approved_on: row.reward_approved_on,
            paying_unit: row.paying_unit,
            reward_paid_on: row.reward_paid_on,
            reward_paid_by: row.reward_paid_by,
            version: row.version,
        })
    }

    /// Keeps a tip, its receipt code as a keyed hash. Returns its id. A reporter's actions come
    /// without an audit entry (`None`): an entry's instant, beside any record of who connected
    /// when, would point at the reporter.
    pub async fn create_tip(&self, tip: &NewTip, receipt: &str, event: Option<&AuditEvent>) -> Result<i64> {
        let sealer = self.tip_sealer()?.clone();
        let receipt_hash = sealer.lookup_hash(RECEIPT, receipt);
        let content = sealer.seal(CONTENT, &tip.content);
        let identity = tip.identity.as_deref().map(|i| sealer.seal(IDENTITY, i));
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tips (receipt_hash, kind, region_code, enterprise_id, sealed_content, anonymous, internal, sealed_identity, state, received_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received', $9) RETURNING id",
            )
            .bind(&receipt_hash)
            .bind(tip.kind.key())
            .bind(&tip.region_code)
            .bind(tip.enterprise_id)
            .bind(&content)
            .bind(tip.anonymous)
            .bind(tip.internal)
            .bind(&identity)
            .bind(&tip.received_on)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(event) = event {
                let mut event = event.clone();
                event.target = format!("tip:{id}");
                crate::audit::append_audit!(tx, &event);
            }
            Ok(id)
        })
    }

    /// The tip a receipt code (in its canonical form) belongs to.
    pub async fn tip_by_receipt(&self, receipt: &str) -> Result<Option<TipRow>> {
        let receipt_hash = self.tip_sealer()?.lookup_hash(RECEIPT, receipt);
        let row: Option<StoredTip> = with_pool!(self, |pool| {
            sqlx::query_as(crate::trusted(&format!("{TIP_SELECT} WHERE t.receipt_hash = $1"))).bind(&receipt_hash).fetch_optional(pool).await?
        });
        row.map(|row| self.opened_tip(row)).transpose()
    }

    pub async fn tip(&self, id: i64) -> Result<TipRow> {
        let row: Option<StoredTip> =
            with_pool!(self, |pool| { sqlx::query_as(crate::trusted(&format!("{TIP_SELECT} WHERE t.id = $1"))).bind(id).fetch_optional(pool).await? });
        self.opened_tip(row.ok_or(StoreError::NotFound)?)
    }

    /// Tips whose region lies under `path`, newest first.
    pub async fn tips_under(&self, path: &str) -> Result<Vec<TipRow>> {
        let rows: Vec<StoredTip> = with_pool!(self, |pool| {
            sqlx::query_as(crate::trusted(&format!("{TIP_SELECT} WHERE r.path LIKE $1 ORDER BY t.id DESC LIMIT $2")))
                .bind(format!("{path}%"))
                .bind(TIPS_LISTED_MAX)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(|row| self.opened_tip(row)).collect()
    }

    /// Tips routed to a unit, newest first.
    pub async fn tips_routed_to(&self, unit_id: i64) -> Result<Vec<TipRow>> {
        let rows: Vec<StoredTip> = with_pool!(self, |pool| {
            sqlx::query_as(crate::trusted(&format!("{TIP_SELECT} WHERE t.handler_unit_id = $1 ORDER BY t.id DESC LIMIT $2")))
                .bind(unit_id)
                .bind(TIPS_LISTED_MAX)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(|row| self.opened_tip(row)).collect()
    }

    /// Tips still being handled (received, accepted, or concluded but not closed).
    pub async fn open_tips(&self) -> Result<Vec<TipRow>> {
        let rows: Vec<StoredTip> = with_pool!(self, |pool| {
            sqlx::query_as(crate::trusted(&format!(
                "{TIP_SELECT} WHERE t.state IN ('received', 'accepted', 'verified', 'unfounded') ORDER BY t.id LIMIT 20000"
            )))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(|row| self.opened_tip(row)).collect()
    }

    /// Adds the notices not sent before; returns how many were new.
    /// Each new notice is posted to the inbox of the unit's people as `post` makes it.
    pub async fn add_tip_notices(&self, notices: &[TipNotice], post: impl Fn(&TipNotice) -> crate::UnitPost) -> Result<u64> {
        crate::in_transaction!(self, |tx| {
            let now = crate::now_ms();
            let mut added = 0;
            for notice in notices {
                let new = sqlx::query(
                    "INSERT INTO tip_notices (unit_id, kind, tip_id, due_on, message, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (unit_id, kind, tip_id, due_on) DO NOTHING",
                )
                .bind(notice.unit_id)
                .bind(&notice.kind)
                .bind(notice.tip_id)
                .bind(&notice.due_on)
                .bind(&notice.message)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if new == 1 {
                    crate::inbox::post_to_unit!(tx, &post(notice), now);
                }
                added += new;
            }
            Ok(added)
        })
    }

    /// The newest tip notices addressed to a unit.
    pub async fn tip_notices_of_unit(&self, unit_id: i64, limit: i64) -> Result<Vec<TipNotice>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT unit_id, kind, tip_id, due_on, message FROM tip_notices WHERE unit_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(unit_id)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Writes a tip's handling and reward (everything but what the reporter wrote) if it is still
    /// at `version`; `Conflict` if someone changed it meanwhile.
    /// Saves a tip's handling if nobody changed it meanwhile (`version`), with the messages
    /// `posts` that tell of the move.
    pub async fn save_tip(&self, tip: &TipRow, event: &AuditEvent, posts: &[crate::UnitPost]) -> Result<()> {
        let outcome = tip.outcome.as_deref().map(|o| self.tip_sealer().map(|s| s.seal(OUTCOME, o))).transpose()?;
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE tips SET state = $1, accepted_on = $2, verified_on = $3, feedback_on = $4, closed_on = $5, extended = $6, handler_unit_id = $7, \
                 duplicate_of = $8, danger_id = $9, accident_id = $10, inspection_id = $11, sealed_outcome = $12, reward_yuan = $13, reward_basis = $14, \
                 reward_approved_by = $15, reward_approved_on = $16, paying_unit = $17, reward_paid_on = $18, reward_paid_by = $19, substantiated = $20, \
                 received_on = $21, version = version + 1 WHERE id = $22 AND version = $23",
            )
            .bind(tip.state.key())
            .bind(&tip.accepted_on)
            .bind(&tip.verified_on)
            .bind(&tip.feedback_on)
            .bind(&tip.closed_on)
            .bind(tip.extended)
            .bind(tip.handler_unit_id)
            .bind(tip.duplicate_of)
            .bind(tip.danger_id)
            .bind(tip.accident_id)
            .bind(tip.inspection_id)
            .bind(&outcome)
            .bind(tip.reward_yuan)
            .bind(&tip.reward_basis)
            .bind(tip.reward_approved_by)
            .bind(&tip.reward_approved_on)
            .bind(&tip.paying_unit)
            .bind(&tip.reward_paid_on)
            .bind(tip.reward_paid_by)
            .bind(tip.substantiated)
            .bind(&tip.received_on)
            .bind(tip.id)
            .bind(tip.version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("tips.changed_meanwhile")));
            }
            crate::audit::append_audit!(tx, event);
            let now = crate::now_ms();
            for post in posts {
                crate::inbox::post_to_unit!(tx, post, now);
            }
            Ok(())
        })
    }

    pub async fn add_tip_message(
        &self,
        tip_id: i64,
        from_reporter: bool,
        author_id: Option<i64>,
        body: &str,
        sent_on: &str,
        event: Option<&AuditEvent>,
    ) -> Result<()> {
        let sealed = self.tip_sealer()?.seal(MESSAGE, body);
        crate::in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO tip_messages (tip_id, from_reporter, author_id, sealed_body, sent_on) VALUES ($1, $2, $3, $4, $5)")
                .bind(tip_id)
                .bind(from_reporter)
                .bind(author_id)
                .bind(&sealed)
                .bind(sent_on)
                .execute(&mut *tx)
                .await?;
            if let Some(event) = event {
                crate::audit::append_audit!(tx, event);
            }
            Ok(())
        })
    }

    /// A tip's messages, oldest first; a handler's by their display name.
    pub async fn tip_messages(&self, tip_id: i64) -> Result<Vec<TipMessageRow>> {
        let rows: Vec<(i64, bool, Option<String>, String, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT m.id, m.from_reporter, u.display_name, m.sealed_body, m.sent_on FROM tip_messages m LEFT JOIN users u ON u.id = m.author_id \
                 WHERE m.tip_id = $1 ORDER BY m.id LIMIT 1000",
            )
            .bind(tip_id)
            .fetch_all(pool)
            .await?
        });
        let sealer = self.tip_sealer()?;
        rows.into_iter()
            .map(|(id, from_reporter, author_name, sealed, sent_on)| {
                Ok(TipMessageRow { id, from_reporter, author_name, body: sealer.open(MESSAGE, &sealed)?, sent_on })
            })
            .collect()
    }

    pub async fn add_tip_attachment(&self, tip_id: i64, content_type: &str, bytes: &[u8], added_on: &str, event: Option<&AuditEvent>) -> Result<i64> {
        let sealed = self.tip_sealer()?.seal_bytes(ATTACHMENT, bytes);
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tip_attachments (tip_id, content_type, size_bytes, sealed_bytes, added_on) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(tip_id)
            .bind(content_type)
            .bind(bytes.len() as i64)
            .bind(&sealed)
            .bind(added_on)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(event) = event {
                crate::audit::append_audit!(tx, event);
            }
            Ok(id)
        })
    }

    /// A tip's attachments: (id, content type, size, added on).
    pub async fn tip_attachments(&self, tip_id: i64) -> Result<Vec<(i64, String, i64, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, content_type, size_bytes, added_on FROM tip_attachments WHERE tip_id = $1 ORDER BY id")
                .bind(tip_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// An attachment opened: (tip id, content type, bytes).
    pub async fn tip_attachment(&self, id: i64) -> Result<(i64, String, Vec<u8>)> {
        let row: Option<(i64, String, Vec<u8>)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT tip_id, content_type, sealed_bytes FROM tip_attachments WHERE id = $1").bind(id).fetch_optional(pool).await?
        });
        let (tip_id, content_type, sealed) = row.ok_or(StoreError::NotFound)?;
        Ok((tip_id, content_type, self.tip_sealer()?.open_bytes(ATTACHMENT, &sealed)?))
    }

    /// A named reporter's identity as JSON; only for a disclosure a custodian approved.
    pub async fn tip_identity(&self, tip_id: i64) -> Result<Option<String>> {
        let sealed: Option<Option<String>> =
            with_pool!(self, |pool| { sqlx::query_scalar("SELECT sealed_identity FROM tips WHERE id = $1").bind(tip_id).fetch_optional(pool).await? });
        let sealed = sealed.ok_or(StoreError::NotFound)?;
        sealed.map(|s| self.tip_sealer()?.open(IDENTITY, &s)).transpose()
    }

    pub async fn request_tip_disclosure(&self, tip_id: i64, requested_by: i64, reason: &str, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar("INSERT INTO tip_disclosures (tip_id, requested_by, reason, requested_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(tip_id)
                .bind(requested_by)
                .bind(reason)
                .bind(crate::now_ms())
                .fetch_one(&mut *tx)
                .await?;
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    /// Records a custodian's decision on a pending request; `Conflict` if it was decided already.
    pub async fn decide_tip_disclosure(&self, id: i64, decided_by: i64, approved: bool, decision: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed =
                sqlx::query("UPDATE tip_disclosures SET decided_by = $1, approved = $2, decision = $3, decided_at = $4 WHERE id = $5 AND decided_by IS NULL")
                    .bind(decided_by)
                    .bind(approved)
                    .bind(decision)
                    .bind(crate::now_ms())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("tips.disclosure_decided")));
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn tip_disclosures(&self, tip_id: i64) -> Result<Vec<TipDisclosureRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT d.id, d.tip_id, d.requested_by, u.display_name AS requested_by_name, d.reason, d.decided_by, d.approved, d.decision \
                 FROM tip_disclosures d JOIN users u ON u.id = d.requested_by WHERE d.tip_id = $1 ORDER BY d.id",
            )
            .bind(tip_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn tip_disclosure(&self, id: i64) -> Result<TipDisclosureRow> {
        with_pool!(self, |pool| {
            let row: Option<TipDisclosureRow> = sqlx::query_as(
                "SELECT d.id, d.tip_id, d.requested_by, u.display_name AS requested_by_name, d.reason, d.decided_by, d.approved, d.decision \
                 FROM tip_disclosures d JOIN users u ON u.id = d.requested_by WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.ok_or(StoreError::NotFound)
        })
    }
}
