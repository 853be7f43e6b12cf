//! Account administration pages: the account list for both account administrators, account
//! creation, enabling, disabling and password resets for the system administrator, and role
//! grants, unlocking and second factors for the security administrator.

use app::accounts::{AccountOperation, NewAccount};
use app::audit::display_time;
use app::policy::{self, Action};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::role::Role;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, label, render};

const PER_PAGE: i64 = 50;
const UNIT_CHOICES_MAX: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(user_list))
        .route("/admin/users/new", get(new_user_page).post(create_user))
        .route("/admin/users/{id}", get(user_detail))
        .route("/admin/users/{id}/{operation}", post(operate))
}

struct UserRowView {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    unit: String,
    status: String,
    has_totp: bool,
}

#[derive(Template)]
#[template(path = "accounts/admin_users.html")]
struct UserListPage {
    c: Chrome,
    q: String,
    users: Vec<UserRowView>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    can_create: bool,
}

#[derive(Deserialize, Serialize, Default, Clone)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<i64>,
}

fn status_text(t: &crate::i18n::Catalog, disabled: bool, locked_until: Option<i64>) -> String {
    if disabled {
        t.get("accounts.disabled").to_owned()
    } else if locked_until.is_some_and(|until| until > domain::time::now_ms()) {
        t.get("accounts.locked").to_owned()
    } else {
        t.get("accounts.active").to_owned()
    }
}

fn role_label(t: &crate::i18n::Catalog, key: &str) -> String {
    Role::parse(key).map(|r| label(t, r.label_zh(), r.label_en())).unwrap_or_else(|| key.to_owned())
}

