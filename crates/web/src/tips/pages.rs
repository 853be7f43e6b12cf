//! Tip pages. Public (no account, phone-first): the report form, the receipt shown once, and the
//! follow-up by receipt code with the conversation (the code travels only in POST bodies, never
//! in an address). Handlers: the inbox with statistics, a tip with its moves, replies, reward and
//! identity requests; the custodian's decisions and the counter where a reward is paid to whoever
//! presents the code.

use app::policy::{self, Action};
use app::tips::{RewardInput, TipActionInput};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use domain::tips::{TipInput, TipKind, TipState};
use serde::Deserialize;
use tower_sessions::Session;

use super::throttle::Counter;
use super::throttle_address;
use crate::AppState;
use crate::client_address::ClientAddress;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/report", get(report_page).post(report_submit))
        .route("/report/follow", get(follow_page).post(follow_submit))
        .route("/report/enterprises", get(enterprise_names))
        .route("/report/follow/message", post(follow_message))
        .route(
            "/report/follow/files",
            post(follow_files)
                .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(
                    app::tips::ATTACHMENTS_MAX * app::tips::ATTACHMENT_BYTES_MAX + (1 << 20),
                ))
                // A public upload is done in time or refused: a slow sender cannot hold an upload place.
                .layer::<_, std::convert::Infallible>(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    PUBLIC_UPLOAD_TIME,
                )),
        )
        .route("/tips/{id}/attachments/{attachment}", get(attachment))
        .route("/tips", get(inbox_page))
        .route("/tips/reward-payments", get(payment_page).post(payment_submit))
        .route("/tips/{id}", get(tip_page))
        .route("/tips/{id}/actions", post(action_submit))
        .route("/tips/{id}/messages", post(reply_submit))
        .route("/tips/{id}/reward", post(reward_submit))
        .route("/tips/{id}/identity-requests", post(identity_request_submit))
        .route("/tip-identity-requests/{id}/decision", post(identity_decision_submit))
}

/// How long a public file upload may take from first byte to last.
pub const PUBLIC_UPLOAD_TIME: std::time::Duration = std::time::Duration::from_secs(120);

/// The public paths whose forms carry no session's authority (no one is signed in to act for);
/// the CSRF guard lets them through after its same-origin check.
pub const PUBLIC_FORM_PATHS: [&str; 4] = ["/report", "/report/follow", "/report/follow/message", "/report/follow/files"];

fn kind_options(english: bool, selected: &str) -> Vec<SelectOption> {
    TipKind::ALL.iter().map(|k| SelectOption { code: k.key().into(), label: k.label(english).into(), selected: k.key() == selected }).collect()
}

/// A city and its counties as (code, name, selected), for the region select.
type CityCounties = (String, Vec<(String, String, bool)>);

