//! User accounts, login bookkeeping (failures, lockouts) and API tokens. Password hashes are
//! computed elsewhere; this module only stores them.

use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{Result, Store, StoreError, conflict_on_unique, now_ms, trusted, with_pool, with_writer};

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
    /// The password is a temporary one an administrator set: it must be changed before anything
    /// else is done.
    pub must_change_password: bool,
    /// The last one-time-code time step accepted, so that no code is accepted twice.
    pub totp_last_step: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub unit_id: i64,
    pub totp_secret: Option<String>,
    pub must_change_password: bool,
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

/// What a sealed TOTP secret is bound to.
const TOTP_PURPOSE: &str = "users.totp_secret";

/// How far a token's last use must move before it is written again.
pub const TOKEN_USE_WRITE_STEP_MS: i64 = 60_000;

#[derive(FromRow)]
struct TokenUser {
    #[sqlx(flatten)]
    user: UserRow,
    token_last_used_at: Option<i64>,
}

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, unit_id, totp_secret, failed_login_count, \
     locked_until, disabled, password_changed_at, created_at, must_change_password, totp_last_step";

impl Store {
    pub async fn create_user(&self, user: &NewUser, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, display_name, password_hash, role, unit_id, totp_secret, password_changed_at, created_at, must_change_password) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
            )
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(&user.password_hash)
            .bind(&user.role)
            .bind(user.unit_id)
            .bind(self.sealed_totp(user.totp_secret.as_deref()))
            .bind(now)
            .bind(user.must_change_password)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, domain::message!("accounts.user_name_taken")))?;
            let mut event = event.clone();
            event.target = format!("user:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// A TOTP secret as stored: sealed when the store has the server's key.
    fn sealed_totp(&self, secret: Option<&str>) -> Option<String> {
        secret.map(|secret| self.seal_column(TOTP_PURPOSE, secret))
    }

    /// A user row as read, its TOTP secret opened. A sealed secret without the key is an error,
    /// never a missing second factor.
    fn opened(&self, mut row: UserRow) -> Result<UserRow> {
        row.totp_secret = row.totp_secret.take().map(|stored| self.open_column(TOTP_PURPOSE, stored)).transpose()?;
        Ok(row)
    }

    /// Seals the secrets stored before sealing began (TOTP secrets, the inbox's channel addresses
    /// and delivery texts); returns how many. A storage change, not a business one, so it is not
    /// audited.
    pub async fn seal_legacy_secrets(&self) -> Result<u64> {
        let Some(sealer) = &self.sealer else { return Ok(0) };
        let totp_secrets = with_writer!(self, |pool| {
            let plain: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'sealed1:%'").fetch_all(pool).await?;
            for (id, secret) in &plain {
                sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
                    .bind(sealer.seal(TOTP_PURPOSE, secret))
                    .bind(id)
                    .bind(secret)
                    .execute(pool)
                    .await?;
            }
            plain.len() as u64
        });
        Ok(totp_secrets + self.seal_legacy_inbox().await?)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> = with_pool!(self, |pool| sqlx::query_as(trusted(&sql)).bind(username).fetch_optional(pool).await?);
        row.map(|row| self.opened(row)).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<UserRow> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = with_pool!(self, |pool| sqlx::query_as(trusted(&sql)).bind(id).fetch_optional(pool).await?);
        self.opened(row.ok_or(StoreError::NotFound)?)
    }

    /// Until when logins to `user_id` from `client_key` are refused (epoch ms), if they are.
    pub async fn login_blocked_until(&self, user_id: i64, client_key: &str, now_ms: i64) -> Result<Option<i64>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT blocked_until FROM login_failures WHERE user_id = $1 AND client_key = $2 AND blocked_until > $3")
                .bind(user_id)
                .bind(client_key)
                .bind(now_ms)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Claims one attempt to log in to `user_id` from `client_key`: refused (`false`) while that
    /// client must wait, otherwise counted before the password is checked (a success forgets the
    /// count again, `record_successful_login`). `block_for` gives, from the attempts counted so
    /// far (this one included), how long the next must wait (0: not at all). The check and the
    /// count are one step, taken in the serialised write transaction, so concurrent attempts,
    /// from one process or several, cannot all slip through when a wait ends. The account itself
    /// is never locked, so nobody can lock another person out.
    pub async fn claim_login_attempt(&self, user_id: i64, client_key: &str, block_for: impl Fn(i64) -> i64 + Send) -> Result<bool> {
        let now = now_ms();
        crate::in_transaction!(self, |tx| {
            let before: Option<(i64, i64)> = sqlx::query_as("SELECT failures, blocked_until FROM login_failures WHERE user_id = $1 AND client_key = $2")
                .bind(user_id)
                .bind(client_key)
                .fetch_optional(&mut *tx)
                .await?;
            if before.is_some_and(|(_, blocked_until)| blocked_until > now) {
                return Ok(false);
            }
            let failures = before.map(|(failures, _)| failures).unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO login_failures (user_id, client_key, failures, blocked_until, last_failure_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, client_key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until, \
                 last_failure_at = excluded.last_failure_at",
            )
            .bind(user_id)
            .bind(client_key)
            .bind(failures)
            .bind(now + block_for(failures).max(0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(true)
        })
    }

    /// A failed login (its attempt already claimed): counted on the account for the
    /// administrators' view, and `event` appended.
    pub async fn record_failed_login(&self, user_id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("UPDATE users SET failed_login_count = failed_login_count + 1 WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Forgets the attempts counted for `user_id` from `client_key`.
    pub async fn forget_login_attempts(&self, user_id: i64, client_key: &str) -> Result<()> {
        with_writer!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE user_id = $1 AND client_key = $2").bind(user_id).bind(client_key).execute(pool).await?;
            Ok(())
        })
    }

    /// A successful login: the failures of this account from this client are forgotten.
    pub async fn record_successful_login(&self, user_id: i64, client_key: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("UPDATE users SET failed_login_count = 0 WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM login_failures WHERE user_id = $1 AND client_key = $2").bind(user_id).bind(client_key).execute(&mut *tx).await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Forgets failed logins older than `before_ms` whose back-off has passed.
    pub async fn delete_old_login_failures(&self, before_ms: i64) -> Result<u64> {
        with_writer!(self, |pool| {
            Ok(sqlx::query("DELETE FROM login_failures WHERE last_failure_at < $1 AND blocked_until < $1").bind(before_ms).execute(pool).await?.rows_affected())
        })
    }

    /// Accepts the one-time code of time step `step` for the user only if no code of this or a
    /// later step was accepted before (atomically, so two processes cannot both accept it).
    pub async fn claim_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        with_writer!(self, |pool| {
            Ok(sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                .bind(step)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
                == 1)
        })
    }

    /// Stores a new API token (by its hash) for a user.
    pub async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str, expires_at: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 =
                sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
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

    /// The user owning a live (unrevoked, unexpired) token with this hash. Its last use is
    /// written only when it has moved by more than `TOKEN_USE_WRITE_STEP_MS`, so that reading
    /// with a token makes no durable write on every request.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<UserRow>> {
        let now = now_ms();
        let sql = format!(
            "SELECT {}, t.last_used_at AS token_last_used_at FROM users u JOIN api_tokens t ON t.user_id = u.id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        let found: Option<TokenUser> = with_pool!(self, |pool| sqlx::query_as(trusted(&sql)).bind(token_hash).bind(now).fetch_optional(pool).await?);
        let Some(found) = found else { return Ok(None) };
        if found.token_last_used_at.is_none_or(|used| now - used > TOKEN_USE_WRITE_STEP_MS) {
            with_writer!(self, |pool| sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(pool)
                .await?
                .rows_affected());
        }
        Ok(Some(self.opened(found.user)?))
    }

    pub async fn api_tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC")
                .bind(user_id)
                .fetch_all(pool)
                .await?)
        })
    }
}

