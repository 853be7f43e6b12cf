//! An enterprise's risk points: the list with each grade and colour, its four-colour profile, and
//! the form to add a point (graded by LEC or the matrix on entry).

use app::risk_points::RiskPointInput;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/enterprises/{id}/risks", get(page).post(add)).route("/enterprises/{id}/risks.xlsx", get(export))
}

struct PointLine {
    name: String,
    hazard: String,
    controls: String,
    level_name: String,
    person: String,
    method: String,
    score: String,
    grade: String,
    class: String,
}

#[derive(Template)]
#[template(path = "risk_points/risks.html")]
struct RiskPage {
    c: Chrome,
    enterprise_id: i64,
    enterprise_name: String,
    points: Vec<PointLine>,
    profile: domain::risk_points::RiskProfile,
    highest: String,
    can_add: bool,
    errors: Vec<String>,
}

async fn response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>) -> Response {
    let (points, profile) = match state.app.enterprise_risk(&user.actor, &user.client, id).await {
        Ok(found) => found,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let enterprise_name = state.app.enterprise(&user.actor, &user.client, id).await.map(|e| e.enterprise.name.clone()).unwrap_or_default();
    let c = chrome(state, headers, &user.session, &format!("/enterprises/{id}/risks"), Some(&user.actor)).await;
    let points = points
        .into_iter()
        .map(|p| PointLine {
            name: p.name,
            hazard: p.hazard_type,
            controls: p.controls,
            level_name: p.responsible_level,
            person: p.responsible_person,
            method: p.method,
            score: format!("{}", p.score),
            grade: p.level.label(c.t.is_en()).to_owned(),
            class: format!("risk-{}", p.level),
        })
        .collect();
    let can_add = app::policy::allows(&user.actor, app::policy::Action::ManageRiskPoints { enterprise_id: id });
    let highest = profile.highest.map(|l| l.label(c.t.is_en()).to_owned()).unwrap_or_else(|| "—".into());
    let page = RiskPage { c, enterprise_id: id, enterprise_name, points, highest, profile, can_add, errors };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    response(&state, &headers, &user, id, Vec::new()).await
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(input): axum::Form<RiskPointInput>,
) -> Response {
    match state.app.add_risk_points(&user.actor, &user.client, id, std::slice::from_ref(&input)).await {
        Ok(_) => Redirect::to(&format!("/enterprises/{id}/risks")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            response(&state, &headers, &user, id, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn export(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    use app::spreadsheet::{Column, SpreadsheetFormat};
    let (points, _) = match state.app.enterprise_risk(&user.actor, &user.client, id).await {
        Ok(found) => found,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let english = crate::i18n::english(&headers);
    let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
    let columns = [
        Column { heading: say("风险点", "Risk point"), width: 20.0 },
        Column { heading: say("危险因素", "Hazard"), width: 16.0 },
        Column { heading: say("管控措施", "Controls"), width: 30.0 },
        Column { heading: say("管控层级", "Control level"), width: 10.0 },
        Column { heading: say("责任人", "Responsible"), width: 10.0 },
        Column { heading: say("评价方法", "Method"), width: 8.0 },
        Column { heading: say("取值", "Factors"), width: 20.0 },
        Column { heading: say("分值", "Score"), width: 8.0 },
        Column { heading: say("风险等级", "Risk grade"), width: 8.0 },
    ];
    let rows = points.iter().map(|p| {
        vec![
            p.name.clone(),
            p.hazard_type.clone(),
            p.controls.clone(),
            p.responsible_level.clone(),
            p.responsible_person.clone(),
            p.method.clone(),
            p.factors.clone(),
            format!("{}", p.score),
            p.level.label(english).to_owned(),
        ]
    });
    let export = app::exports::Export {
        action: "risk_point.export",
        target: format!("enterprise:{id}"),
        format: SpreadsheetFormat::Xlsx,
        sheet_name: say("风险点", "Risk points"),
        columns: &columns,
        details: serde_json::Value::Null,
    };
    match state.app.export_table(&user.actor, &user.client, export, rows).await {
        Ok(bytes) => crate::pages::download(bytes, SpreadsheetFormat::Xlsx, &format!("risk-points-{id}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
