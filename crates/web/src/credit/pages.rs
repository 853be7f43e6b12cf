//! Credit pages: the published list of seriously untrustworthy enterprises and an enterprise's
//! record with its grade, events, listing term and repairs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/credit", get(list_page)).route("/enterprises/{id}/credit", get(record_page))
}

#[derive(Template)]
#[template(path = "credit/list.html")]
struct ListPage {
    c: Chrome,
    /// (enterprise id, name, credit code, region, listed on, until, reason)
    listed: Vec<(i64, String, String, String, String, String, String)>,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let listed = match state.app.credit_list(&user.actor, &user.client).await {
        Ok(listed) => listed,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/credit", Some(&user.actor)).await;
    let english = c.t.is_en();
    let listed = listed
        .into_iter()
        .map(|l| (l.enterprise_id, l.enterprise_name, l.credit_code, l.region_name, l.listed_on, l.listed_until, l.reason.label(english).to_owned()))
        .collect();
    render(&ListPage { c, listed })
}

#[derive(Template)]
#[template(path = "credit/record.html")]
struct RecordPage {
    c: Chrome,
    enterprise_id: i64,
    enterprise_name: String,
    grade: String,
    score: i32,
    r: app::credit::CreditView,
    reason: String,
    /// (date, kind, detail)
    events: Vec<(String, String, String)>,
}

async fn record_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let (record, enterprise) =
        match (state.app.enterprise_credit(&user.actor, &user.client, id).await, state.app.enterprise(&user.actor, &user.client, id).await) {
            (Ok(record), Ok(enterprise)) => (record, enterprise),
            (Err(error), _) | (_, Err(error)) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
        };
    let c = chrome(&state, &headers, &user.session, "/enterprises", Some(&user.actor)).await;
    let english = c.t.is_en();
    let page = RecordPage {
        enterprise_id: id,
        enterprise_name: enterprise.enterprise.name,
        grade: record.grade.label(english).into(),
        score: record.score,
        reason: record.listing_reason.map(|r| r.label(english).to_owned()).unwrap_or_default(),
        events: record.events.iter().map(|e| (e.on.clone(), e.kind.label(english).to_owned(), e.detail.clone())).collect(),
        r: record,
        c,
    };
    render(&page)
}
