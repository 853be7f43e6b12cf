//! Authentication: password hashing (Argon2id, off the async worker threads), the password
//! rules, login with lockout and the second factor (TOTP), and bearer tokens for API clients.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine;
use domain::audit::Outcome;
use domain::role::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::UserRow;

use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Security policy with the defaults a 等保 level-3 system expects; the security administrator
/// can tighten them in configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SecuritySettings {
    /// Consecutive failed logins that lock an account.
    pub lock_after_failures: i64,
    pub lock_minutes: i64,
    /// A session unused this long ends.
    pub session_idle_minutes: i64,
    /// A session ends this long after login, used or not.
    pub session_absolute_hours: i64,
    /// Older sessions of a user beyond this many are ended at login.
    pub max_sessions_per_user: usize,
    pub token_lifetime_days: i64,
    /// Login attempts one client address may make in a burst, before throttling.
    pub login_burst_per_client: u32,
    /// After the burst, one more login attempt per client every this many seconds.
    pub login_refill_seconds: u64,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            lock_after_failures: 5,
            lock_minutes: 15,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            max_sessions_per_user: 5,
            token_lifetime_days: 90,
            login_burst_per_client: 20,
            login_refill_seconds: 6,
        }
    }
}

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 256;

const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Checks a new password: long enough, not absurdly long, not common, not the user name.
/// No composition rules: a long passphrase is better than a short mix of symbols.
pub fn check_new_password(username: &str, password: &str) -> std::result::Result<(), String> {
    let count = password.chars().count();
    if count < PASSWORD_MIN_CHARS {
        return Err(format!("密码至少{PASSWORD_MIN_CHARS}个字符 / a password has at least {PASSWORD_MIN_CHARS} characters"));
    }
    if count > PASSWORD_MAX_CHARS {
        return Err(format!("密码最多{PASSWORD_MAX_CHARS}个字符 / a password has at most {PASSWORD_MAX_CHARS} characters"));
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || COMMON_PASSWORDS.lines().any(|common| common.trim() == lowered) {
        return Err("密码过于常见,请换一个 / this password is too common; choose another".into());
    }
    Ok(())
}

/// Hashes a password with Argon2id on a blocking thread.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing task: {e}")))?
}

/// Verifies a password against a stored hash on a blocking thread.
pub(crate) async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || PasswordHash::new(&hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()))
        .await
        .unwrap_or(false)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("用户名或密码错误 / wrong user name or password")]
    InvalidCredentials,
    #[error("账号已锁定,请稍后再试或联系安全管理员 / the account is locked; try later or ask the security administrator")]
    Locked,
    #[error("请输入动态验证码 / enter your one-time code")]
    SecondFactorRequired,
    #[error("动态验证码错误 / wrong one-time code")]
    SecondFactorInvalid,
    #[error("登录暂不可用 / login is unavailable")]
    Unavailable,
}

/// A fresh TOTP secret (160 bits, base32), for enrolment.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    totp_rs::Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp_for(secret_base32: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// Whether `code` is the current (or an adjacent) one-time code for the secret.
pub fn verify_totp(secret_base32: &str, code: &str) -> bool {
    let code = code.trim();
    code.len() == 6 && totp_for(secret_base32).is_some_and(|totp| totp.check_current(code).unwrap_or(false))
}

/// The current one-time code, for tests and the demo's printed instructions.
pub fn current_totp(secret_base32: &str) -> Option<String> {
    totp_for(secret_base32)?.generate_current().ok()
}

impl App {
    /// Resolves the actor for a stored user: its role, unit, region path and enterprise.
    pub async fn actor_for_user(&self, user: &UserRow) -> Result<Actor> {
        let role = Role::parse(&user.role).ok_or_else(|| AppError::Internal(format!("user {} has unknown role", user.id)))?;
        let unit = self.store.unit(user.unit_id).await?;
        let region_path = match &unit.region_code {
            Some(code) => Some(self.store.region(code).await?.path),
            None => None,
        };
        Ok(Actor {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role,
            unit_id: unit.id,
            unit_name: unit.name,
            region_path,
            enterprise_id: unit.enterprise_id,
        })
    }

