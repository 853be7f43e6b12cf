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
use crate::i18n::Catalog;
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
    /// The action in words, and as recorded.
    action: String,
    action_code: String,
    /// The target in words (`隐患 #12`), and as recorded.
    target: String,
    target_code: String,
    /// `success`, `failure` or `denied`, and in words.
    outcome: String,
    outcome_words: String,
    /// The details as `name: value` pairs, and as recorded (JSON).
    details: String,
    details_code: String,
    client: String,
}

/// The subjects an action names before its dot, offered in the filter row.
const SUBJECTS: &[&str] = &[
    "accident",
    "accidents",
    "accountability",
    "alarm",
    "alarm_suppression",
    "assessment",
    "assignment",
    "audit",
    "auth",
    "campaign",
    "checklist",
    "commitment",
    "credit",
    "enforcement",
    "enterprise",
    "expert",
    "hazard_source",
    "hidden_danger",
    "home",
    "inbox",
    "ingest_token",
    "inspection",
    "inspection_plan",
    "insurance",
    "monitoring",
    "region",
    "risk_point",
    "sensor",
    "tip",
    "unit",
    "user",
    "workplan",
];

/// An action code (`hidden_danger.report`) in words (`隐患 · 上报`), or the code when the
/// catalog does not know a part.
fn action_words(t: &Catalog, action: &str) -> String {
    let Some((subject, verb)) = action.split_once('.') else { return action.to_owned() };
    match (t.lookup(&format!("audit.subject.{subject}")), t.lookup(&format!("audit.verb.{verb}"))) {
        (Some(subject), Some(verb)) => format!("{subject} · {verb}"),
        _ => action.to_owned(),
    }
}

/// A target (`hidden_danger:12`) in words (`隐患 #12`).
fn target_words(t: &Catalog, target: &str) -> String {
    match target.split_once(':') {
        Some((kind, id)) => match t.lookup(&format!("audit.subject.{kind}")) {
            Some(kind) => format!("{kind} #{id}"),
            None => target.to_owned(),
        },
        None => target.to_owned(),
    }
}

/// Details (a JSON object) as `name: value` pairs; anything else as it is.
fn details_words(details: &str) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(details) {
        Ok(map) => map
            .iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(text) => format!("{name}: {text}"),
                other => format!("{name}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("; ")
            .chars()
            .take(200)
            .collect(),
        Err(_) => details.chars().take(200).collect(),
    }
}

#[derive(Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    c: Chrome,
    entries: Vec<AuditRow>,
    total: i64,
    params: AuditParams,
    outcomes: Vec<(&'static str, String)>,
    /// The filter's subjects: (code prefix, words).
    subjects: Vec<(String, String)>,
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
            action: action_words(c.t, &e.action),
            action_code: e.action,
            target: target_words(c.t, &e.target),
            target_code: e.target,
            outcome_words: c.t.lookup(&format!("audit.outcome.{}", e.outcome)).unwrap_or(&e.outcome).to_owned(),
            outcome: e.outcome,
            details: if e.details == "{}" { String::new() } else { details_words(&e.details) },
            details_code: if e.details == "{}" { String::new() } else { e.details.chars().take(500).collect() },
            client: e.client,
        })
        .collect();
    let outcomes = ["", "success", "failure", "denied"]
        .into_iter()
        .map(|o| (o, if o.is_empty() { c.t.get("audit.any_outcome").to_owned() } else { c.t.get(&format!("audit.outcome.{o}")).to_owned() }))
        .collect();
    let subjects = SUBJECTS.iter().map(|s| (format!("{s}."), c.t.get(&format!("audit.subject.{s}")).to_owned())).collect();
    let pages = ((result.total + PER_PAGE - 1) / PER_PAGE).max(1);
    render(&AuditPage {
        c,
        entries,
        total: result.total,
        outcomes,
        subjects,
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
    match state.app.export_audit_log(&user.actor, &user.client, &filter, format, crate::i18n::english(&headers)).await {
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
