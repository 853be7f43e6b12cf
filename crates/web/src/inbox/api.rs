//! The inbox in the JSON API: `GET /api/v1/inbox`.

use domain::message::Lang;

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inbox))
}

/// What waits on the caller, by kind with counts and links, and the notices addressed to its unit.
#[derive(Serialize, ToSchema)]
pub struct InboxDocument {
    pub waiting: Vec<InboxWaiting>,
    pub notices: Vec<InboxNoticeItem>,
}

#[derive(Serialize, ToSchema)]
pub struct InboxWaiting {
    /// `dangers_to_confirm`, `dangers_to_accept`, `dangers_to_rectify`, `reports_to_review`,
    /// `overdue_assignments`, `tips_to_accept` or `verifications`.
    pub kind: String,
    pub count: i64,
    /// The page that lists them.
    pub link: String,
}

#[derive(Serialize, ToSchema)]
pub struct InboxNoticeItem {
    /// `danger` or `work_plan`.
    pub source: String,
    /// The day it concerns, `YYYY-MM-DD`.
    pub on: String,
    pub text_zh: String,
    pub text_en: String,
    pub link: String,
}

/// The caller's inbox (待办与消息).
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", responses((status = 200, body = InboxDocument), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn inbox(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<InboxDocument>, ApiError> {
    let inbox = state.app.inbox(&caller.actor, &caller.client).await?;
    Ok(Json(InboxDocument {
        waiting: inbox.waiting.into_iter().map(|w| InboxWaiting { kind: w.kind.to_owned(), count: w.count as i64, link: w.link }).collect(),
        notices: inbox
            .notices
            .into_iter()
            .map(|n| InboxNoticeItem {
                source: n.source.to_owned(),
                on: n.on,
                text_zh: n.message.render(Lang::Zh),
                text_en: n.message.render(Lang::En),
                link: n.link,
            })
            .collect(),
    }))
}
