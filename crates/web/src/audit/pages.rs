//! The audit log viewer for the audit administrator: search by person, action, outcome and date
//! range, pages of entries, the chain's verdict, and CSV/XLSX export of a search.

use app::audit::{day_start_ms, display_time};
use app::spreadsheet::SpreadsheetFormat;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::identity::PageUser;
use crate::pages::{Chrome, chrome, download, error_page, render};

const PER_PAGE: i64 = 100;
const DAY_MS: i64 = 86_400_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page)).route("/audit/export.csv", get(export_csv)).route("/audit/export.xlsx", get(export_xlsx))
}

struct AuditRow {
    seq: i64,
    time: String,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    details: String,
    client: String,
}

#[derive(Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    c: Chrome,
    entries: Vec<AuditRow>,
    total: i64,
    params: AuditParams,
    outcomes: [&'static str; 4],
    chain_ok: bool,
    chain_status: String,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    query_string: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
struct AuditParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    /// First day, `YYYY-MM-DD`, China Standard Time.
    #[serde(default)]
    from: String,
    /// Last day (inclusive).
    #[serde(default)]
    to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<i64>,
}

impl AuditParams {
    fn filter(&self) -> Result<app::audit::AuditFilter, ApiError> {
        let text = |value: &str| Some(value.trim().chars().take(64).collect::<String>()).filter(|v| !v.is_empty());
        let day = |value: &str, field: &str| -> Result<Option<i64>, ApiError> {
            match text(value) {
                None => Ok(None),
                Some(date) => day_start_ms(&date).map(Some).map_err(|message| {
                    ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        "bad_request",
                        domain::message!("common.field_problem", field = field, problem => message),
                    )
                }),
            }
        };
        Ok(app::audit::AuditFilter {
            actor_name: text(&self.actor),
            action_prefix: text(&self.action),
            target: None,
            outcome: text(&self.outcome),
            from_ms: day(&self.from, "from")?,
            to_ms: day(&self.to, "to")?.map(|start| start + DAY_MS),
        })
    }

    fn url(&self, page: Option<i64>) -> String {
        let mut copy = self.clone();
        copy.page = page;
        serde_urlencoded::to_string(&copy).unwrap_or_default()
    }
}

async fn audit_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<AuditParams>) -> Response {
    let failed = |error: ApiError| error_page(&state, &headers, &user.session, Some(&user.actor), error);
    let filter = match params.filter() {
        Ok(filter) => filter,
        Err(error) => return failed(error).await,
    };
    let page = params.page.unwrap_or(1).max(1);
    let result = match state.app.search_audit_log(&user.actor, &user.client, &filter, page, PER_PAGE).await {
        Ok(result) => result,
        Err(error) => return failed(error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, &format!("/audit?{}", params.url(Some(page))), Some(&user.actor)).await;
    let (chain_ok, chain_status) = match state.app.verify_audit_log(&user.actor, &user.client).await {
        Ok(Ok(count)) => (true, format!("{} {count}", c.t.get("audit.chain_ok"))),
        Ok(Err(error)) => (false, c.t.render(&error.message())),
        Err(_) => (false, c.t.get("error.title").to_owned()),
    };
    let entries = result
        .entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            time: display_time(e.occurred_at),
            actor: e.actor_name,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            details: if e.details == "{}" { String::new() } else { e.details.chars().take(200).collect() },
            client: e.client,
        })
        .collect();
    let pages = ((result.total + PER_PAGE - 1) / PER_PAGE).max(1);
    render(&AuditPage {
        c,
        entries,
        total: result.total,
        outcomes: ["success", "failure", "denied", ""],
        chain_ok,
        chain_status,
        page,
        pages,
        prev_url: (page > 1).then(|| format!("/audit?{}", params.url(Some(page - 1)))),
        next_url: (page < pages).then(|| format!("/audit?{}", params.url(Some(page + 1)))),
        query_string: params.url(None),
        params,
    })
}

async fn export(state: AppState, headers: HeaderMap, user: PageUser, params: AuditParams, format: SpreadsheetFormat) -> Response {
    let filter = match params.filter() {
        Ok(filter) => filter,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error).await,
    };
    match state.app.export_audit_log(&user.actor, &user.client, &filter, format).await {
        Ok(bytes) => download(bytes, format, &format!("audit-log.{}", format.extension())),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await.into_response(),
    }
}

async fn export_csv(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<AuditParams>) -> Response {
    export(state, headers, user, params, SpreadsheetFormat::Csv).await
}

async fn export_xlsx(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<AuditParams>) -> Response {
    export(state, headers, user, params, SpreadsheetFormat::Xlsx).await
}
