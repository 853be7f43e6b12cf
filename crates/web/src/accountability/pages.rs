//! Accountability page: the office's measures against units of its territory with their
//! follow-up, what the interview rules suggest from accident records, and the form to record one.

use app::accidents::AccidentRecords;
use app::accountability::MeasureInput;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::accountability::MeasureKind;
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, label, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/accountability", get(page).post(record)).route("/accountability/{id}/follow-up", post(follow_up))
}

struct MeasureLine {
    id: i64,
    kind: String,
    unit: String,
    person: String,
    reason: String,
    decided_on: String,
    public: bool,
    follow_up: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "accountability/accountability.html")]
struct AccountabilityPage {
    c: Chrome,
    measures: Vec<MeasureLine>,
    suggestions: Vec<(String, String, String)>,
    kinds: Vec<SelectOption>,
    units: Vec<SelectOption>,
    today: String,
    errors: Vec<String>,
}

async fn response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>) -> Response {
    let measures = match state.app.measures(&user.actor, &user.client).await {
        Ok(measures) => measures,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let suggestions = state.app.measure_suggestions(&user.actor, &user.client, &AccidentRecords(&state.app)).await.unwrap_or_default();
    let c = chrome(state, headers, &user.session, "/accountability", Some(&user.actor)).await;
    let kind_label = |key: &str| MeasureKind::parse(key).map(|k| label(c.t, k.label_zh(), k.label_en())).unwrap_or_else(|| key.to_owned());
    // The units a measure may name: the governments and departments of the territory.
    let path = user.actor.region_path.clone().unwrap_or_default();
    let mut units = Vec::new();
    for kind in [domain::unit::UnitKind::Government, domain::unit::UnitKind::Department, domain::unit::UnitKind::Organisation] {
        for unit in state.app.units_of_kind(kind).await.unwrap_or_default() {
            let inside = match &unit.region_code {
                Some(code) => state.app.region(code).await.is_ok_and(|r| r.path.starts_with(&path)),
                None => false,
            };
            if inside {
                units.push(SelectOption { code: unit.id.to_string(), label: unit.name, selected: false });
            }
        }
    }
    let page = AccountabilityPage {
        measures: measures
            .into_iter()
            .map(|m| MeasureLine {
                id: m.id,
                kind: kind_label(&m.kind),
                unit: m.target_unit_name,
                person: m.target_person,
                reason: m.reason,
                decided_on: m.decided_on,
                public: m.public,
                follow_up: m.follow_up,
                outcome: m.outcome,
            })
            .collect(),
        suggestions: suggestions.into_iter().map(|s| (kind_label(s.kind.key()), s.target, c.t.render(&s.reason))).collect(),
        kinds: MeasureKind::ALL.iter().map(|k| SelectOption { code: k.key().into(), label: label(c.t, k.label_zh(), k.label_en()), selected: false }).collect(),
        units,
        today: domain::time::today().to_string(),
        errors,
        c,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    response(&state, &headers, &user, Vec::new()).await
}

#[derive(Deserialize)]
struct MeasureForm {
    kind: String,
    target_unit_id: i64,
    #[serde(default)]
    target_person: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    public: Option<String>,
}

async fn record(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<MeasureForm>) -> Response {
    let input = MeasureInput {
        kind: form.kind,
        target_unit_id: form.target_unit_id,
        target_person: form.target_person,
        reason: form.reason,
        decided_on: form.decided_on,
        public: form.public.is_some(),
    };
    match state.app.record_measure(&user.actor, &user.client, &input).await {
        Ok(_) => Redirect::to("/accountability").into_response(),
        Err(app::AppError::Invalid(fields)) => response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await,
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct FollowUpForm {
    #[serde(default)]
    follow_up: String,
    #[serde(default)]
    outcome: String,
}

async fn follow_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<FollowUpForm>,
) -> Response {
    match state.app.follow_up_measure(&user.actor, &user.client, id, &form.follow_up, &form.outcome).await {
        Ok(()) => Redirect::to("/accountability").into_response(),
        Err(app::AppError::Invalid(fields)) => response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await,
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
