//! The audit chain's anchor: a file outside the database to which the chain's head is appended
//! now and then, each line keyed (`domain::audit::Anchor`). With it `anwei audit verify` notices
//! what the chain alone cannot: newest entries deleted, or the whole log rewritten by someone who
//! also obtained the key, before an anchored point. Keep it where the database's administrators
//! cannot rewrite it (an append-only file, `chattr +a`, or a copy shipped to a log server).

use std::io::{BufRead, Write};
use std::path::Path;

use domain::audit::{Anchor, AuditKey, ChainError, ChainPosition};
use store::Store;

/// Largest anchor file read (about 5 million lines, nine years at one a minute).
pub const ANCHOR_FILE_BYTES_MAX: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("the audit anchor {path} cannot be read or written: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the audit anchor {path} is larger than {} MiB", ANCHOR_FILE_BYTES_MAX >> 20)]
    TooLarge { path: String },
    #[error("storage failure: {0}")]
    Store(#[from] store::StoreError),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> AnchorError + '_ {
    move |source| AnchorError::Io { path: path.display().to_string(), source }
}

/// Appends the chain's current head to the anchor file (created with owner-only permissions)
/// and flushes it to disk, unless the head is `last_written` already. Returns the head written.
pub async fn write_anchor(store: &Store, key: &AuditKey, path: &Path, last_written: Option<i64>) -> Result<Option<i64>, AnchorError> {
    let (seq, hash) = store.audit_head().await?;
    if seq == 0 || last_written == Some(seq) {
        return Ok(None);
    }
    let keyed_since = store.audit_first_keyed_seq().await?;
    let line = Anchor { seq, hash, written_at: store::now_ms(), keyed_since }.to_line(key);
    let path_owned = path.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path_owned)?;
        writeln!(file, "{line}")?;
        file.sync_data()
    })
    .await
    .map_err(|e| AnchorError::Io { path: path.display().to_string(), source: std::io::Error::other(e) })?
    .map_err(io_error(path))?;
    Ok(Some(seq))
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Entries whose chain and keyed hashes were checked.
    pub entries: i64,
    /// The first keyed entry (earlier ones predate keying).
    pub keyed_since: Option<i64>,
    /// Anchor lines checked against the log.
    pub anchors: usize,
    /// The first problem, if any.
    pub problem: Option<ChainError>,
}

/// Reads the anchor file: every line must be well formed and keyed by `key`. A missing file is
/// no anchors (a new installation).
pub fn read_anchors(path: &Path, key: &AuditKey) -> Result<Result<Vec<Anchor>, ChainError>, AnchorError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(Vec::new())),
        Err(error) => return Err(io_error(path)(error)),
    };
    if file.metadata().map_err(io_error(path))?.len() > ANCHOR_FILE_BYTES_MAX {
        return Err(AnchorError::TooLarge { path: path.display().to_string() });
    }
    let mut anchors = Vec::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match Anchor::from_line(line.trim_end(), key) {
            Some(anchor) => anchors.push(anchor),
            None => return Ok(Err(ChainError::BadAnchor { line: index + 1 })),
        }
    }
    Ok(Ok(anchors))
}

/// What to make of anchors past the end of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// The live log: an anchor past its end means its tail was cut.
    Live,
    /// A backup, older than the newest anchors: those past its end are not its business.
    Backup,
}

/// Verifies the whole log with the store's key, and every anchor against it: an anchored entry
/// that is gone (the tail was cut) or differs (rewritten) is reported, and every entry from the
/// first keyed one the anchors recorded must carry a good keyed hash.
pub async fn verify(store: &Store, anchor_path: Option<&Path>, tail: Tail) -> Result<Verdict, AnchorError> {
    let mut verdict = Verdict { entries: 0, keyed_since: None, anchors: 0, problem: None };
    let mut anchors = match (anchor_path, store.audit_key()) {
        (Some(path), Some(key)) => match read_anchors(path, key)? {
            Ok(anchors) => anchors,
            Err(problem) => {
                verdict.problem = Some(problem);
                return Ok(verdict);
            }
        },
        _ => Vec::new(),
    };
    anchors.sort_by_key(|anchor| anchor.seq);
    verdict.anchors = anchors.len();
    let keyed_since = anchors.iter().filter_map(|anchor| anchor.keyed_since).min();
    let mut pending = anchors.into_iter().peekable();
    let mut position = ChainPosition { last: None, keyed_since };
    loop {
        let after = position.last.as_ref().map(|(seq, _)| *seq).unwrap_or(0);
        let entries = store.audit_entries_after(after, 10_000).await?;
        if entries.is_empty() {
            break;
        }
        match domain::audit::verify_chain(position.clone(), &entries, store.audit_key()) {
            Ok(next) => position = next,
            Err(problem) => {
                verdict.problem = Some(problem);
                return Ok(verdict);
            }
        }
        verdict.entries += entries.len() as i64;
        let last_seq = position.last.as_ref().map(|(seq, _)| *seq).unwrap_or(0);
        while let Some(anchor) = pending.next_if(|anchor| anchor.seq <= last_seq) {
            let stored = entries.iter().find(|entry| entry.seq == anchor.seq).map(|entry| entry.hash.as_str());
            let stored = match stored {
                Some(hash) => Some(hash.to_owned()),
                None => store.audit_hash_at(anchor.seq).await?,
            };
            if let Err(problem) = domain::audit::check_anchor(&anchor, stored.as_deref(), last_seq) {
                verdict.problem = Some(problem);
                return Ok(verdict);
            }
        }
    }
    verdict.keyed_since = position.keyed_since;
    // Anchors past the end of the log: its tail was deleted (unless this is a backup).
    let last_seq = position.last.as_ref().map(|(seq, _)| *seq).unwrap_or(0);
    if let (Some(anchor), Tail::Live) = (pending.next(), tail) {
        verdict.problem = Some(domain::audit::check_anchor(&anchor, None, last_seq).err().unwrap_or(ChainError::Truncated { seq: anchor.seq, tail: last_seq }));
    }
    Ok(verdict)
}
