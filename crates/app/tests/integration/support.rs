//! What the modules share: the demo's people as actors.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::{Actor, App};

/// The demo account `name` as the use cases see it.
pub async fn actor(app: &App, name: &str) -> Actor {
    app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap()
}
