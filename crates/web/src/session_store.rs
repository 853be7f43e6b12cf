//! tower-sessions storage on anwei's own database: one row per session, with the user id pulled
//! out of the session data so that a user's sessions can be counted and revoked together. Rows
//! are keyed by the SHA-256 of the session id, so a copy of the database holds no usable session.

use async_trait::async_trait;
use store::{SessionRow, Store};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

/// Session key holding the logged-in user's id.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Debug, Clone)]
pub struct DatabaseSessionStore {
    store: Store,
}

impl DatabaseSessionStore {
    pub fn new(store: Store) -> Self {
        Self { store }
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
        data: serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?,
        expires_at: (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64,
    })
}

fn backend(error: store::StoreError) -> Error {
    Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DatabaseSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Retry on the (astronomically unlikely) collision of a fresh random id.
        for _ in 0..8 {
            if self.store.create_session(&to_row(record)?).await.map_err(backend)? {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(Error::Backend("could not allocate a session id".into()))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.store.save_session(&to_row(record)?).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(row) = self.store.load_session(&session_key(id), store::now_ms()).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(row.expires_at as i128 * 1_000_000).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.delete_session(&session_key(id)).await.map_err(backend)
    }
}
