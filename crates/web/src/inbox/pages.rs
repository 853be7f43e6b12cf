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
        .route("/inbox/channels/verify", post(verify_channel))
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
    /// Chosen and saved: verified, or waiting for its code.
    saved: Option<bool>,
    /// A problem with the code typed for it.
    code_error: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox/channels.html")]
struct ChannelsPage {
    c: Chrome,
    lines: Vec<ChannelLine>,
    saved: bool,
    verified: bool,
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    verified: Option<String>,
}

/// The page's lines: one per channel offered, with what was saved (or, after a refusal, what was
/// typed and its problems).
fn channel_lines(
    c: &Chrome,
    offered: &[Channel],
    chosen: &[app::inbox::ChosenChannel],
    typed: Option<&[(String, String)]>,
    problems: &[domain::enterprises::FieldError],
    code_problem: Option<(Channel, String)>,
) -> Vec<ChannelLine> {
    let default_lang = if c.t.is_en() { "en" } else { "zh-CN" };
    offered
        .iter()
        .map(|&channel| {
            let key = channel.key();
            let saved = chosen.iter().find(|chosen| chosen.choice.channel == channel);
            let field = |name: String| typed.and_then(|form| form.iter().find(|(k, _)| *k == name)).map(|(_, value)| value.trim().to_owned());
            let (address, urgent_only, lang) = match typed {
                Some(_) => (field(key.to_owned()).unwrap_or_default(), field(format!("{key}_urgent")).is_some(), field(format!("{key}_lang"))),
                None => (
                    saved.map(|s| channel.shown_address(&s.choice.address)).unwrap_or_default(),
                    saved.is_some_and(|s| s.choice.urgent_only),
                    saved.map(|s| s.choice.lang.clone()),
                ),
            };
            ChannelLine {
                key,
                label: channel.label(c.t.is_en()).to_owned(),
                hint: c.t.get(&format!("inbox.channel_hint.{key}")).to_owned(),
                address,
                urgent_only,
                lang: lang.unwrap_or_else(|| default_lang.to_owned()),
                error: problems.iter().find(|p| p.field == key).map(|p| c.t.render(&p.message)),
                saved: saved.map(|s| s.verified),
                code_error: code_problem.as_ref().filter(|(ch, _)| *ch == channel).map(|(_, text)| text.clone()),
            }
        })
        .collect()
}

async fn channels_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<SavedQuery>) -> Response {
    let (chosen, offered) = match state.app.channels(&user.actor).await {
        Ok(channels) => channels,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/inbox/channels", Some(&user.actor)).await;
    let lines = channel_lines(&c, &offered, &chosen, None, &[], None);
    render(&ChannelsPage { c, lines, saved: query.saved.is_some(), verified: query.verified.is_some() })
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
        if let Some(saved) = chosen.iter().find(|chosen| chosen.choice.channel == *channel)
            && address == channel.shown_address(&saved.choice.address)
        {
            address = saved.choice.address.clone();
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
            let lines = channel_lines(&c, &offered, &chosen, Some(&form), &problems, None);
            let mut response = render(&ChannelsPage { c, lines, saved: false, verified: false });
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    channel: String,
    code: String,
}

/// The code sent to a channel, typed back: right, the channel is verified; wrong or late, the
/// page says so beside that channel.
async fn verify_channel(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<CodeForm>) -> Response {
    let Some(channel) = Channel::parse(&form.channel) else {
        return error_page(&state, &headers, &user.session, Some(&user.actor), app::AppError::NotFound.into()).await;
    };
    match state.app.verify_channel(&user.actor, &user.client, channel, &form.code).await {
        Ok(()) => Redirect::to("/inbox/channels?verified=1").into_response(),
        Err(app::AppError::Invalid(problems)) => {
            let (chosen, offered) = match state.app.channels(&user.actor).await {
                Ok(channels) => channels,
                Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
            };
            let c = chrome(&state, &headers, &user.session, "/inbox/channels", Some(&user.actor)).await;
            let problem = problems.first().map(|p| (channel, c.t.render(&p.message)));
            let lines = channel_lines(&c, &offered, &chosen, None, &[], problem);
            let mut response = render(&ChannelsPage { c, lines, saved: false, verified: false });
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