impl Store {
    /// Ends every session and revokes every API token (after a restore, whose sessions and tokens
    /// may have been ended since the backup was made); appends `event`. Returns (sessions, tokens).
    pub async fn revoke_all_access(&self, event: &AuditEvent) -> Result<(u64, u64)> {
        crate::in_transaction!(self, |tx| {
            let sessions = sqlx::query("DELETE FROM sessions").execute(&mut *tx).await?.rows_affected();
            let tokens = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL").bind(now_ms()).execute(&mut *tx).await?.rows_affected();
            crate::audit::append_audit!(tx, event);
            Ok((sessions, tokens))
        })
    }
}

impl Store {
    /// The oldest user of a unit with the given role.
    pub async fn first_user_of_unit(&self, unit_id: i64, role: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE unit_id = $1 AND role = $2 ORDER BY id LIMIT 1");
        let row: Option<UserRow> = with_pool!(self, |pool| sqlx::query_as(trusted(&sql)).bind(unit_id).bind(role).fetch_optional(pool).await?);
        row.map(|row| self.opened(row)).transpose()
    }
}

/// A change to an account, made by an administrator or by the user; applied with its audit entry
/// in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountChange {
    /// A new password hash; every session of the user ends (the web layer keeps the caller's own)
    /// and every API token is revoked. `temporary` when an administrator set it: it must be
    /// changed at the next login.
    Password { password_hash: String, temporary: bool },
    /// Disabling also ends every session and revokes every token.
    Disabled(bool),
    /// A new role; the user's sessions end and tokens are revoked, so that the next login starts
    /// with the new rights.
    Role(String),
    /// Clears a lockout, the count of failed logins and every client's back-off.
    Unlock,
    /// Sets or removes the second-factor secret.
    TotpSecret(Option<String>),
}