#[derive(Template)]
#[template(path = "tips/report.html")]
struct ReportPage {
    c: Chrome,
    kinds: Vec<SelectOption>,
    regions: Vec<CityCounties>,
    form: ReportForm,
    errors: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
struct ReportForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    enterprise_name: String,
    #[serde(default)]
    location: String,
    /// A map point the reporter clicked, as decimal degrees (empty for none).
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    description: String,
    /// `anonymous` or `named`.
    #[serde(default)]
    identity: String,
    #[serde(default)]
    internal: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

async fn report_response(state: &AppState, headers: &HeaderMap, session: &Session, form: ReportForm, errors: Vec<String>) -> Response {
    let c = chrome(state, headers, session, "/report", None).await;
    let english = c.t.is_en();
    let mut regions: Vec<CityCounties> = Vec::new();
    for (code, city, county) in state.app.tip_regions().await.unwrap_or_default() {
        let selected = code == form.region_code;
        match regions.last_mut() {
            Some((last, counties)) if *last == city => counties.push((code, county, selected)),
            _ => regions.push((city, vec![(code, county, selected)])),
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&ReportPage { kinds: kind_options(english, &form.kind), regions, form, errors, c })).into_response()
}

async fn report_page(State(state): State<AppState>, headers: HeaderMap, session: Session) -> Response {
    report_response(&state, &headers, &session, ReportForm { identity: "anonymous".into(), ..Default::default() }, Vec::new()).await
}

#[derive(Deserialize, Default)]
struct NameQuery {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    enterprise_name: String,
}

#[derive(Template)]
#[template(path = "tips/enterprise_options.html")]
struct EnterpriseOptions {
    names: Vec<String>,
}

/// Names for the report form's enterprise field: a county's registered enterprises whose name
/// contains what was typed (the form asks as the reporter types).
async fn enterprise_names(State(state): State<AppState>, axum::extract::Query(query): axum::extract::Query<NameQuery>) -> Response {
    let names = state.app.tip_enterprise_names(&query.region_code, &query.enterprise_name).await.unwrap_or_default();
    render(&EnterpriseOptions { names })
}

#[derive(Template)]
#[template(path = "tips/receipt.html")]
struct ReceiptPage {
    c: Chrome,
    receipt: String,
}

async fn report_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    address: Option<Extension<ClientAddress>>,
    axum::Form(form): axum::Form<ReportForm>,
) -> Response {
    let address = throttle_address(address);
    if !state.tip_throttle.allows(address, Counter::Submission) {
        return error_page(&state, &headers, &session, None, super::throttled()).await;
    }
    let enterprise_id = state.app.tip_enterprise_by_name(&form.region_code, &form.enterprise_name).await.ok().flatten();
    // A named enterprise that is not in the registry stays in the description.
    let description = match (enterprise_id, form.enterprise_name.trim()) {
        (None, name) if !name.is_empty() => format!("{}\n\n{name}", form.description.trim()),
        _ => form.description.clone(),
    };
    let anonymous = form.identity != "named";
    let input = TipInput {
        kind: form.kind.clone(),
        region_code: form.region_code.clone(),
        enterprise_id,
        location: form.location.clone(),
        // Something that is not a number stands as a point outside China, refused by field.
        longitude: Some(form.longitude.trim()).filter(|v| !v.is_empty()).map(|v| v.parse().unwrap_or(f64::NAN)),
        latitude: Some(form.latitude.trim()).filter(|v| !v.is_empty()).map(|v| v.parse().unwrap_or(f64::NAN)),
        description,
        anonymous,
        internal: form.internal.is_some(),
        name: Some(form.name.clone()).filter(|_| !anonymous),
        phone: Some(form.phone.clone()).filter(|_| !anonymous),
    };
    match state.app.submit_tip(&input).await {
        Ok((_, receipt)) => {
            state.tip_throttle.count(address, Counter::Submission);
            let c = chrome(&state, &headers, &session, "/report", None).await;
            let mut response = render(&ReceiptPage { c, receipt });
            // The code is on this page only: no cache keeps it.
            response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            response
        }
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            report_response(&state, &headers, &session, form, errors).await
        }
        Err(error) => error_page(&state, &headers, &session, None, error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "tips/follow.html")]
struct FollowPage {
    c: Chrome,
    /// The code as typed, carried in the page's forms (never in an address).
    receipt: String,
    view: Option<app::tips::ReporterView>,
    state_label: String,
    errors: Vec<String>,
}

async fn follow_response(
    state: &AppState,
    headers: &HeaderMap,
    session: &Session,
    receipt: String,
    view: Option<app::tips::ReporterView>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let c = chrome(state, headers, session, "/report/follow", None).await;
    let state_label = view.as_ref().map(|v| v.state.label(c.t.is_en()).to_owned()).unwrap_or_default();
    let mut response = (status, render(&FollowPage { c, receipt, view, state_label, errors })).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

async fn follow_page(State(state): State<AppState>, headers: HeaderMap, session: Session) -> Response {
    follow_response(&state, &headers, &session, String::new(), None, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
struct FollowForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    body: String,
}

/// Opens the tip of a code, counting wrong codes; every wrong code answers alike.
async fn open_by_receipt(
    state: &AppState,
    headers: &HeaderMap,
    session: &Session,
    address: std::net::IpAddr,
    receipt: &str,
) -> Result<app::tips::ReporterView, Response> {
    if !state.tip_throttle.allows(address, Counter::WrongCode) {
        return Err(error_page(state, headers, session, None, super::throttled()).await);
    }
    match state.app.follow_tip(receipt).await {
        Ok(view) => Ok(view),
        Err(_) => Err(wrong_code(state, headers, session, address).await),
    }
}

/// The answer to a code that opens no tip, counted against the client: the same whatever is wrong.
async fn wrong_code(state: &AppState, headers: &HeaderMap, session: &Session, address: std::net::IpAddr) -> Response {
    state.tip_throttle.count(address, Counter::WrongCode);
    let errors = vec![crate::pages::text(headers, &domain::message!("tips.no_such_receipt"))];
    follow_response(state, headers, session, String::new(), None, errors, StatusCode::NOT_FOUND).await
}

async fn follow_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    address: Option<Extension<ClientAddress>>,
    axum::Form(form): axum::Form<FollowForm>,
) -> Response {
    match open_by_receipt(&state, &headers, &session, throttle_address(address), &form.receipt).await {
        Ok(view) => follow_response(&state, &headers, &session, form.receipt, Some(view), Vec::new(), StatusCode::OK).await,
        Err(response) => response,
    }
}

async fn follow_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    address: Option<Extension<ClientAddress>>,
    axum::Form(form): axum::Form<FollowForm>,
) -> Response {
    let address = throttle_address(address);
    if !state.tip_throttle.allows(address, Counter::Addition) || !state.tip_throttle.allows(address, Counter::WrongCode) {
        return error_page(&state, &headers, &session, None, super::throttled()).await;
    }
    // The message's use case opens the tip by its code first, so a wrong code is known from it.
    let written = state.app.reporter_message(&form.receipt, &form.body).await;
    if matches!(written, Err(app::AppError::NotFound)) {
        return wrong_code(&state, &headers, &session, address).await;
    }
    state.tip_throttle.count(address, Counter::Addition);
    let (errors, status) = match written {
        Ok(()) => (Vec::new(), StatusCode::OK),
        Err(app::AppError::Invalid(fields)) => (crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), StatusCode::UNPROCESSABLE_ENTITY),
        Err(app::AppError::Conflict(message)) => (vec![crate::pages::text(&headers, &message)], StatusCode::CONFLICT),
        Err(error) => return error_page(&state, &headers, &session, None, error.into()).await,
    };
    match state.app.follow_tip(&form.receipt).await {
        Ok(view) => follow_response(&state, &headers, &session, form.receipt, Some(view), errors, status).await,
        Err(error) => error_page(&state, &headers, &session, None, error.into()).await,
    }
}

