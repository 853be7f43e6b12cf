//! The inbox in the JSON API: `GET /api/v1/inbox` (what waits on the caller and a page of its
//! messages) and `POST /api/v1/inbox/read` (marking messages read).

use domain::message::Lang;

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inbox)).routes(routes!(mark_read))
}

/// What waits on the caller, by kind with counts and links, and a page of its messages.
#[derive(Serialize, ToSchema)]
pub struct InboxDocument {
    pub waiting: Vec<InboxWaiting>,
    pub messages: Vec<InboxMessageItem>,
    /// All the caller's messages (or the unread ones, with `unread=true`).
    pub total: i64,
    pub unread: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Serialize, ToSchema)]
pub struct InboxWaiting {
    /// `dangers_to_confirm`, `dangers_to_accept`, `dangers_to_rectify`, `alarms_to_acknowledge`,
    /// `reports_to_review`, `overdue_assignments`, `tips_to_accept` or `verifications`.
    pub kind: String,
    pub count: i64,
    /// The page that lists them.
    pub link: String,
}

#[derive(Serialize, ToSchema)]
pub struct InboxMessageItem {
    pub id: i64,
    pub urgent: bool,
    pub read: bool,
    /// When it was sent, Unix milliseconds.
    pub created_at: i64,
    pub text_zh: String,
    pub text_en: String,
    /// The page it concerns.
    pub link: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only the unread messages.
    #[serde(default)]
    pub unread: bool,
    /// The page, from 1 (default 1).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Messages per page, 1 to 200 (50 when not given).
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// The caller's inbox (待办与消息).
#[utoipa::path(
    get,
    path = "/api/v1/inbox",
    tag = "inbox",
    params(InboxQuery),
    responses((status = 200, body = InboxDocument), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn inbox(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<InboxQuery>) -> Result<Json<InboxDocument>, ApiError> {
    let page = bounded_param("page", query.page, 1..=1_000_000, 1)?;
    let per_page = bounded_param("per_page", query.per_page, 1..=app::inbox::MESSAGES_PER_PAGE_MAX, 50)?;
    let inbox = state.app.inbox(&caller.actor, &caller.client, query.unread, page, per_page).await?;
    Ok(Json(InboxDocument {
        waiting: inbox.waiting.into_iter().map(|w| InboxWaiting { kind: w.kind.to_owned(), count: w.count as i64, link: w.link }).collect(),
        messages: inbox
            .messages
            .items
            .into_iter()
            .map(|m| InboxMessageItem {
                id: m.id,
                urgent: m.urgent,
                read: m.read,
                created_at: m.created_at,
                text_zh: m.message.render(Lang::Zh),
                text_en: m.message.render(Lang::En),
                link: m.link,
            })
            .collect(),
        total: inbox.messages.total,
        unread: inbox.messages.unread,
        page: inbox.messages.page,
        per_page: inbox.messages.per_page,
    }))
}

/// Which messages to mark read: every one with `all: true`, else those named in `ids` (none
/// named, none marked).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// At most 200; another person's message is never touched.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub ids: Option<Vec<i64>>,
    #[serde(default)]
    pub all: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many messages changed from unread to read (another person's are never touched).
    pub marked: u64,
}

/// Marks the caller's messages read.
#[utoipa::path(
    post,
    path = "/api/v1/inbox/read",
    tag = "inbox",
    request_body = MarkRead,
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn mark_read(State(state): State<AppState>, caller: ApiCaller, Json(body): Json<MarkRead>) -> Result<Json<MarkedRead>, ApiError> {
    let ids = if body.all { None } else { Some(body.ids.unwrap_or_default()) };
    let marked = state.app.mark_messages_read(&caller.actor, ids.as_deref()).await?;
    Ok(Json(MarkedRead { marked }))
}
