//! The inbox pages: 待办与消息 (what waits on the caller, with counts and links, and its messages,
//! read or unread, a page at a time), opening a message (which marks it read), marking all read,
//! and the channels on which the caller wants to be told beyond the page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::inbox::Channel;
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, chrome, error_page, render};

/// Messages on one page of the inbox.
const MESSAGES_PER_PAGE: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/read", post(mark_all_read))
        .route("/inbox/messages/{id}/open", post(open_message))
        .route("/inbox/channels", get(channels_page).post(channels_submit))
}

pub(crate) struct MessageLine {
    id: i64,
    urgent: bool,
    read: bool,
    at: String,
    text: String,
}

#[derive(Template)]
#[template(path = "inbox/inbox.html")]
struct InboxPage {
    c: Chrome,
    /// (what, how many, link)
    waiting: Vec<(String, usize, String)>,
    messages: Vec<MessageLine>,
    unread_only: bool,
    total: i64,
    unread: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    #[serde(default)]
    unread: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

async fn inbox_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<InboxQuery>) -> Response {
    let unread_only = query.unread.as_deref().is_some_and(|v| v == "1" || v == "true");
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let inbox = match state.app.inbox(&user.actor, &user.client, unread_only, page, MESSAGES_PER_PAGE).await {
        Ok(inbox) => inbox,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/inbox", Some(&user.actor)).await;
    let waiting = inbox.waiting.into_iter().map(|w| (c.t.get(&format!("inbox.waiting.{}", w.kind)).to_owned(), w.count, w.link)).collect();
    let messages = inbox
        .messages
        .items
        .iter()
        .map(|m| MessageLine { id: m.id, urgent: m.urgent, read: m.read, at: domain::time::local_text(m.created_at), text: c.t.render(&m.message) })
        .collect();
    let total = inbox.messages.total;
    let pages = ((total + MESSAGES_PER_PAGE - 1) / MESSAGES_PER_PAGE).max(1);
    let page_url = |page: i64| format!("/inbox?{}page={page}", if unread_only { "unread=1&" } else { "" });
    let (prev_url, next_url) = ((page > 1).then(|| page_url((page - 1).min(pages))), (page < pages).then(|| page_url(page + 1)));
    render(&InboxPage { c, waiting, messages, unread_only, total, unread: inbox.messages.unread, page, pages, prev_url, next_url })
}

async fn mark_all_read(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    match state.app.mark_messages_read(&user.actor, None).await {
        Ok(_) => Redirect::to("/inbox").into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// Marks one of the caller's messages read and goes where it points. Another person's message
/// (or none) goes back to the inbox, telling nothing.
async fn open_message(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let link = match state.app.open_message(&user.actor, id).await {
        Ok(link) => link,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    Redirect::to(link.as_deref().unwrap_or("/inbox")).into_response()
}

pub(crate) struct ChannelLine {
    key: &'static str,
    label: String,
    hint: String,
    address: String,
    urgent_only: bool,
    lang: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox/channels.html")]
struct ChannelsPage {
    c: Chrome,
    lines: Vec<ChannelLine>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn channels_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<SavedQuery>) -> Response {
    let (chosen, offered) = match state.app.channels(&user.actor).await {
        Ok(channels) => channels,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/inbox/channels", Some(&user.actor)).await;
    let lang = if c.t.is_en() { "en" } else { "zh-CN" };
    let lines = offered
        .into_iter()
        .map(|channel| {
            let choice = chosen.iter().find(|choice| choice.channel == channel);
            channel_line(
                &c,
                channel,
                choice.map(|choice| channel.shown_address(&choice.address)).unwrap_or_default(),
                choice.is_some_and(|choice| choice.urgent_only),
                choice.map_or(lang, |choice| choice.lang.as_str()),
                None,
            )
        })
        .collect();
    render(&ChannelsPage { c, lines, saved: query.saved.is_some() })
}

fn channel_line(c: &Chrome, channel: Channel, address: String, urgent_only: bool, lang: &str, error: Option<String>) -> ChannelLine {
    ChannelLine {
        key: channel.key(),
        label: c.t.get(&format!("inbox.channel.{}", channel.key())).to_owned(),
        hint: c.t.get(&format!("inbox.channel_hint.{}", channel.key())).to_owned(),
        address,
        urgent_only,
        lang: lang.to_owned(),
        error,
    }
}

/// The channels form: for each channel `<key>` (its address; empty turns it off),
/// `<key>_urgent` (a checkbox) and `<key>_lang`. A robot key shown masked (`…1234`) and sent
/// back unchanged keeps the key already saved.
async fn channels_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<Vec<(String, String)>>) -> Response {
    let field = |name: String| form.iter().find(|(key, _)| *key == name).map(|(_, value)| value.trim().to_owned());
    let (chosen, offered) = match state.app.channels(&user.actor).await {
        Ok(channels) => channels,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let mut choices = Vec::new();
    for channel in &offered {
        let key = channel.key();
        let Some(mut address) = field(key.to_owned()).filter(|a| !a.is_empty()) else { continue };
        if let Some(saved) = chosen.iter().find(|choice| choice.channel == *channel)
            && address == channel.shown_address(&saved.address)
        {
            address = saved.address.clone();
        }
        choices.push(app::inbox::ChannelChoice {
            channel: *channel,
            address,
            urgent_only: field(format!("{key}_urgent")).is_some(),
            lang: field(format!("{key}_lang")).unwrap_or_else(|| "zh-CN".into()),
        });
    }
    match state.app.set_channels(&user.actor, &user.client, &choices).await {
        Ok(()) => Redirect::to("/inbox/channels?saved=1").into_response(),
        Err(app::AppError::Invalid(problems)) => {
            let c = chrome(&state, &headers, &user.session, "/inbox/channels", Some(&user.actor)).await;
            let lines = offered
                .into_iter()
                .map(|channel| {
                    let key = channel.key();
                    let error = problems.iter().find(|p| p.field == key).map(|p| c.t.render(&p.message));
                    channel_line(
                        &c,
                        channel,
                        field(key.to_owned()).unwrap_or_default(),
                        field(format!("{key}_urgent")).is_some(),
                        &field(format!("{key}_lang")).unwrap_or_else(|| "zh-CN".into()),
                        error,
                    )
                })
                .collect();
            let mut response = render(&ChannelsPage { c, lines, saved: false });
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
