//! Accounts: administration by the separated administrators (三权分立: the system administrator
//! manages accounts, the security administrator manages rights, lockouts and second factors) and
//! each user's own profile (password, second factor, sessions, API tokens).

use domain::audit::Outcome;
use domain::message::Message;
use domain::role::Role;
use domain::unit::UnitKind;
use serde::Deserialize;
use store::{AccountChange, ApiTokenRow, NewUser, UserListPage, UserRow};

use crate::auth::{check_new_password, hash_password, new_totp_secret, verify_totp};
use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

pub const USERNAME_MAX_CHARS: usize = 32;
pub const DISPLAY_NAME_MAX_CHARS: usize = 64;
pub const ACCOUNT_PAGE_MAX: i64 = 200;

/// A new account as the system administrator enters it. It carries no role: granting one is
/// the security administrator's act (三权分立), so the account starts as `Role::Unassigned`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub password: String,
}

/// What an administrator does to someone else's account.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountOperation {
    Disable,
    Enable,
    /// Sets a temporary password that the administrator hands over.
    ResetPassword(String),
    GrantRole(Role),
    Unlock,
    /// Issues a new second-factor secret, shown once to the administrator to hand over.
    IssueSecondFactor,
}

impl AccountOperation {
    fn required_action(&self) -> Action<'static> {
        match self {
            Self::Disable | Self::Enable | Self::ResetPassword(_) => Action::ManageAccounts,
            Self::GrantRole(_) | Self::Unlock | Self::IssueSecondFactor => Action::ManageAccessRights,
        }
    }

    fn audit_action(&self) -> &'static str {
        match self {
            Self::Disable => "user.disable",
            Self::Enable => "user.enable",
            Self::ResetPassword(_) => "user.password_reset",
            Self::GrantRole(_) => "user.role_grant",
            Self::Unlock => "user.unlock",
            Self::IssueSecondFactor => "user.totp_issue",
        }
    }
}

/// A user name: 3–32 characters of ASCII letters, digits, `.`, `_` and `-`, starting with a
/// letter, compared in lower case.
pub fn check_username(username: &str) -> std::result::Result<String, Message> {
    let username = username.trim().to_ascii_lowercase();
    let valid = (3..=USERNAME_MAX_CHARS).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if valid { Ok(username) } else { Err(domain::message!("accounts.user_name_has_3_letters_digits", username_max_chars = USERNAME_MAX_CHARS)) }
}

fn invalid(field: &'static str, message: Message) -> AppError {
    AppError::Invalid(vec![domain::enterprises::FieldError { field, message }])
}

impl App {
    async fn require(&self, actor: &Actor, client: &Client, action: Action<'_>, audit_action: &str, target: String) -> Result<()> {
        if policy::allows(actor, action) { Ok(()) } else { Err(self.denied(actor, client, audit_action, target).await) }
    }

    /// Accounts matching `query`, for the administrators.
    pub async fn list_accounts(&self, actor: &Actor, client: &Client, query: Option<&str>, page: i64, per_page: i64) -> Result<UserListPage> {
        self.require(actor, client, Action::ListAccounts, "user.list", "users".into()).await?;
        let per_page = per_page.clamp(1, ACCOUNT_PAGE_MAX);
        let offset = (page.max(1) - 1).saturating_mul(per_page);
        Ok(self.store.list_users(query.map(str::trim).filter(|q| !q.is_empty()), per_page, offset).await?)
    }

    /// One account, for the administrators.
    pub async fn account(&self, actor: &Actor, client: &Client, user_id: i64) -> Result<(UserRow, store::UnitRow)> {
        self.require(actor, client, Action::ListAccounts, "user.read", format!("user:{user_id}")).await?;
        let user = self.store.user(user_id).await?;
        let unit = self.store.unit(user.unit_id).await?;
        Ok((user, unit))
    }

