//! The audit entry and its hash chain. Each entry's hash covers its own fields and the previous
//! entry's hash, so an edited, inserted or deleted entry breaks the chain from that point on.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn key(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

/// What happened, before it is given a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub unit_id: Option<i64>,
    /// A stable dotted key such as `enterprise.create` or `auth.login`.
    pub action: String,
    /// What the action was done to, such as `enterprise:42`.
    pub target: String,
    pub outcome: Outcome,
    /// A JSON object with the particulars.
    pub details: String,
    /// The client address or `cli`.
    pub client: String,
}

/// An entry as stored: the event with its sequence number, time and chain hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub occurred_at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub unit_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub details: String,
    pub client: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    pub fn new(event: &AuditEvent, seq: i64, occurred_at: i64, prev_hash: &str) -> Self {
        let mut entry = Self {
            seq,
            occurred_at,
            actor_id: event.actor_id,
            actor_name: event.actor_name.clone(),
            unit_id: event.unit_id,
            action: event.action.clone(),
            target: event.target.clone(),
            outcome: event.outcome.key().to_owned(),
            details: event.details.clone(),
            client: event.client.clone(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// SHA-256 over every field but `hash`, each length-prefixed so that no two different entries
    /// serialise to the same bytes.
    pub fn computed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let optional = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        let fields = [
            self.seq.to_string(),
            self.occurred_at.to_string(),
            optional(self.actor_id),
            self.actor_name.clone(),
            optional(self.unit_id),
            self.action.clone(),
            self.target.clone(),
            self.outcome.clone(),
            self.details.clone(),
            self.client.clone(),
            self.prev_hash.clone(),
        ];
        for field in &fields {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// Why a chain failed verification, naming the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("审计日志第{seq}条的哈希与内容不符(被修改) / audit entry {seq}: hash does not match its content (edited)")]
    Edited { seq: i64 },
    #[error(
        "审计日志第{seq}条的前序哈希不符(前面有条目被删除或插入) / audit entry {seq}: previous hash does not match (an entry before it was deleted or inserted)"
    )]
    Broken { seq: i64 },
    #[error("审计日志序号在{after}之后跳到{seq}(有条目被删除) / audit sequence jumps from {after} to {seq} (entries deleted)")]
    Gap { after: i64, seq: i64 },
}

/// Checks entries in sequence order, continuing from `prev` (the last verified entry's seq and
/// hash, or `None` at the start of the log).
pub fn verify_chain<'a>(prev: Option<(i64, String)>, entries: impl IntoIterator<Item = &'a AuditEntry>) -> Result<Option<(i64, String)>, ChainError> {
    let mut prev = prev;
    for entry in entries {
        let (expected_seq, expected_prev_hash) = match &prev {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if entry.seq != expected_seq {
            return Err(ChainError::Gap { after: expected_seq - 1, seq: entry.seq });
        }
        if entry.computed_hash() != entry.hash {
            return Err(ChainError::Edited { seq: entry.seq });
        }
        if entry.prev_hash != expected_prev_hash {
            return Err(ChainError::Broken { seq: entry.seq });
        }
        prev = Some((entry.seq, entry.hash.clone()));
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = entries.last().map(|e| e.hash.clone()).unwrap_or_else(|| GENESIS_HASH.into());
            let event = AuditEvent {
                actor_id: Some(seq),
                actor_name: format!("user{seq}"),
                unit_id: None,
                action: "enterprise.update".into(),
                target: format!("enterprise:{seq}"),
                outcome: Outcome::Success,
                details: "{}".into(),
                client: "127.0.0.1".into(),
            };
            entries.push(AuditEntry::new(&event, seq, 1_700_000_000_000 + seq, &prev));
        }
        entries
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let entries = chain(5);
        assert_eq!(verify_chain(None, &entries).unwrap().unwrap().0, 5);
    }

    #[test]
    fn edits_deletions_and_insertions_are_detected() {
        let mut edited = chain(5);
        edited[2].target = "enterprise:999".into();
        assert_eq!(verify_chain(None, &edited), Err(ChainError::Edited { seq: 3 }));

        let mut rehashed = chain(5);
        rehashed[2].target = "enterprise:999".into();
        rehashed[2].hash = rehashed[2].computed_hash();
        assert_eq!(verify_chain(None, &rehashed), Err(ChainError::Broken { seq: 4 }));

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(verify_chain(None, &deleted), Err(ChainError::Gap { after: 1, seq: 3 }));

        let mut deleted_last_and_renumbered = chain(5);
        deleted_last_and_renumbered.remove(1);
        for entry in deleted_last_and_renumbered.iter_mut().skip(1) {
            entry.seq -= 1;
        }
        assert_eq!(verify_chain(None, &deleted_last_and_renumbered), Err(ChainError::Edited { seq: 2 }));
    }
}