/// One row of the account list, with the unit's name.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub has_totp: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct UserListPage {
    pub users: Vec<UserListRow>,
    pub total: i64,
}

impl Store {
    /// Applies `change` to the user and appends `event`; returns the user as it now is.
    pub async fn change_account(&self, user_id: i64, change: &AccountChange, keep_session: Option<&str>, event: &AuditEvent) -> Result<UserRow> {
        let select = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let result = match change {
                AccountChange::Password { password_hash, temporary } => {
                    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = $4 WHERE id = $3")
                        .bind(password_hash)
                        .bind(now)
                        .bind(user_id)
                        .bind(temporary)
                        .execute(&mut *tx)
                        .await?
                }
                AccountChange::Disabled(disabled) => {
                    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2").bind(*disabled).bind(user_id).execute(&mut *tx).await?
                }
                AccountChange::Role(role) => sqlx::query("UPDATE users SET role = $1 WHERE id = $2").bind(role).bind(user_id).execute(&mut *tx).await?,
                AccountChange::Unlock => {
                    sqlx::query("DELETE FROM login_failures WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                    sqlx::query("UPDATE users SET locked_until = NULL, failed_login_count = 0 WHERE id = $1").bind(user_id).execute(&mut *tx).await?
                }
                AccountChange::TotpSecret(secret) => {
                    sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
                        .bind(self.sealed_totp(secret.as_deref()))
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?
                }
            };
            if result.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let ends_sessions = matches!(change, AccountChange::Password { .. } | AccountChange::Disabled(true) | AccountChange::Role(_));
            if ends_sessions {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)").bind(user_id).bind(keep_session).execute(&mut *tx).await?;
            }
            if matches!(change, AccountChange::Disabled(true) | AccountChange::Password { .. } | AccountChange::Role(_)) {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            crate::audit::append_audit!(tx, event);
            let user: UserRow = sqlx::query_as(trusted(&select)).bind(user_id).fetch_one(&mut *tx).await?;
            self.opened(user)
        })
    }

    /// Revokes one of the user's own tokens; `false` if the user has no such live token.
    pub async fn revoke_api_token(&self, user_id: i64, token_id: i64, event: &AuditEvent) -> Result<bool> {
        crate::in_transaction!(self, |tx| {
            let revoked = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(token_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if revoked {
                crate::audit::append_audit!(tx, event);
            }
            Ok(revoked)
        })
    }

    /// Accounts whose user name, display name or unit name contains `query`, by user name.
    pub async fn list_users(&self, query: Option<&str>, limit: i64, offset: i64) -> Result<UserListPage> {
        let pattern = query.map(crate::like_pattern);
        const FROM: &str = "FROM users u JOIN units n ON n.id = u.unit_id \
             WHERE ($1 IS NULL OR u.username LIKE $1 ESCAPE '\\' OR u.display_name LIKE $1 ESCAPE '\\' OR n.name LIKE $1 ESCAPE '\\')";
        let list_sql = format!(
            "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, n.name AS unit_name, u.locked_until, u.disabled, \
             (u.totp_secret IS NOT NULL) AS has_totp, u.created_at {FROM} ORDER BY u.username LIMIT $2 OFFSET $3"
        );
        let count_sql = format!("SELECT COUNT(*) {FROM}");
        with_pool!(self, |pool| {
            let users: Vec<UserListRow> = sqlx::query_as(trusted(&list_sql)).bind(&pattern).bind(limit).bind(offset).fetch_all(pool).await?;
            let total: i64 = sqlx::query_scalar(trusted(&count_sql)).bind(&pattern).fetch_one(pool).await?;
            Ok(UserListPage { users, total })
        })
    }

    /// How many enabled accounts hold `role`.
    pub async fn count_enabled_users_with_role(&self, role: &str) -> Result<i64> {
        with_pool!(self, |pool| { Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1 AND NOT disabled").bind(role).fetch_one(pool).await?) })
    }

    /// Enabled accounts holding `role`: (id, display name).
    pub async fn users_with_role(&self, role: &str) -> Result<Vec<(i64, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, display_name FROM users WHERE role = $1 AND NOT disabled ORDER BY display_name").bind(role).fetch_all(pool).await?)
        })
    }
}