    /// Checks a user name, password and (where enrolled or required) one-time code. Failures are
    /// counted and lock the account after `lock_after_failures`; every attempt is audited.
    pub async fn login(&self, username: &str, password: &str, totp_code: Option<&str>, client: &Client) -> std::result::Result<Actor, LoginError> {
        let username = username.trim().to_ascii_lowercase();
        let username = username.as_str();
        let user = self.store.user_by_username(username).await.map_err(|_| LoginError::Unavailable)?;
        let Some(user) = user else {
            // Spend the same Argon2 work as for a real account, so timing does not reveal which
            // user names exist.
            let _ = hash_password(password).await;
            let event = audit_event(
                None,
                client,
                "auth.login",
                format!("username:{}", clip(username)),
                Outcome::Failure,
                serde_json::json!({"reason": "unknown_user"}),
            );
            let _ = self.store.record_audit(&event).await;
            return Err(LoginError::InvalidCredentials);
        };
        let now = store::now_ms();
        let actor_stub = Actor {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: Role::parse(&user.role).unwrap_or(Role::Expert),
            unit_id: user.unit_id,
            unit_name: String::new(),
            region_path: None,
            enterprise_id: None,
        };
        let fail = |reason: &str| {
            audit_event(Some(&actor_stub), client, "auth.login", format!("user:{}", user.id), Outcome::Failure, serde_json::json!({"reason": reason}))
        };
        if user.disabled || user.locked_until.is_some_and(|until| until > now) {
            let _ = self.store.record_audit(&fail("locked")).await;
            return Err(LoginError::Locked);
        }
        if !verify_password(password, &user.password_hash).await {
            let lock_until = now + self.security.lock_minutes * 60_000;
            let locked = self
                .store
                .record_failed_login(user.id, self.security.lock_after_failures, lock_until, &fail("wrong_password"))
                .await
                .map_err(|_| LoginError::Unavailable)?;
            return Err(if locked { LoginError::Locked } else { LoginError::InvalidCredentials });
        }
        let role = Role::parse(&user.role).ok_or(LoginError::Unavailable)?;
        match (&user.totp_secret, totp_code.map(str::trim).filter(|c| !c.is_empty())) {
            (Some(_), None) => return Err(LoginError::SecondFactorRequired),
            (None, _) if role.is_administrator() => {
                // An administrator without a second factor cannot log in at all.
                let _ = self.store.record_audit(&fail("second_factor_not_enrolled")).await;
                return Err(LoginError::Unavailable);
            }
            (Some(secret), Some(code)) if !verify_totp(secret, code) => {
                let lock_until = now + self.security.lock_minutes * 60_000;
                let locked = self
                    .store
                    .record_failed_login(user.id, self.security.lock_after_failures, lock_until, &fail("wrong_second_factor"))
                    .await
                    .map_err(|_| LoginError::Unavailable)?;
                return Err(if locked { LoginError::Locked } else { LoginError::SecondFactorInvalid });
            }
            _ => {}
        }
        let actor = self.actor_for_user(&user).await.map_err(|_| LoginError::Unavailable)?;
        let event = audit_event(Some(&actor), client, "auth.login", format!("user:{}", user.id), Outcome::Success, serde_json::json!({}));
        self.store.record_successful_login(user.id, &event).await.map_err(|_| LoginError::Unavailable)?;
        Ok(actor)
    }

    /// Issues a bearer token for the actor; only its SHA-256 is stored. Returns the token and its
    /// expiry (epoch ms).
    pub async fn issue_token(&self, actor: &Actor, name: &str, client: &Client) -> Result<(String, i64)> {
        let token = new_secret("anw_");
        let expires_at = store::now_ms() + self.security.token_lifetime_days * 86_400_000;
        let event =
            audit_event(Some(actor), client, "auth.token_issue", format!("user:{}", actor.user_id), Outcome::Success, serde_json::json!({"name": clip(name)}));
        self.store.create_api_token(actor.user_id, &clip(name), &token_hash(&token), expires_at, &event).await?;
        Ok((token, expires_at))
    }

    /// The actor a bearer token stands for, if the token is live and its user may log in.
    pub async fn actor_for_token(&self, token: &str) -> Result<Option<Actor>> {
        if token.len() > 128 {
            return Ok(None);
        }
        let Some(user) = self.store.user_by_token_hash(&token_hash(token)).await? else {
            return Ok(None);
        };
        if user.disabled || user.locked_until.is_some_and(|until| until > store::now_ms()) {
            return Ok(None);
        }
        Ok(Some(self.actor_for_user(&user).await?))
    }
}

/// The only form in which a bearer secret is stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits, URL-safe, after a prefix that says what the secret is for.
pub(crate) fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert!(check_new_password("office", "short").is_err());
        assert!(check_new_password("office", "password123").is_err());
        assert!(check_new_password("zhangsan", "zhangsan").is_err());
        assert!(check_new_password("office", "长白山上的雪一直下到五月").is_ok());
        assert!(check_new_password("office", &"x".repeat(300)).is_err());
    }

    #[test]
    fn totp_codes_verify_and_wrong_ones_do_not() {
        let secret = new_totp_secret();
        let code = current_totp(&secret).unwrap();
        assert!(verify_totp(&secret, &code));
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 500_000) % 1_000_000);
        assert!(!verify_totp(&secret, &wrong));
        assert!(!verify_totp(&secret, "abc"));
    }

    #[tokio::test]
    async fn hashes_verify() {
        let hash = hash_password("a long pass phrase").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("a long pass phrase", &hash).await);
        assert!(!verify_password("another phrase", &hash).await);
        assert!(!verify_password("anything", "not a hash").await);
    }
}
