//! Server-side session records. The web layer serialises the session; this module keeps it,
//! indexed by user so that a user's sessions can be counted and revoked together.

use sqlx::FromRow;

use crate::{Result, Store, with_pool, with_writer};

/// What sealed session data is bound to.
const SESSION_PURPOSE: &str = "sessions.data";

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: Option<i64>,
    pub data: String,
    pub expires_at: i64,
}

impl Store {
    /// Writes a live session's data and expiry. Only an existing row is updated: a session that
    /// was ended (logout, revocation, password change) while a request on it was in flight is
    /// never written back. Returns whether the row still existed.
    pub async fn save_session(&self, session: &SessionRow) -> Result<bool> {
        with_writer!(self, |pool| {
            let result = sqlx::query("UPDATE sessions SET user_id = $2, data = $3, expires_at = $4 WHERE id = $1")
                .bind(&session.id)
                .bind(session.user_id)
                .bind(self.sealed_session_data(&session.data))
                .bind(session.expires_at)
                .execute(pool)
                .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Creates a session only if the id is free; returns false on a collision.
    pub async fn create_session(&self, session: &SessionRow) -> Result<bool> {
        with_writer!(self, |pool| {
            let result = sqlx::query("INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                .bind(&session.id)
                .bind(session.user_id)
                .bind(self.sealed_session_data(&session.data))
                .bind(session.expires_at)
                .execute(pool)
                .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// A session that has not expired at `now_ms`.
    pub async fn load_session(&self, id: &str, now_ms: i64) -> Result<Option<SessionRow>> {
        let row: Option<SessionRow> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT id, user_id, data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now_ms)
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| self.opened_session(row)).transpose()
    }

    /// Sessions stored (live or not yet cleaned up).
    pub async fn session_count(&self) -> Result<i64> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(pool).await?))
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        with_writer!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(pool).await?;
            Ok(())
        })
    }

    /// Revokes every session of a user except `keep` (the caller's own, when it should survive).
    pub async fn delete_sessions_of_user(&self, user_id: i64, keep: Option<&str>) -> Result<u64> {
        with_writer!(self, |pool| {
            Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
                .bind(user_id)
                .bind(keep)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }

    /// A user's live sessions, newest expiry first.
    pub async fn sessions_of_user(&self, user_id: i64, now_ms: i64) -> Result<Vec<SessionRow>> {
        let rows: Vec<SessionRow> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT id, user_id, data, expires_at FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY expires_at DESC")
                .bind(user_id)
                .bind(now_ms)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(|row| self.opened_session(row)).collect()
    }

    /// Session data as stored: sealed when the store has the server's key (it holds CSRF tokens
    /// and second-factor secrets awaiting confirmation).
    fn sealed_session_data(&self, data: &str) -> String {
        self.seal_column(SESSION_PURPOSE, data)
    }

    fn opened_session(&self, mut row: SessionRow) -> Result<SessionRow> {
        row.data = self.open_column(SESSION_PURPOSE, std::mem::take(&mut row.data))?;
        Ok(row)
    }

    pub async fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64> {
        with_writer!(self, |pool| { Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms).execute(pool).await?.rows_affected()) })
    }

    /// Ends one session of a user (the id must belong to that user) and appends `event`; returns
    /// whether there was such a session.
    pub async fn delete_session_of_user(&self, user_id: i64, id: &str, event: &domain::audit::AuditEvent) -> Result<bool> {
        crate::in_transaction!(self, |tx| {
            let deleted =
                sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2").bind(id).bind(user_id).execute(&mut *tx).await?.rows_affected() == 1;
            if deleted {
                crate::audit::append_audit!(tx, event);
            }
            Ok(deleted)
        })
    }
}