/// The reporter adds files (photos, documents) by code; each upload counts against the client's
/// additions.
async fn follow_files(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    address: Option<Extension<ClientAddress>>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let address = throttle_address(address);
    if !state.tip_throttle.allows(address, Counter::Addition) || !state.tip_throttle.allows(address, Counter::WrongCode) {
        return error_page(&state, &headers, &session, None, super::throttled()).await;
    }
    // The code comes first (the form puts it before the files): nothing more is read, and no
    // upload place is taken, for a code that opens no tip.
    let receipt: String = match multipart.next_field().await {
        Ok(Some(mut field)) if field.name() == Some("receipt") => {
            // Read at most a code's length: a longer field is no code, and is not read on.
            let mut bytes = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > 64 {
                    bytes.clear();
                    break;
                }
            }
            String::from_utf8(bytes).unwrap_or_default()
        }
        _ => String::new(),
    };
    let view = match open_by_receipt(&state, &headers, &session, address, &receipt).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    state.tip_throttle.count(address, Counter::Addition);
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let mut files = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("files") => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) if file_name.is_empty() && bytes.is_empty() => {}
                    Ok(bytes) => files.push(app::workplans::UploadedFile { file_name, bytes: bytes.to_vec() }),
                    Err(_) => {
                        return error_page(
                            &state,
                            &headers,
                            &session,
                            None,
                            app::AppError::Invalid(vec![domain::enterprises::FieldError {
                                field: "files",
                                message: domain::message!("hidden_dangers.upload_failed_too_large"),
                            }])
                            .into(),
                        )
                        .await;
                    }
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(_) => {
                return error_page(
                    &state,
                    &headers,
                    &session,
                    None,
                    app::AppError::Invalid(vec![domain::enterprises::FieldError {
                        field: "files",
                        message: domain::message!("hidden_dangers.upload_could_not_read"),
                    }])
                    .into(),
                )
                .await;
            }
        }
    }
    let (errors, status) = match state.app.add_tip_files(&receipt, files).await {
        Ok(_) => (Vec::new(), StatusCode::OK),
        Err(app::AppError::Invalid(fields)) => (crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), StatusCode::UNPROCESSABLE_ENTITY),
        Err(app::AppError::Conflict(message)) => (vec![crate::pages::text(&headers, &message)], StatusCode::CONFLICT),
        Err(error) => return error_page(&state, &headers, &session, None, error.into()).await,
    };
    let view = state.app.follow_tip(&receipt).await.unwrap_or(view);
    follow_response(&state, &headers, &session, receipt, Some(view), errors, status).await
}

