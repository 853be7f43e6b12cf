//! Authentication: password hashing (Argon2id, off the async worker threads), the password
//! rules, login with lockout and the second factor (TOTP), and bearer tokens for API clients.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine;
use domain::audit::Outcome;
use domain::message::Message;
use domain::role::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::UserRow;

use crate::policy::Credential;
use crate::{Actor, App, AppError, Client, Result, audit_event};
use subtle::ConstantTimeEq;

/// Security policy with the defaults a 等保 level-3 system expects; the security administrator
/// can tighten them in configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SecuritySettings {
    /// Failed logins to one account from one client before that client must wait; each further
    /// failure doubles the wait (1 s, 2 s, 4 s, …). The account itself is never locked by
    /// failures, so nobody can lock another person out.
    pub lock_after_failures: i64,
    /// The longest wait, in minutes.
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
pub fn check_new_password(username: &str, password: &str) -> std::result::Result<(), Message> {
    let count = password.chars().count();
    if count < PASSWORD_MIN_CHARS {
        return Err(domain::message!("auth.password_has_least_characters", password_min_chars = PASSWORD_MIN_CHARS));
    }
    if count > PASSWORD_MAX_CHARS {
        return Err(domain::message!("auth.password_has_most_characters", password_max_chars = PASSWORD_MAX_CHARS));
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || COMMON_PASSWORDS.lines().any(|common| common.trim() == lowered) {
        return Err(domain::message!("auth.password_too_common_choose_another"));
    }
    Ok(())
}

/// Argon2 computations at once (each takes about 19 MiB and a core for tens of milliseconds):
/// beyond this, logins and password checks wait their turn instead of exhausting memory.
const HASHING_AT_ONCE: usize = 4;
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(HASHING_AT_ONCE));

/// Hashes a password with Argon2id on a blocking thread.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    let _turn = HASHING.acquire().await.map_err(|e| AppError::Internal(format!("password hashing: {e}")))?;
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
    let Ok(_turn) = HASHING.acquire().await else { return false };
    tokio::task::spawn_blocking(move || PasswordHash::new(&hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()))
        .await
        .unwrap_or(false)
}

/// Why a login failed. An unknown user, a wrong password, a disabled account and a client that
/// must wait after repeated failures all answer `InvalidCredentials`, alike in words and timing,
/// so that a login reveals neither which accounts exist nor their state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("wrong user name or password; after repeated failures, wait a while before trying again")]
    InvalidCredentials,
    #[error("enter your one-time code")]
    SecondFactorRequired,
    #[error("wrong one-time code")]
    SecondFactorInvalid,
    #[error("login is unavailable")]
    Unavailable,
}

impl LoginError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> domain::message::Message {
        match self {
            Self::InvalidCredentials => domain::message!("auth.login_error.invalid_credentials"),
            Self::SecondFactorRequired => domain::message!("auth.login_error.second_factor_required"),
            Self::SecondFactorInvalid => domain::message!("auth.login_error.second_factor_invalid"),
            Self::Unavailable => domain::message!("auth.login_error.unavailable"),
        }
    }
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
    totp_step(secret_base32, code, unix_seconds()).is_some()
}

/// The 30-second time step whose code `code` is, among the previous, the current and the next
/// step at `now_seconds` (one step of clock skew either way).
pub fn totp_step(secret_base32: &str, code: &str, now_seconds: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp_for(secret_base32)?;
    let current = now_seconds / 30;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * 30).as_bytes().ct_eq(code.as_bytes()).into())
        .map(|step| step as i64)
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The key under which failed logins are counted: the client's address, an IPv6 client by its
/// /64 (one subscriber's network), anything else as it is.
pub fn throttle_key(client: &Client) -> String {
    match client.0.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(address)) => match address.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let segments = address.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
            }
        },
        Ok(address) => address.to_string(),
        Err(_) => client.0.clone(),
    }
}

/// The current one-time code, for tests and the demo's printed instructions.
pub fn current_totp(secret_base32: &str) -> Option<String> {
    totp_for(secret_base32)?.generate_current().ok()
}

impl App {
    /// Resolves the actor for a stored user: its role, unit, region path and enterprise. The
    /// credential is `Local` (code on the server: the command line, the demo loader, tests); the
    /// web layer says how a request's caller proved who it is.
    pub async fn actor_for_user(&self, user: &UserRow) -> Result<Actor> {
        let role = Role::parse(&user.role).ok_or_else(|| AppError::Internal(format!("user {} has unknown role", user.id)))?;
        let (unit, region_path) = self.store.unit_with_region_path(user.unit_id).await?;
        Ok(Actor {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role,
            unit_id: unit.id,
            unit_name: unit.name,
            region_path,
            enterprise_id: unit.enterprise_id,
            credential: Credential::Local,
            must_change_password: user.must_change_password,
        })
    }