    /// Creates an account (system administrator) without a role; the security administrator
    /// grants one. The password is a temporary one, to be changed at the first login.
    pub async fn create_account(&self, actor: &Actor, client: &Client, account: &NewAccount) -> Result<i64> {
        self.require(actor, client, Action::ManageAccounts, "user.create", "users".into()).await?;
        let mut problems = Vec::new();
        let username = check_username(&account.username).map_err(|m| problems.push(("username", m))).ok();
        let display_name = account.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > DISPLAY_NAME_MAX_CHARS {
            problems.push(("display_name", domain::message!("accounts.name_required_most_characters", display_name_max_chars = DISPLAY_NAME_MAX_CHARS)));
        }
        if self.store.unit(account.unit_id).await.is_err() {
            problems.push(("unit_id", domain::message!("accounts.no_such_unit")));
        }
        if let Some(username) = &username
            && let Err(message) = check_new_password(username, &account.password)
        {
            problems.push(("password", message));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems.into_iter().map(|(field, message)| domain::enterprises::FieldError { field, message }).collect()));
        }
        let Some(username) = username else {
            return Err(AppError::Internal("validated account lost its fields".into()));
        };
        let role = Role::Unassigned;
        let user = NewUser {
            username: username.clone(),
            display_name,
            password_hash: hash_password(&account.password).await?,
            role: role.key().into(),
            unit_id: account.unit_id,
            totp_secret: None,
            must_change_password: true,
        };
        let event = audit_event(
            Some(actor),
            client,
            "user.create",
            String::new(),
            Outcome::Success,
            serde_json::json!({"username": username, "role": role.key(), "unit_id": account.unit_id}),
        );
        self.store.create_user(&user, &event).await.map_err(|error| match error {
            store::StoreError::Conflict(_) => invalid("username", domain::message!("accounts.user_name_taken")),
            other => other.into(),
        })
    }

    /// Applies an administrator's operation to another account. Returns the new second-factor
    /// secret for `IssueSecondFactor`.
    pub async fn administer_account(&self, actor: &Actor, client: &Client, user_id: i64, operation: AccountOperation) -> Result<Option<String>> {
        let target = format!("user:{user_id}");
        self.require(actor, client, operation.required_action(), operation.audit_action(), target.clone()).await?;
        if user_id == actor.user_id {
            return Err(AppError::BadRequest(domain::message!("accounts.you_cannot_do_your_own_account")));
        }
        let user = self.store.user(user_id).await?;
        let current_role = Role::parse(&user.role);
        let mut secret = None;
        let (change, details) = match &operation {
            AccountOperation::Disable => (AccountChange::Disabled(true), serde_json::json!({})),
            AccountOperation::Enable => (AccountChange::Disabled(false), serde_json::json!({})),
            AccountOperation::ResetPassword(password) => {
                check_new_password(&user.username, password).map_err(|m| invalid("password", m))?;
                (AccountChange::Password { password_hash: hash_password(password).await?, temporary: true }, serde_json::json!({}))
            }
            AccountOperation::GrantRole(role) => {
                let unit = self.store.unit(user.unit_id).await?;
                if !UnitKind::parse(&unit.kind).is_ok_and(|kind| role.fits_unit(kind)) {
                    return Err(invalid(
                        "role",
                        domain::message!("accounts.role_does_not_fit_unit", label_zh = role.label_zh(), label_en = role.label_en(), name = unit.name),
                    ));
                }
                if role.is_administrator() && user.totp_secret.is_none() {
                    // Administrators cannot log in without a second factor; issue one with the grant.
                    secret = Some(new_totp_secret());
                }
                (AccountChange::Role(role.key().into()), serde_json::json!({"from": user.role, "to": role.key()}))
            }
            AccountOperation::Unlock => (AccountChange::Unlock, serde_json::json!({})),
            AccountOperation::IssueSecondFactor => {
                secret = Some(new_totp_secret());
                (AccountChange::TotpSecret(secret.clone()), serde_json::json!({}))
            }
        };
        // The platform must keep at least one enabled holder of each administrator role.
        let removes_administrator = match &operation {
            AccountOperation::Disable => true,
            AccountOperation::GrantRole(role) => Some(*role) != current_role,
            _ => false,
        };
        if removes_administrator
            && let Some(role) = current_role.filter(|r| r.is_administrator())
            && !user.disabled
            && self.store.count_enabled_users_with_role(role.key()).await? <= 1
        {
            return Err(AppError::Conflict(domain::message!("accounts.last", label_zh = role.label_zh(), label_en = role.label_en())));
        }
        let event = audit_event(Some(actor), client, operation.audit_action(), target, Outcome::Success, details);
        self.store.change_account(user_id, &change, None, &event).await?;
        if let (AccountOperation::GrantRole(_), Some(secret)) = (&operation, &secret) {
            let event =
                audit_event(Some(actor), client, "user.totp_issue", format!("user:{user_id}"), Outcome::Success, serde_json::json!({"with": "role_grant"}));
            self.store.change_account(user_id, &AccountChange::TotpSecret(Some(secret.clone())), None, &event).await?;
        }
        Ok(secret)
    }

    /// Changes the caller's own password after checking the current one. Every other session of
    /// the user ends; `own_session` (the caller's, by its stored key) survives.
    pub async fn change_own_password(&self, actor: &Actor, client: &Client, current: &str, new: &str, own_session: Option<&str>) -> Result<UserRow> {
        let user = self.store.user(actor.user_id).await?;
        if self.reauthenticate(actor, client, &user, current, "user.password_change").await.is_err() {
            return Err(invalid("current_password", domain::message!("accounts.current_password_wrong_after_repeated_failures")));
        }
        check_new_password(&user.username, new).map_err(|m| invalid("new_password", m))?;
        if current == new {
            return Err(invalid("new_password", domain::message!("accounts.new_password_must_differ_from_current")));
        }
        let change = AccountChange::Password { password_hash: hash_password(new).await?, temporary: false };
        let event = audit_event(Some(actor), client, "user.password_change", format!("user:{}", user.id), Outcome::Success, serde_json::json!({}));
        Ok(self.store.change_account(user.id, &change, own_session, &event).await?)
    }

    /// Enrols (or replaces) a second factor: `secret` was shown to the user, `code` proves the
    /// authenticator app has it, and the password proves the account's holder is the one asking.
    pub async fn enrol_second_factor(&self, actor: &Actor, client: &Client, password: &str, secret: &str, code: &str) -> Result<()> {
        let user = self.store.user(actor.user_id).await?;
        self.reauthenticate(actor, client, &user, password, "user.totp_enrol").await?;
        if !verify_totp(secret, code) {
            return Err(invalid("code", domain::message!("accounts.wrong_code_check_phone_s_clock")));
        }
        let event = audit_event(Some(actor), client, "user.totp_enrol", format!("user:{}", actor.user_id), Outcome::Success, serde_json::json!({}));
        self.store.change_account(actor.user_id, &AccountChange::TotpSecret(Some(secret.to_owned())), None, &event).await?;
        Ok(())
    }

    /// Removes the caller's own second factor after checking the password; administrators must
    /// keep theirs.
    pub async fn remove_own_second_factor(&self, actor: &Actor, client: &Client, password: &str) -> Result<()> {
        if actor.role.is_administrator() {
            return Err(AppError::BadRequest(domain::message!("accounts.administrators_must_keep_second_factor")));
        }
        let user = self.store.user(actor.user_id).await?;
        self.reauthenticate(actor, client, &user, password, "user.totp_remove").await?;
        let event = audit_event(Some(actor), client, "user.totp_remove", format!("user:{}", actor.user_id), Outcome::Success, serde_json::json!({}));
        self.store.change_account(actor.user_id, &AccountChange::TotpSecret(None), None, &event).await?;
        Ok(())
    }

    pub async fn own_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenRow>> {
        Ok(self.store.api_tokens_of_user(actor.user_id).await?)
    }

    /// Revokes one of the caller's own tokens; someone else's token id answers not found.
    pub async fn revoke_own_token(&self, actor: &Actor, client: &Client, token_id: i64) -> Result<()> {
        let event = audit_event(Some(actor), client, "auth.token_revoke", format!("token:{token_id}"), Outcome::Success, serde_json::json!({}));
        if self.store.revoke_api_token(actor.user_id, token_id, &event).await? { Ok(()) } else { Err(AppError::NotFound) }
    }

    /// Ends one of the caller's own sessions, by its stored key.
    pub async fn end_own_session(&self, actor: &Actor, client: &Client, session_key: &str) -> Result<()> {
        let shown: String = session_key.chars().take(12).collect();
        let event = audit_event(Some(actor), client, "auth.session_end", format!("session:{shown}"), Outcome::Success, serde_json::json!({}));
        if self.store.delete_session_of_user(actor.user_id, session_key, &event).await? { Ok(()) } else { Err(AppError::NotFound) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        assert_eq!(check_username(" Zhang.San ").unwrap(), "zhang.san");
        for bad in ["ab", "1abc", "张三", "a b c", "robert'); drop", &"a".repeat(33)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