/// A file of a tip, for its handler: a photo shown in the page, a document always downloaded
/// (never opened by the browser in the application's origin).
async fn attachment(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path((id, attachment)): Path<(i64, i64)>) -> Response {
    match state.app.tip_attachment(&user.actor, &user.client, id, attachment).await {
        Ok((content_type, bytes)) => {
            let mut response = bytes.into_response();
            if let Ok(value) = axum::http::HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(axum::http::header::CONTENT_TYPE, value);
            }
            if !content_type.starts_with("image/") {
                let disposition = format!("attachment; filename=\"tip-{id}-{attachment}.{}\"", app::tips::extension_of(&content_type));
                if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
                    response.headers_mut().insert(axum::http::header::CONTENT_DISPOSITION, value);
                }
            }
            response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("private, no-store"));
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct InboxLine {
    id: i64,
    kind: String,
    state: String,
    state_key: &'static str,
    place: String,
    received_on: String,
    named: bool,
    due_on: String,
    overdue: bool,
    reward: String,
}

#[derive(Template)]
#[template(path = "tips/inbox.html")]
struct InboxPage {
    c: Chrome,
    lines: Vec<InboxLine>,
    stats: app::tips::TipStatistics,
    /// (kind, count)
    by_kind: Vec<(String, i64)>,
    verified_percent: String,
    may_pay: bool,
    /// (tip id, text) of the deadline notices to the caller's unit.
    notices: Vec<(i64, String)>,
}

async fn inbox_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let (tips, stats) = match (state.app.tips(&user.actor, &user.client).await, state.app.tip_statistics(&user.actor, &user.client).await) {
        (Ok(tips), Ok(stats)) => (tips, stats),
        (Err(error), _) | (_, Err(error)) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/tips", Some(&user.actor)).await;
    let english = c.t.is_en();
    let lines = tips
        .into_iter()
        .map(|t| InboxLine {
            id: t.id,
            kind: t.kind.label(english).into(),
            state: t.state.label(english).into(),
            state_key: t.state.key(),
            place: t.enterprise_name.clone().map(|e| format!("{} · {e}", t.region_name)).unwrap_or(t.region_name.clone()),
            received_on: t.received_on,
            named: !t.anonymous,
            due_on: t.due_on.unwrap_or_default(),
            overdue: t.overdue,
            reward: t.reward_yuan.map(|y| format!("¥{y}")).unwrap_or_default(),
        })
        .collect();
    let page = InboxPage {
        by_kind: TipKind::ALL.iter().map(|k| (k.label(english).to_owned(), stats.by_kind.get(k.key()).copied().unwrap_or(0))).collect(),
        verified_percent: format!("{:.0}%", stats.verified_share * 100.0),
        may_pay: user.actor.region_path.as_deref().is_some_and(|path| state.app.may_keep_tip_identities(&user.actor, path)),
        notices: state
            .app
            .tip_notices(&user.actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|n| (n.tip_id, c.t.render(&domain::message::Message::from_stored(&n.message))))
            .collect(),
        stats,
        lines,
        c,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "tips/tip.html")]
struct TipPage {
    c: Chrome,
    t: app::tips::TipView,
    kind: String,
    state: String,
    state_key: &'static str,
    /// The moves possible now: (action, label).
    actions: Vec<(&'static str, String)>,
    may_decide_identity: bool,
    may_reward: bool,
    reward_by_fine: bool,
    /// Units an accepted tip may be routed to.
    units: Vec<SelectOption>,
    errors: Vec<String>,
}

async fn tip_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let view = match state.app.tip_view(&user.actor, &user.client, id).await {
        Ok(view) => view,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, "/tips", Some(&user.actor)).await;
    let english = c.t.is_en();
    let label = |key: &str| c.t.get(&format!("tips.action_{key}")).to_owned();
    let actions: Vec<(&'static str, String)> = match view.summary.state {
        TipState::Received => vec![("accept", label("accept")), ("duplicate", label("duplicate"))],
        TipState::Accepted => {
            let mut moves = vec![("verify", label("verify")), ("unfounded", label("unfounded"))];
            if !view.extended {
                moves.push(("extend", label("extend")));
            }
            moves
        }
        TipState::Verified | TipState::Unfounded => vec![("close", label("close"))],
        TipState::Duplicate | TipState::Closed => Vec::new(),
    };
    let region_path = state.app.region(&view.region_code).await.map(|r| r.path).unwrap_or_default();
    let page = TipPage {
        kind: view.summary.kind.label(english).into(),
        state: view.summary.state.label(english).into(),
        state_key: view.summary.state.key(),
        actions,
        may_decide_identity: state.app.may_keep_tip_identities(&user.actor, &region_path),
        may_reward: view.summary.substantiated == Some(true)
            && view.reward.is_none()
            && view.duplicate_of.is_none()
            && view.summary.kind != TipKind::Other
            && policy::allows(&user.actor, Action::HandleTip { region_path: &region_path, routed_to_actors_unit: false }),
        reward_by_fine: view.summary.kind != TipKind::ConcealedAccident,
        units: if view.summary.state == TipState::Received {
            state
                .app
                .tip_routing_units(&user.actor, &view.region_code)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(id, name)| SelectOption { code: id.to_string(), label: name, selected: false })
                .collect()
        } else {
            Vec::new()
        },
        t: view,
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn tip_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    tip_response(&state, &headers, &user, id, Vec::new(), StatusCode::OK).await
}

