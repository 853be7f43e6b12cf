//! User accounts, login bookkeeping (failures, lockouts) and API tokens. Password hashes are
//! computed elsewhere; this module only stores them.

use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{trusted, Result, Store, StoreError, conflict_on_unique, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub unit_id: i64,
    pub totp_secret: Option<String>,
    pub failed_login_count: i64,
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub password_changed_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub unit_id: i64,
    pub totp_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, unit_id, totp_secret, failed_login_count, \
     locked_until, disabled, password_changed_at, created_at";

impl Store {
    pub async fn create_user(&self, user: &NewUser, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, display_name, password_hash, role, unit_id, totp_secret, password_changed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(&user.password_hash)
            .bind(&user.role)
            .bind(user.unit_id)
            .bind(&user.totp_secret)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, "username"))?;
            let mut event = event.clone();
            event.target = format!("user:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(username).fetch_optional(pool).await?))
    }

    pub async fn user(&self, id: i64) -> Result<UserRow> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        with_pool!(self, |pool| {
            let row: Option<UserRow> = sqlx::query_as(trusted(&sql)).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Records a failed login: increments the counter and, when it reaches `lock_after`, locks the
    /// account until `lock_until_ms`. The audit event is written in the same transaction.
    pub async fn record_failed_login(&self, user_id: i64, lock_after: i64, lock_until_ms: i64, event: &AuditEvent) -> Result<bool> {
        crate::in_transaction!(self, |tx| {
            let count: i64 = sqlx::query_scalar(
                "UPDATE users SET failed_login_count = failed_login_count + 1 WHERE id = $1 RETURNING failed_login_count",
            )
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            let locked = count >= lock_after;
            if locked {
                sqlx::query("UPDATE users SET locked_until = $1, failed_login_count = 0 WHERE id = $2")
                    .bind(lock_until_ms)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            crate::audit::append_audit!(tx, event);
            Ok(locked)
        })
    }

    pub async fn record_successful_login(&self, user_id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("UPDATE users SET failed_login_count = 0, locked_until = NULL WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Stores a new API token (by its hash) for a user.
    pub async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str, expires_at: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(now_ms())
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    /// The user owning a live (unrevoked, unexpired) token with this hash; marks it used.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<UserRow>> {
        let now = now_ms();
        let sql = format!(
            "SELECT {} FROM users u JOIN api_tokens t ON t.user_id = u.id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        with_pool!(self, |pool| {
            let user: Option<UserRow> = sqlx::query_as(trusted(&sql)).bind(token_hash).bind(now).fetch_optional(pool).await?;
            if user.is_some() {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
            }
            Ok(user)
        })
    }

    pub async fn api_tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?)
        })
    }
}

impl Store {
    /// The oldest user of a unit with the given role.
    pub async fn first_user_of_unit(&self, unit_id: i64, role: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE unit_id = $1 AND role = $2 ORDER BY id LIMIT 1");
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(unit_id).bind(role).fetch_optional(pool).await?))
    }
}