    /// How long a client must wait after `failures` failed logins to one account.
    fn login_back_off_ms(&self, failures: i64) -> i64 {
        let free = self.security.lock_after_failures.max(1);
        if failures < free {
            return 0;
        }
        let doublings = (failures - free).min(30) as u32;
        (1_000i64 << doublings).min(self.security.lock_minutes.max(1) * 60_000)
    }

    /// Checks a user name, password and (where enrolled or required) one-time code. Failures are
    /// counted per account and client, each one past `lock_after_failures` doubling how long that
    /// client must wait before trying that account again; every attempt is audited. The actor
    /// returned carries `Credential::Session` with whether a second factor was checked; the
    /// caller turns it into a session or a token.
    pub async fn login(&self, username: &str, password: &str, totp_code: Option<&str>, client: &Client) -> std::result::Result<Actor, LoginError> {
        let username = username.trim().to_ascii_lowercase();
        let user = self.store.user_by_username(&username).await.map_err(|_| LoginError::Unavailable)?;
        let Some(user) = user else {
            // Spend the same Argon2 work as for a real account, so timing does not reveal which
            // user names exist. What was typed is not recorded: people type passwords into the
            // user-name field.
            let _ = hash_password(password).await;
            let event = audit_event(None, client, "auth.login", "username:unknown".into(), Outcome::Failure, serde_json::json!({"reason": "unknown_user"}));
            let _ = self.store.record_audit(&event).await;
            return Err(LoginError::InvalidCredentials);
        };
        let key = throttle_key(client);
        let actor_stub = Actor {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: Role::parse(&user.role).unwrap_or(Role::Unassigned),
            unit_id: user.unit_id,
            unit_name: String::new(),
            region_path: None,
            enterprise_id: None,
            credential: Credential::Local,
            must_change_password: user.must_change_password,
        };
        let fail = |reason: &str| {
            audit_event(Some(&actor_stub), client, "auth.login", format!("user:{}", user.id), Outcome::Failure, serde_json::json!({"reason": reason}))
        };
        let claimed = self.store.claim_login_attempt(user.id, &key, |attempts| self.login_back_off_ms(attempts)).await.map_err(|_| LoginError::Unavailable)?;
        if !claimed || user.disabled {
            let _ = verify_password(password, &user.password_hash).await;
            let _ = self.store.record_audit(&fail(if user.disabled { "disabled" } else { "client_waiting" })).await;
            return Err(LoginError::InvalidCredentials);
        }
        if !verify_password(password, &user.password_hash).await {
            self.store.record_failed_login(user.id, &fail("wrong_password")).await.map_err(|_| LoginError::Unavailable)?;
            return Err(LoginError::InvalidCredentials);
        }
        let role = Role::parse(&user.role).ok_or(LoginError::Unavailable)?;
        let second_factor = match (&user.totp_secret, totp_code.map(str::trim).filter(|c| !c.is_empty())) {
            (Some(_), None) => return Err(LoginError::SecondFactorRequired),
            (None, _) if role.is_administrator() => {
                // An administrator without a second factor cannot log in at all.
                let _ = self.store.record_audit(&fail("second_factor_not_enrolled")).await;
                return Err(LoginError::Unavailable);
            }
            (None, _) => false,
            (Some(secret), Some(code)) => {
                let step = totp_step(secret, code, unix_seconds());
                // A code is good once: the step is claimed atomically, so a code seen by
                // someone else (over a shoulder, in a proxy log) cannot be used again.
                let fresh = match step {
                    Some(step) => self.store.claim_totp_step(user.id, step).await.map_err(|_| LoginError::Unavailable)?,
                    None => false,
                };
                if !fresh {
                    let reason = if step.is_some() { "second_factor_replayed" } else { "wrong_second_factor" };
                    self.store.record_failed_login(user.id, &fail(reason)).await.map_err(|_| LoginError::Unavailable)?;
                    return Err(LoginError::SecondFactorInvalid);
                }
                true
            }
        };
        let mut actor = self.actor_for_user(&user).await.map_err(|_| LoginError::Unavailable)?;
        actor.credential = Credential::Session { second_factor };
        let event = audit_event(Some(&actor), client, "auth.login", format!("user:{}", user.id), Outcome::Success, serde_json::json!({}));
        self.store.record_successful_login(user.id, &key, &event).await.map_err(|_| LoginError::Unavailable)?;
        Ok(actor)
    }