async fn after<T>(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, result: app::Result<T>) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/tips/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(headers, fields.into_iter().map(|f| f.message));
            tip_response(state, headers, user, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(app::AppError::Conflict(message)) => {
            let errors = vec![crate::pages::text(headers, &message)];
            tip_response(state, headers, user, id, errors, StatusCode::CONFLICT).await
        }
        Err(error) => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize, Default)]
struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    danger_id: String,
    #[serde(default)]
    accident_id: String,
    #[serde(default)]
    duplicate_of: String,
    #[serde(default)]
    handler_unit_id: String,
}

fn optional_id(text: &str) -> Option<i64> {
    let text = text.trim();
    // Something typed that is not an id is passed on as an id no record has, so it is refused by field.
    (!text.is_empty()).then(|| text.parse().unwrap_or(-1))
}

async fn action_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ActionForm>,
) -> Response {
    let input = TipActionInput {
        action: form.action,
        outcome: form.outcome,
        danger_id: optional_id(&form.danger_id),
        accident_id: optional_id(&form.accident_id),
        duplicate_of: optional_id(&form.duplicate_of),
        handler_unit_id: optional_id(&form.handler_unit_id),
        ..Default::default()
    };
    let result = state.app.act_on_tip(&user.actor, &user.client, id, &input).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct TextForm {
    #[serde(default)]
    body: String,
}

async fn reply_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<TextForm>,
) -> Response {
    let result = state.app.reply_to_tip(&user.actor, &user.client, id, &form.body).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct RewardForm {
    #[serde(default)]
    fine_yuan: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    concealed_deaths: String,
    #[serde(default)]
    paying_unit: String,
}

async fn reward_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RewardForm>,
) -> Response {
    let number = |text: &str| Some(text.trim()).filter(|t| !t.is_empty()).map(|t| t.parse::<i64>().unwrap_or(-1));
    let input = RewardInput {
        fine_yuan: number(&form.fine_yuan),
        level: Some(form.level).filter(|l| !l.trim().is_empty()),
        concealed_deaths: number(&form.concealed_deaths),
        paying_unit: form.paying_unit,
    };
    let result = state.app.approve_tip_reward(&user.actor, &user.client, id, &input).await;
    after(&state, &headers, &user, id, result).await
}

async fn identity_request_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<TextForm>,
) -> Response {
    let result = state.app.request_tip_identity(&user.actor, &user.client, id, &form.body).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct DecisionForm {
    #[serde(default)]
    tip_id: i64,
    #[serde(default)]
    approve: String,
    #[serde(default)]
    decision: String,
}

async fn identity_decision_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> Response {
    let result = state.app.decide_tip_identity(&user.actor, &user.client, id, form.approve == "yes", &form.decision).await;
    after(&state, &headers, &user, form.tip_id, result).await
}

#[derive(Template)]
#[template(path = "tips/payment.html")]
struct PaymentPage {
    c: Chrome,
    paid: Option<i64>,
    errors: Vec<String>,
}

async fn payment_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let allowed = user.actor.region_path.as_deref().is_some_and(|path| state.app.may_keep_tip_identities(&user.actor, path));
    if !allowed {
        let error = state.app.denied(&user.actor, &user.client, "tip.reward_pay", "reward_payments".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let c = chrome(&state, &headers, &user.session, "/tips", Some(&user.actor)).await;
    render(&PaymentPage { c, paid: None, errors: Vec::new() })
}

async fn payment_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<FollowForm>) -> Response {
    let (paid, errors, status) = match state.app.record_reward_paid(&user.actor, &user.client, &form.receipt).await {
        Ok(id) => (Some(id), Vec::new(), StatusCode::OK),
        Err(app::AppError::NotFound) => (None, vec![crate::pages::text(&headers, &domain::message!("tips.no_such_receipt"))], StatusCode::NOT_FOUND),
        Err(app::AppError::Conflict(message)) => (None, vec![crate::pages::text(&headers, &message)], StatusCode::CONFLICT),
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/tips", Some(&user.actor)).await;
    (status, render(&PaymentPage { c, paid, errors })).into_response()
}