async fn user_list(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<ListParams>) -> Response {
    let page = params.page.unwrap_or(1).max(1);
    let result = match state.app.list_accounts(&user.actor, &user.client, Some(params.q.as_str()), page, PER_PAGE).await {
        Ok(result) => result,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/admin/users", Some(&user.actor)).await;
    let users = result
        .users
        .into_iter()
        .map(|u| UserRowView {
            status: status_text(c.t, u.disabled, u.locked_until),
            role: role_label(c.t, &u.role),
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            unit: u.unit_name,
            has_totp: u.has_totp,
        })
        .collect();
    let pages = ((result.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let url = |page: i64| format!("/admin/users?{}", serde_urlencoded::to_string(ListParams { q: params.q.clone(), page: Some(page) }).unwrap_or_default());
    render(&UserListPage {
        q: params.q.clone(),
        users,
        total: result.total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
        can_create: policy::allows(&user.actor, Action::ManageAccounts),
        c,
    })
}

#[derive(Template)]
#[template(path = "accounts/admin_user_new.html")]
struct NewUserPage {
    c: Chrome,
    unit_q: String,
    units: Vec<SelectOption>,
    /// A unit is chosen: otherwise the list starts at 请选择, not at its first unit.
    unit_chosen: bool,
    form: NewAccount,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    #[serde(default)]
    unit_q: String,
}

async fn new_user_response(state: &AppState, headers: &HeaderMap, user: &PageUser, unit_q: String, form: NewAccount, errors: Vec<String>) -> Response {
    if !policy::allows(&user.actor, Action::ManageAccounts) {
        let error = state.app.denied(&user.actor, &user.client, "user.create", "users".into()).await;
        return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let units = state.app.search_units(&user.actor, unit_q.trim(), UNIT_CHOICES_MAX).await.unwrap_or_default();
    let c = chrome(state, headers, &user.session, "/admin/users/new", Some(&user.actor)).await;
    let units: Vec<SelectOption> =
        units.into_iter().map(|u| SelectOption { selected: u.id == form.unit_id, label: format!("{} · {}", u.name, u.kind), code: u.id.to_string() }).collect();
    let unit_chosen = units.iter().any(|o| o.selected);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&NewUserPage { c, unit_q, units, unit_chosen, form, errors })).into_response()
}

async fn new_user_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<UnitQuery>) -> Response {
    new_user_response(&state, &headers, &user, query.unit_q, NewAccount::default(), Vec::new()).await
}

async fn create_user(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<NewAccount>) -> Response {
    match state.app.create_account(&user.actor, &user.client, &form).await {
        Ok(id) => Redirect::to(&format!("/admin/users/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let messages = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            new_user_response(&state, &headers, &user, String::new(), NewAccount { password: String::new(), ..form }, messages).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "accounts/admin_user.html")]
struct UserDetailPage {
    c: Chrome,
    id: i64,
    username: String,
    display_name: String,
    role_key: String,
    role: String,
    unit: String,
    status: String,
    disabled: bool,
    locked: bool,
    has_totp: bool,
    created_at: String,
    manages_accounts: bool,
    manages_rights: bool,
    is_self: bool,
    roles: Vec<SelectOption>,
    /// The account holds one of the roles offered: otherwise the list starts at 请选择.
    role_chosen: bool,
    errors: Vec<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    done: Option<String>,
}

async fn user_detail(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, Query(query): Query<NoticeQuery>) -> Response {
    let notice = query.done.is_some();
    detail_response(&state, &headers, &user, id, Vec::new(), notice).await
}

async fn detail_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, notice: bool) -> Response {
    let (account, unit) = match state.app.account(&user.actor, &user.client, id).await {
        Ok(found) => found,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, &format!("/admin/users/{id}"), Some(&user.actor)).await;
    let unit_kind = domain::unit::UnitKind::parse(&unit.kind).ok();
    let roles = Role::ALL
        .iter()
        .filter(|r| unit_kind.is_some_and(|kind| r.fits_unit(kind)))
        .map(|r| SelectOption { code: r.key().into(), label: label(c.t, r.label_zh(), r.label_en()), selected: r.key() == account.role })
        .collect::<Vec<_>>();
    let role_chosen = roles.iter().any(|o| o.selected);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = UserDetailPage {
        id,
        status: status_text(c.t, account.disabled, account.locked_until),
        role: role_label(c.t, &account.role),
        role_key: account.role.clone(),
        role_chosen,
        disabled: account.disabled,
        locked: account.locked_until.is_some_and(|until| until > domain::time::now_ms()),
        has_totp: account.totp_secret.is_some(),
        created_at: display_time(account.created_at),
        username: account.username,
        display_name: account.display_name,
        unit: unit.name,
        manages_accounts: policy::allows(&user.actor, Action::ManageAccounts),
        manages_rights: policy::allows(&user.actor, Action::ManageAccessRights),
        is_self: id == user.actor.user_id,
        roles,
        errors,
        notice: notice.then(|| c.t.get("accounts.done").to_owned()),
        c,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize, Default)]
struct OperationForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

async fn operate(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path((id, operation)): Path<(i64, String)>,
    axum::Form(form): axum::Form<OperationForm>,
) -> Response {
    let operation = match operation.as_str() {
        "disable" => AccountOperation::Disable,
        "enable" => AccountOperation::Enable,
        "password" => AccountOperation::ResetPassword(form.password),
        "unlock" => AccountOperation::Unlock,
        "totp" => AccountOperation::IssueSecondFactor,
        "role" => match Role::parse(&form.role) {
            Some(role) => AccountOperation::GrantRole(role),
            None => {
                return detail_response(&state, &headers, &user, id, crate::pages::rendered(&headers, [domain::message!("admin.choose_role")]), false).await;
            }
        },
        _ => return error_page(&state, &headers, &user.session, Some(&user.actor), ApiError::not_found()).await,
    };
    match state.app.administer_account(&user.actor, &user.client, id, operation).await {
        Ok(Some(secret)) => {
            let username = state.app.account(&user.actor, &user.client, id).await.map(|(account, _)| account.username).unwrap_or_default();
            crate::accounts::profile::secret_page(
                &state,
                &headers,
                &user.session,
                &user.actor,
                crate::accounts::profile::SecretShown {
                    heading_key: "accounts.totp_issued",
                    intro_key: "accounts.totp_hand_over",
                    username_for_qr: Some(&username),
                    secret,
                    confirm_action: None,
                    back_url: format!("/admin/users/{id}"),
                },
            )
            .await
        }
        Ok(None) => Redirect::to(&format!("/admin/users/{id}?done=1")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            detail_response(&state, &headers, &user, id, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), false).await
        }
        Err(app::AppError::BadRequest(message) | app::AppError::Conflict(message)) => {
            detail_response(&state, &headers, &user, id, crate::pages::rendered(&headers, [message]), false).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
