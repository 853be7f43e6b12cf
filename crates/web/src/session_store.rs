//! tower-sessions storage on anwei's own database (through `app::sessions`): one row per session, with the user id pulled
//! out of the session data so that a user's sessions can be counted and revoked together. Rows
//! are keyed by the SHA-256 of the session id, so a copy of the database holds no usable session.
//!
//! Saving only ever updates a row that still exists, so a session ended while a request on it
//! was in flight stays ended. And saving is coalesced: a request that changed nothing but the
//! idle deadline writes only when the deadline has moved by more than `EXPIRY_WRITE_STEP_MS`,
//! so reading pages makes no durable write. This process's memory of what it last read or wrote
//! (`Seen`) only ever skips a write; the database stays the truth for every process.

use app::App;
use app::sessions::SessionRow;
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

/// Session key holding the logged-in user's id.
pub const USER_ID_KEY: &str = "user_id";

/// How far a session's idle deadline must move before it is written again.
pub const EXPIRY_WRITE_STEP_MS: i64 = 60_000;
/// Sessions remembered by `Seen`; beyond this the memory starts afresh (costing one write each).
const SEEN_SESSIONS_MAX: usize = 100_000;

/// What this process last read or wrote of a session: a hash of its data and its stored expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    data_hash: u64,
    user_id: Option<i64>,
    expires_at: i64,
}

impl Seen {
    fn of(row: &SessionRow) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        row.data.hash(&mut hasher);
        Self { data_hash: hasher.finish(), user_id: row.user_id, expires_at: row.expires_at }
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseSessionStore {
    app: App,
    seen: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Seen>>>,
}

impl DatabaseSessionStore {
    pub fn new(app: App) -> Self {
        Self { app, seen: Default::default() }
    }

    fn remember(&self, key: &str, seen: Option<Seen>) {
        let mut map = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match seen {
            Some(seen) => {
                if map.len() >= SEEN_SESSIONS_MAX && !map.contains_key(key) {
                    map.clear();
                }
                map.insert(key.to_owned(), seen);
            }
            None => {
                map.remove(key);
            }
        }
    }

    /// Whether writing `row` would change nothing but move the deadline by less than a step.
    fn unchanged(&self, row: &SessionRow) -> bool {
        let map = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Seen::of(row);
        map.get(&row.id).is_some_and(|before| {
            before.data_hash == now.data_hash && before.user_id == now.user_id && now.expires_at - before.expires_at < EXPIRY_WRITE_STEP_MS
        })
    }
}

/// The key under which a session is stored (and shown in the user's session list).
pub fn session_key(id: &Id) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(id.to_string().as_bytes()))
}

fn to_row(record: &Record) -> Result<SessionRow> {
    Ok(SessionRow {
        id: session_key(&record.id),
        user_id: record.data.get(USER_ID_KEY).and_then(|v| v.as_i64()),
        // Keys in order: the same data is always the same text, so that an unchanged session
        // is recognised as unchanged (a map's own order differs from one copy to the next).
        data: serde_json::to_string(&record.data.iter().collect::<std::collections::BTreeMap<_, _>>()).map_err(|e| Error::Encode(e.to_string()))?,
        expires_at: (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64,
    })
}

fn backend(error: app::AppError) -> Error {
    Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DatabaseSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Retry on the (astronomically unlikely) collision of a fresh random id.
        for _ in 0..8 {
            let row = to_row(record)?;
            if self.app.create_session(&row).await.map_err(backend)? {
                self.remember(&row.id, Some(Seen::of(&row)));
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(Error::Backend("could not allocate a session id".into()))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let row = to_row(record)?;
        if self.unchanged(&row) {
            return Ok(());
        }
        let live = self.app.save_session(&row).await.map_err(backend)?;
        self.remember(&row.id, live.then(|| Seen::of(&row)));
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let key = session_key(id);
        let Some(row) = self.app.load_session(&key).await.map_err(backend)? else {
            self.remember(&key, None);
            return Ok(None);
        };
        self.remember(&key, Some(Seen::of(&row)));
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(row.expires_at as i128 * 1_000_000).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let key = session_key(id);
        self.remember(&key, None);
        self.app.delete_session(&key).await.map_err(backend)
    }
}
