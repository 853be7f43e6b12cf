//! Web sessions as the application keeps them: the rows the web layer's session store reads and
//! writes (keyed by a hash of the session id, never the id itself), the facts a new session
//! records of its user, the per-user limit, and the record of a logout. The cookie, its expiry and
//! the CSRF token are the web layer's.

use domain::audit::Outcome;
/// A stored login session, as the session layer keeps it.
pub use store::SessionRow;
use store::UserRow;

use crate::{Actor, App, Client, Result, audit_event};

impl App {
    /// Stores a new session; false when its key is taken (the caller draws another id).
    pub async fn create_session(&self, row: &SessionRow) -> Result<bool> {
        Ok(self.store.create_session(row).await?)
    }

    /// Writes a session back; false when it no longer exists (ended meanwhile: it stays ended).
    pub async fn save_session(&self, row: &SessionRow) -> Result<bool> {
        Ok(self.store.save_session(row).await?)
    }

    /// A live session by its key.
    pub async fn load_session(&self, key: &str) -> Result<Option<SessionRow>> {
        Ok(self.store.load_session(key, store::now_ms()).await?)
    }

    pub async fn delete_session(&self, key: &str) -> Result<()> {
        Ok(self.store.delete_session(key).await?)
    }

    /// The account behind a session, or `None` when it is gone.
    pub async fn session_user(&self, user_id: i64) -> Result<Option<UserRow>> {
        match self.store.user(user_id).await {
            Ok(user) => Ok(Some(user)),
            Err(store::StoreError::NotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The caller's own live sessions, newest first.
    pub async fn own_sessions(&self, actor: &Actor) -> Result<Vec<SessionRow>> {
        Ok(self.store.sessions_of_user(actor.user_id, store::now_ms()).await?)
    }

    /// The caller's own account, for the profile page.
    pub async fn own_account(&self, actor: &Actor) -> Result<UserRow> {
        Ok(self.store.user(actor.user_id).await?)
    }

    /// When the user's password last changed: a session records it, and a later change ends it.
    pub async fn password_epoch(&self, user_id: i64) -> Result<i64> {
        Ok(self.store.user(user_id).await?.password_changed_at)
    }

    /// Ends the user's oldest sessions so that, with the one being opened, at most
    /// `max_sessions_per_user` remain.
    pub async fn make_room_for_session(&self, user_id: i64) -> Result<()> {
        let keep = self.security.max_sessions_per_user.saturating_sub(1);
        for old in self.store.sessions_of_user(user_id, store::now_ms()).await?.iter().skip(keep) {
            self.store.delete_session(&old.id).await?;
        }
        Ok(())
    }

    /// Records that the user of a session logged out (the session itself is ended by the caller).
    pub async fn record_logout(&self, user_id: i64, client: &Client) -> Result<()> {
        let Some(user) = self.session_user(user_id).await? else { return Ok(()) };
        let actor: Actor = self.actor_for_user(&user).await?;
        let event = audit_event(Some(&actor), client, "auth.logout", format!("user:{user_id}"), Outcome::Success, serde_json::json!({}));
        self.store.record_audit(&event).await?;
        Ok(())
    }
}
