//! The inbox page (待办与消息): what waits on the caller, with counts and links, and the notices
//! addressed to its unit.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/inbox", get(inbox_page))
}

#[derive(Template)]
#[template(path = "inbox/inbox.html")]
struct InboxPage {
    c: Chrome,
    /// (what, how many, link)
    waiting: Vec<(String, usize, String)>,
    /// (day, source, text, link)
    notices: Vec<(String, String, String, String)>,
}

async fn inbox_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let inbox = match state.app.inbox(&user.actor, &user.client).await {
        Ok(inbox) => inbox,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/inbox", Some(&user.actor)).await;
    let waiting = inbox.waiting.into_iter().map(|w| (c.t.get(&format!("inbox.waiting.{}", w.kind)).to_owned(), w.count, w.link)).collect();
    let notices =
        inbox.notices.into_iter().map(|n| (n.on, c.t.get(&format!("inbox.source.{}", n.source)).to_owned(), c.t.render(&n.message), n.link)).collect();
    render(&InboxPage { c, waiting, notices })
}