    /// Logs in and issues a bearer token (the API's login). An account whose password is a
    /// temporary one gets no token: it must change the password first, on its profile page.
    pub async fn login_for_token(
        &self,
        username: &str,
        password: &str,
        totp_code: Option<&str>,
        token_name: &str,
        client: &Client,
    ) -> std::result::Result<(String, i64), TokenLoginError> {
        let actor = self.login(username, password, totp_code, client).await.map_err(TokenLoginError::Login)?;
        if actor.must_change_password {
            return Err(TokenLoginError::PasswordChangeRequired);
        }
        self.store_new_token(&actor, token_name, client).await.map_err(TokenLoginError::App)
    }

    /// Checks that the caller of an open session is still the account's holder (its password),
    /// before a sensitive act (`action`). Wrong answers count against a back-off like the
    /// login's (a separate one for re-authentication), so a stolen session cannot be used to
    /// guess the password without limit; each is audited.
    pub(crate) async fn reauthenticate(&self, actor: &Actor, client: &Client, user: &UserRow, password: &str, action: &str) -> Result<()> {
        let key = format!("reauth:{}", throttle_key(client));
        let claimed = self.store.claim_login_attempt(user.id, &key, |attempts| self.login_back_off_ms(attempts)).await?;
        if !claimed || !verify_password(password, &user.password_hash).await {
            let reason = if claimed { "wrong_password" } else { "waiting" };
            let event = audit_event(Some(actor), client, action, format!("user:{}", user.id), Outcome::Failure, serde_json::json!({"reason": reason}));
            self.store.record_failed_login(user.id, &event).await?;
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "password",
                message: domain::message!("auth.wrong_password_after_repeated_failures_wait"),
            }]));
        }
        // The password was right: the re-authentication count starts over.
        self.store.forget_login_attempts(user.id, &key).await?;
        Ok(())
    }

    /// Issues a bearer token to the caller, who proves it is still the account's holder by its
    /// password and, where enrolled, a fresh one-time code: a session left open is not enough.
    /// Returns the token and its expiry (epoch ms).
    pub async fn issue_token(&self, actor: &Actor, password: &str, totp_code: Option<&str>, name: &str, client: &Client) -> Result<(String, i64)> {
        let user = self.store.user(actor.user_id).await?;
        if user.must_change_password {
            return Err(AppError::Forbidden);
        }
        self.reauthenticate(actor, client, &user, password, "auth.token_issue").await?;
        if let Some(secret) = &user.totp_secret {
            let step = totp_code.and_then(|code| totp_step(secret, code, unix_seconds()));
            let fresh = match step {
                Some(step) => self.store.claim_totp_step(user.id, step).await?,
                None => false,
            };
            if !fresh {
                // Counted like a wrong password (an attempt claimed), so codes cannot be guessed
                // through an open session.
                let key = format!("reauth:{}", throttle_key(client));
                let _ = self.store.claim_login_attempt(user.id, &key, |attempts| self.login_back_off_ms(attempts)).await?;
                let event = audit_event(
                    Some(actor),
                    client,
                    "auth.token_issue",
                    format!("user:{}", user.id),
                    Outcome::Failure,
                    serde_json::json!({"reason": "wrong_second_factor"}),
                );
                self.store.record_failed_login(user.id, &event).await?;
                return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                    field: "totp",
                    message: domain::message!("auth.wrong_already_used_one_time_code"),
                }]));
            }
        }
        self.store_new_token(actor, name, client).await
    }

    async fn store_new_token(&self, actor: &Actor, name: &str, client: &Client) -> Result<(String, i64)> {
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
        if user.disabled || user.must_change_password {
            return Ok(None);
        }
        let mut actor = self.actor_for_user(&user).await?;
        actor.credential = Credential::Token;
        Ok(Some(actor))
    }
}

/// Why the API's login gave no token.
#[derive(Debug, thiserror::Error)]
pub enum TokenLoginError {
    #[error("{0}")]
    Login(LoginError),
    #[error("change the temporary password on the profile page first")]
    PasswordChangeRequired,
    #[error("{0}")]
    App(AppError),
}

impl TokenLoginError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> domain::message::Message {
        match self {
            Self::Login(error) => error.message(),
            Self::PasswordChangeRequired => domain::message!("auth.token_login_error.password_change_required"),
            Self::App(error) => domain::message!("common.internal", detail = error),
        }
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
