//! The audit entry and its hash chain. Each entry's hash covers its own fields and the previous
//! entry's hash, so an edited, inserted or deleted entry breaks the chain from that point on.
//!
//! A hash chain alone can be rewritten by whoever holds the database: change an entry and
//! recompute every later hash, or delete the newest entries. So each entry also carries a keyed
//! hash (`mac`, HMAC-SHA256 of its hash under an `AuditKey` that is not in the database), which
//! nobody without the key can recompute; and the chain's head is written now and then to an
//! anchor outside the database (`Anchor`), so that a tail cut off after it is noticed.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The key of the audit chain's keyed hashes (derived from the server's key; never stored in
/// the database).
#[derive(Clone)]
pub struct AuditKey(pub [u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    fn mac_hex(&self, label: &str, message: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn mac_matches(&self, label: &str, message: &str, claimed: &str) -> bool {
        let Ok(claimed) = hex::decode(claimed) else { return false };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(message.as_bytes());
        mac.verify_slice(&claimed).is_ok()
    }

    /// The keyed hash of an entry with this chain hash.
    pub fn entry_mac(&self, hash: &str) -> String {
        self.mac_hex("anwei audit entry", hash)
    }
}

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
    /// The keyed hash of `hash`; `None` for entries written before the chain was keyed.
    pub mac: Option<String>,
}

impl AuditEntry {
    /// The entry for `event` at `seq`, keyed when `key` is given.
    pub fn new(event: &AuditEvent, seq: i64, occurred_at: i64, prev_hash: &str, key: Option<&AuditKey>) -> Self {
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
            mac: None,
        };
        entry.hash = entry.computed_hash();
        entry.mac = key.map(|key| key.entry_mac(&entry.hash));
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
    #[error("audit entry {seq}: hash does not match its content (edited)")]
    Edited { seq: i64 },
    #[error("audit entry {seq}: previous hash does not match (an entry before it was deleted or inserted)")]
    Broken { seq: i64 },
    #[error("audit sequence jumps from {after} to {seq} (entries deleted)")]
    Gap { after: i64, seq: i64 },
    #[error("audit entry {seq}: keyed hash does not match (rewritten and rehashed, or the wrong key)")]
    Forged { seq: i64 },
    #[error("audit entry {seq} has no keyed hash although earlier entries do (written without the key)")]
    Unkeyed { seq: i64 },
    #[error("the anchor records entry {seq} but the log ends at {tail} (its tail was deleted)")]
    Truncated { seq: i64, tail: i64 },
    #[error("entry {seq} differs from the one the anchor recorded (rewritten)")]
    AnchorMismatch { seq: i64 },
    #[error("anchor file line {line} is malformed or forged")]
    BadAnchor { line: usize },
}

impl ChainError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::Edited { seq } => crate::message!("audit.chain_error.edited", seq = seq),
            Self::Broken { seq } => crate::message!("audit.chain_error.broken", seq = seq),
            Self::Gap { after, seq } => crate::message!("audit.chain_error.gap", after = after, seq = seq),
            Self::Forged { seq } => crate::message!("audit.chain_error.forged", seq = seq),
            Self::Unkeyed { seq } => crate::message!("audit.chain_error.unkeyed", seq = seq),
            Self::Truncated { seq, tail } => crate::message!("audit.chain_error.truncated", seq = seq, tail = tail),
            Self::AnchorMismatch { seq } => crate::message!("audit.chain_error.anchor_mismatch", seq = seq),
            Self::BadAnchor { line } => crate::message!("audit.chain_error.bad_anchor", line = line),
        }
    }
}

/// Where a verification has got to: the last verified entry, and whether the chain has become
/// keyed (entries without a keyed hash may only come before the first one with it: those are
/// from before the chain was keyed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainPosition {
    pub last: Option<(i64, String)>,
    pub keyed_since: Option<i64>,
}

