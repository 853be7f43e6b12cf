//! Expert pages: the pool of the caller's territory with each expert's specialities and services,
//! the office's profile form, an expert's service record, and the forms that assign an expert to
//! a hidden danger or a campaign.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/experts", get(pool).post(set_profile))
        .route("/experts/{id}", get(services))
        .route("/dangers/{id}/expert", post(assign_to_danger))
        .route("/campaigns/{id}/experts", post(assign_to_campaign))
}

#[derive(Template)]
#[template(path = "experts/experts.html")]
struct PoolPage {
    c: Chrome,
    experts: Vec<(i64, String, String, String, i64)>,
    can_edit: bool,
    accounts: Vec<SelectOption>,
    errors: Vec<String>,
}

async fn pool_response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>) -> Response {
    let experts = match state.app.expert_pool(&user.actor, &user.client).await {
        Ok(experts) => experts,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let can_edit = app::policy::allows(&user.actor, app::policy::Action::ManageExpertPool);
    let accounts = if can_edit {
        state
            .app
            .expert_accounts(&user.actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|(id, name)| SelectOption { code: id.to_string(), label: name, selected: false })
            .collect()
    } else {
        Vec::new()
    };
    let c = chrome(state, headers, &user.session, "/experts", Some(&user.actor)).await;
    let page = PoolPage {
        c,
        experts: experts.into_iter().map(|e| (e.user_id, e.display_name, e.specialities, e.region_name, e.services)).collect(),
        can_edit,
        accounts,
        errors,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn pool(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    pool_response(&state, &headers, &user, Vec::new()).await
}

#[derive(Deserialize)]
struct ProfileForm {
    user_id: i64,
    #[serde(default)]
    specialities: String,
    #[serde(default)]
    region_code: String,
}

async fn set_profile(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<ProfileForm>) -> Response {
    match state.app.set_expert_profile(&user.actor, &user.client, form.user_id, &form.specialities, &form.region_code).await {
        Ok(()) => Redirect::to("/experts").into_response(),
        Err(app::AppError::Invalid(fields)) => {
            pool_response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "experts/expert.html")]
struct ServicesPage {
    c: Chrome,
    name: String,
    specialities: String,
    region: String,
    services: Vec<(String, String, String)>,
    /// Assigned dangers: id, enterprise, description, state, deadline.
    dangers: Vec<(i64, String, String, String, String)>,
    campaigns: Vec<app::experts::AssignedCampaign>,
    /// Whether the reader is the expert (the pool's link back is for the others).
    own: bool,
}

async fn services(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.expert_services(&user.actor, &user.client, id).await {
        Ok((profile, services)) => {
            let c = chrome(&state, &headers, &user.session, &format!("/experts/{id}"), Some(&user.actor)).await;
            let services = services
                .into_iter()
                .map(|s| (app::audit::display_time(s.served_at), c.t.get(&format!("expert.service.{}", s.kind)).to_owned(), s.summary))
                .collect();
            let assignments = state.app.expert_assignments(&user.actor, &user.client, id).await.unwrap_or_default();
            let dangers = assignments
                .dangers
                .into_iter()
                .map(|d| {
                    let state = domain::hidden_dangers::DangerState::from_key(&d.state).map(|s| s.label(c.t.is_en()).to_owned()).unwrap_or(d.state);
                    (d.id, d.enterprise_name, d.description, state, d.deadline.unwrap_or_default())
                })
                .collect();
            let own = user.actor.user_id == id;
            render(&ServicesPage {
                c,
                name: profile.display_name,
                specialities: profile.specialities,
                region: profile.region_name,
                services,
                dangers,
                campaigns: assignments.campaigns,
                own,
            })
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// The expert pool as choices of a form that assigns an expert (empty when the caller may not
/// read the pool).
pub(crate) async fn expert_options(state: &AppState, user: &PageUser) -> Vec<SelectOption> {
    state
        .app
        .expert_pool(&user.actor, &user.client)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| SelectOption { code: e.user_id.to_string(), label: format!("{}({})", e.display_name, e.specialities), selected: false })
        .collect()
}

#[derive(Deserialize)]
struct AssignForm {
    expert_id: i64,
}

async fn assign_to_danger(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<AssignForm>,
) -> Response {
    match state.app.assign_expert_to_danger(&user.actor, &user.client, id, form.expert_id).await {
        Ok(()) => Redirect::to(&format!("/dangers/{id}")).into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn assign_to_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<AssignForm>,
) -> Response {
    match state.app.assign_expert_to_campaign(&user.actor, &user.client, id, form.expert_id).await {
        Ok(()) => Redirect::to(&format!("/campaigns/{id}")).into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