/// Checks entries in sequence order, continuing from `position`. With a key, every keyed hash
/// is checked too; without one only the plain chain is (and a rewrite that recomputed the
/// hashes goes unnoticed, which is why `anwei audit verify` uses the key).
pub fn verify_chain<'a>(
    position: ChainPosition,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    key: Option<&AuditKey>,
) -> Result<ChainPosition, ChainError> {
    let ChainPosition { last: mut prev, mut keyed_since } = position;
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
        if let Some(key) = key {
            match &entry.mac {
                Some(mac) if key.mac_matches("anwei audit entry", &entry.hash, mac) => {
                    keyed_since.get_or_insert(entry.seq);
                }
                Some(_) => return Err(ChainError::Forged { seq: entry.seq }),
                None if keyed_since.is_some_and(|since| entry.seq >= since) => return Err(ChainError::Unkeyed { seq: entry.seq }),
                None => {}
            }
        }
        prev = Some((entry.seq, entry.hash.clone()));
    }
    Ok(ChainPosition { last: prev, keyed_since })
}

/// A record, kept outside the database, that the chain once reached `seq` with `hash`, and
/// from which entry on it was keyed (so that stripping every keyed hash from the log does not
/// pass it off as one from before keying); keyed itself so that it cannot be forged without the
/// key. One line of the anchor file each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    /// When it was written (epoch ms).
    pub written_at: i64,
    /// The first keyed entry of the chain, if any was keyed.
    pub keyed_since: Option<i64>,
}

impl Anchor {
    fn message(&self) -> String {
        let keyed_since = self.keyed_since.map(|seq| seq.to_string()).unwrap_or_else(|| "-".into());
        format!("{} {} {} {keyed_since}", self.seq, self.hash, self.written_at)
    }

    /// The anchor as one line of the anchor file (without the newline).
    pub fn to_line(&self, key: &AuditKey) -> String {
        format!("{} {}", self.message(), key.mac_hex("anwei audit anchor", &self.message()))
    }

    /// Reads a line of the anchor file; `None` when it is malformed or its keyed hash is wrong.
    pub fn from_line(line: &str, key: &AuditKey) -> Option<Self> {
        let mut parts = line.split(' ');
        let (seq, hash, written_at, keyed_since, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let keyed_since = match keyed_since {
            "-" => None,
            seq => Some(seq.parse().ok()?),
        };
        let anchor = Self { seq: seq.parse().ok()?, hash: hash.to_owned(), written_at: written_at.parse().ok()?, keyed_since };
        key.mac_matches("anwei audit anchor", &anchor.message(), mac).then_some(anchor)
    }
}

/// Checks an anchor against the log: the anchored entry must still be there with the hash it
/// had. `stored_hash` is the hash now stored for `anchor.seq`, `tail` the last seq in the log.
pub fn check_anchor(anchor: &Anchor, stored_hash: Option<&str>, tail: i64) -> Result<(), ChainError> {
    match stored_hash {
        None if anchor.seq > tail => Err(ChainError::Truncated { seq: anchor.seq, tail }),
        None => Err(ChainError::Gap { after: anchor.seq - 1, seq: anchor.seq }),
        Some(hash) if hash != anchor.hash => Err(ChainError::AnchorMismatch { seq: anchor.seq }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey([7; 32])
    }

    fn chain_with(n: i64, key: Option<&AuditKey>) -> Vec<AuditEntry> {
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
            entries.push(AuditEntry::new(&event, seq, 1_700_000_000_000 + seq, &prev, key));
        }
        entries
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        chain_with(n, Some(&key()))
    }

    fn verify(entries: &[AuditEntry]) -> Result<ChainPosition, ChainError> {
        verify_chain(ChainPosition::default(), entries, Some(&key()))
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let entries = chain(5);
        assert_eq!(verify(&entries).unwrap().last.unwrap().0, 5);
        assert_eq!(verify(&entries).unwrap().keyed_since, Some(1));
    }

    #[test]
    fn edits_deletions_and_insertions_are_detected() {
        let mut edited = chain(5);
        edited[2].target = "enterprise:999".into();
        assert_eq!(verify(&edited), Err(ChainError::Edited { seq: 3 }));

        let mut rehashed = chain(5);
        rehashed[2].target = "enterprise:999".into();
        rehashed[2].hash = rehashed[2].computed_hash();
        assert_eq!(verify(&rehashed), Err(ChainError::Forged { seq: 3 }), "a rehashed entry lacks the key's hash");

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(verify(&deleted), Err(ChainError::Gap { after: 1, seq: 3 }));

        let mut deleted_last_and_renumbered = chain(5);
        deleted_last_and_renumbered.remove(1);
        for entry in deleted_last_and_renumbered.iter_mut().skip(1) {
            entry.seq -= 1;
        }
        assert_eq!(verify(&deleted_last_and_renumbered), Err(ChainError::Edited { seq: 2 }));
    }

    #[test]
    fn a_chain_rewritten_and_rehashed_throughout_fails_only_with_the_key() {
        // Whoever holds the database can rewrite entry 3 and recompute every later hash: the
        // plain chain is then consistent, the keyed one is not.
        let mut rewritten = chain(5);
        rewritten[2].target = "enterprise:999".into();
        for index in 2..rewritten.len() {
            if index > 0 {
                rewritten[index].prev_hash = rewritten[index - 1].hash.clone();
            }
            rewritten[index].hash = rewritten[index].computed_hash();
        }
        assert!(verify_chain(ChainPosition::default(), &rewritten, None).is_ok(), "the plain chain cannot tell");
        assert_eq!(verify(&rewritten), Err(ChainError::Forged { seq: 3 }));
        // Stripping the keyed hashes from the rewritten entries does not help either.
        for entry in rewritten.iter_mut().skip(2) {
            entry.mac = None;
        }
        assert_eq!(verify(&rewritten), Err(ChainError::Unkeyed { seq: 3 }));
        // Nor stripping them all, once an anchor has said the chain was keyed from entry 1.
        for entry in rewritten.iter_mut() {
            entry.mac = None;
        }
        assert!(verify(&rewritten).is_ok(), "without the anchor's word it looks like a chain from before keying");
        let anchored = ChainPosition { last: None, keyed_since: Some(1) };
        assert_eq!(verify_chain(anchored, &rewritten, Some(&key())), Err(ChainError::Unkeyed { seq: 1 }));
        // Another key is not this key.
        assert_eq!(verify_chain(ChainPosition::default(), &chain(2), Some(&AuditKey([8; 32]))), Err(ChainError::Forged { seq: 1 }));
    }

    #[test]
    fn entries_from_before_the_chain_was_keyed_are_accepted_only_at_its_start() {
        let mut upgraded = chain_with(3, None);
        let prev = upgraded[2].hash.clone();
        let event = AuditEvent {
            actor_id: None,
            actor_name: "system".into(),
            unit_id: None,
            action: "x".into(),
            target: String::new(),
            outcome: Outcome::Success,
            details: "{}".into(),
            client: "cli".into(),
        };
        upgraded.push(AuditEntry::new(&event, 4, 1, &prev, Some(&key())));
        assert_eq!(verify(&upgraded).unwrap().keyed_since, Some(4));
    }

    #[test]
    fn anchors_are_keyed_and_catch_a_cut_tail() {
        let entries = chain(5);
        let anchor = Anchor { seq: 5, hash: entries[4].hash.clone(), written_at: 42, keyed_since: Some(1) };
        let line = anchor.to_line(&key());
        assert_eq!(Anchor::from_line(&line, &key()), Some(anchor.clone()));
        assert_eq!(Anchor::from_line(&line.replace(" 42 ", " 43 "), &key()), None, "an edited anchor is refused");
        assert_eq!(Anchor::from_line(&line.replace(" 42 1 ", " 42 - "), &key()), None, "so is one that forgets the chain was keyed");
        let unkeyed = Anchor { keyed_since: None, ..anchor.clone() };
        assert_eq!(Anchor::from_line(&unkeyed.to_line(&key()), &key()), Some(unkeyed));
        assert_eq!(Anchor::from_line(&line, &AuditKey([8; 32])), None);
        for junk in ["", "5", "5 abc 42 def", &format!("{line} extra")] {
            assert_eq!(Anchor::from_line(junk, &key()), None, "{junk:?}");
        }
        assert_eq!(check_anchor(&anchor, Some(&entries[4].hash), 5), Ok(()));
        assert_eq!(check_anchor(&anchor, None, 3), Err(ChainError::Truncated { seq: 5, tail: 3 }), "the last two entries were deleted");
        assert_eq!(check_anchor(&anchor, Some(&entries[3].hash), 5), Err(ChainError::AnchorMismatch { seq: 5 }));
    }
}
