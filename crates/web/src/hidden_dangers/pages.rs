//! Hidden-danger pages: the scoped list with its filters and export, reporting a danger, and a
//! danger's page with its history and a form for each move the caller may make now.

use app::hidden_dangers::{DangerActionInput, DangerInput, danger_json};
use app::policy::Action;
use app::spreadsheet::{Column, SpreadsheetFormat};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::hidden_dangers::{DangerGrade, DangerSource, DangerState};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, download, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dangers", get(list_page))
        .route("/dangers/export.xlsx", get(export_xlsx))
        .route("/dangers/new", get(new_page).post(report))
        .route("/dangers/{id}", get(detail_page))
        .route("/dangers/{id}/actions", post(act))
        .route("/dangers/{id}/listing", post(listing))
        .route(
            "/dangers/{id}/photos",
            post(upload_photos)
                .layer(axum::extract::DefaultBodyLimit::max(app::hidden_dangers::PHOTOS_MAX as usize * app::hidden_dangers::PHOTO_BYTES_MAX + 64 * 1024)),
        )
        .route("/danger-photos/{id}", get(photo))
}

#[derive(Deserialize, Serialize, Default, Clone)]
struct ListParams {
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    listed: String,
    #[serde(default, skip_serializing)]
    page: Option<i64>,
}

/// Dangers on one page of the list.
const DANGER_PAGE_SIZE: i64 = 50;

impl ListParams {
    fn filter(&self) -> app::hidden_dangers::DangerFilter {
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        app::hidden_dangers::DangerFilter {
            region_code: some(&self.region),
            enterprise_id: self.enterprise.trim().parse().ok(),
            grade: some(&self.grade),
            state: some(&self.state),
            overdue_on: None,
            listed: (self.listed == "1").then_some(true),
        }
    }

    fn overdue(&self) -> bool {
        self.overdue == "1"
    }
}

struct DangerLine {
    id: i64,
    enterprise: String,
    location: String,
    description: String,
    grade: String,
    major: bool,
    state: String,
    deadline: String,
    overdue: bool,
    listed: bool,
}

#[derive(Template)]
#[template(path = "hidden_dangers/dangers.html")]
struct ListPage {
    c: Chrome,
    lines: Vec<DangerLine>,
    /// How many match in all (the list shows one page of them).
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    region_options: Vec<SelectOption>,
    state_options: Vec<SelectOption>,
    params: ListParams,
    query_string: String,
    can_report: bool,
    /// Reminders and escalations addressed to the caller's unit.
    notices: Vec<(i64, String)>,
}

fn state_label(c: &Chrome, key: &str) -> String {
    DangerState::from_key(key).map(|s| s.label(c.t.is_en()).to_owned()).unwrap_or_else(|| key.to_owned())
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<ListParams>) -> Response {
    let page = params.page.unwrap_or(1).clamp(1, 1_000_000);
    let found = match state.app.danger_page(&user.actor, &user.client, &params.filter(), params.overdue(), page, DANGER_PAGE_SIZE).await {
        Ok(found) => found,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let (rows, total) = (found.items, found.total);
    let pages = ((total + DANGER_PAGE_SIZE - 1) / DANGER_PAGE_SIZE).max(1);
    let query_string = serde_urlencoded::to_string(&params).unwrap_or_default();
    let page_url = |n: i64| if query_string.is_empty() { format!("/dangers?page={n}") } else { format!("/dangers?{query_string}&page={n}") };
    let (prev_url, next_url) = ((page > 1).then(|| page_url((page - 1).min(pages))), (page < pages).then(|| page_url(page + 1)));
    let c = chrome(&state, &headers, &user.session, "/dangers", Some(&user.actor)).await;
    let mut region_options = Vec::new();
    if let Some(path) = &user.actor.region_path {
        for region in state.app.regions_under(path).await.unwrap_or_default() {
            if region.level != domain::region::RegionLevel::Province {
                region_options.push(SelectOption { selected: region.code.as_str() == params.region, code: region.code.to_string(), label: region.name });
            }
        }
    }
    let lines = rows
        .iter()
        .map(|row| {
            let json = danger_json(row);
            DangerLine {
                id: row.id,
                enterprise: row.enterprise_name.clone(),
                location: row.location.clone(),
                description: row.description.clone(),
                grade: row.grade.label(c.t.is_en()).to_owned(),
                major: row.grade == DangerGrade::Major,
                state: row.state.label(c.t.is_en()).to_owned(),
                deadline: row.deadline.clone().unwrap_or_default(),
                overdue: json.overdue,
                listed: json.listed,
            }
        })
        .collect();
    let list = ListPage {
        lines,
        total,
        page,
        pages,
        prev_url,
        next_url,
        region_options,
        state_options: DangerState::ALL
            .iter()
            .map(|s| SelectOption { code: s.key().into(), label: s.label(c.t.is_en()).into(), selected: s.key() == params.state })
            .collect(),
        query_string: serde_urlencoded::to_string(&params).unwrap_or_default(),
        notices: state
            .app
            .danger_notices(&user.actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|n| (n.danger_id, c.t.render(&domain::message::Message::from_stored(&n.message))))
            .collect(),
        // The form picks the enterprise; any the user may report at will do to show the button.
        can_report: app::policy::allows(&user.actor, Action::ReportDanger { enterprise_id: user.actor.enterprise_id.unwrap_or_default() }),
        params,
        c,
    };
    render(&list)
}

async fn export_xlsx(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<ListParams>) -> Response {
    let rows = match state.app.danger_list(&user.actor, &user.client, &params.filter(), params.overdue()).await {
        Ok(rows) => rows,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    // In the reader's language, headings and the words in the cells alike.
    let english = crate::i18n::english(&headers);
    let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
    let columns = [
        Column { heading: say("编号", "No."), width: 8.0 },
        Column { heading: say("企业", "Enterprise"), width: 30.0 },
        Column { heading: say("部位", "Location"), width: 16.0 },
        Column { heading: say("隐患描述", "Description"), width: 40.0 },
        Column { heading: say("来源", "Source"), width: 10.0 },
        Column { heading: say("等级", "Grade"), width: 6.0 },
        Column { heading: say("状态", "State"), width: 10.0 },
        Column { heading: say("整改期限", "Deadline"), width: 12.0 },
        Column { heading: say("责任人", "Responsible"), width: 10.0 },
        Column { heading: say("挂牌督办", "Listed for supervision"), width: 8.0 },
    ];
    let table = rows.iter().map(|row| {
        vec![
            row.id.to_string(),
            row.enterprise_name.clone(),
            row.location.clone(),
            row.description.clone(),
            row.source.label(english).to_owned(),
            row.grade.label(english).to_owned(),
            row.state.label(english).to_owned(),
            row.deadline.clone().unwrap_or_default(),
            row.responsible_person.clone(),
            if row.listed_by_unit_id.is_some() { say("是", "yes").to_owned() } else { String::new() },
        ]
    });
    let export = app::exports::Export {
        action: "hidden_danger.export",
        target: "hidden_dangers".into(),
        format: SpreadsheetFormat::Xlsx,
        sheet_name: say("隐患", "Hidden dangers"),
        columns: &columns,
        details: serde_json::Value::Null,
    };
    match state.app.export_table(&user.actor, &user.client, export, table).await {
        Ok(bytes) => download(bytes, SpreadsheetFormat::Xlsx, "hidden-dangers.xlsx"),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "hidden_dangers/danger_new.html")]
struct NewPage {
    c: Chrome,
    enterprise_id: i64,
    enterprise_name: String,
    source_options: Vec<SelectOption>,
    form: DangerInput,
    errors: Vec<String>,
    /// The earliest deadline the form offers.
    today: String,
}

#[derive(Deserialize, Default)]
struct NewQuery {
    enterprise: Option<i64>,
    /// A source and its reference to preselect, e.g. `accident` and `accident:12` from an accident.
    source: Option<String>,
    source_ref: Option<String>,
}

async fn new_response(state: &AppState, headers: &HeaderMap, user: &PageUser, enterprise_id: i64, form: DangerInput, errors: Vec<String>) -> Response {
    let enterprise = match state.app.enterprise(&user.actor, &user.client, enterprise_id).await {
        Ok(enterprise) => enterprise,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, "/dangers/new", Some(&user.actor)).await;
    let source_options = DangerSource::ALL
        .iter()
        .map(|s| SelectOption { code: s.key().into(), label: c.t.get(&format!("danger.source.{}", s.key())).to_owned(), selected: s.key() == form.source })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (
        status,
        render(&NewPage {
            c,
            enterprise_id,
            enterprise_name: enterprise.enterprise.name.clone(),
            source_options,
            form,
            errors,
            today: domain::time::today().to_string(),
        }),
    )
        .into_response()
}

/// The report form for an enterprise: the user's own, or the one named in `?enterprise=`; a
/// regulator without one is sent to pick it from the registry.
async fn new_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<NewQuery>) -> Response {
    if !app::policy::allows(&user.actor, Action::ReportDanger { enterprise_id: user.actor.enterprise_id.unwrap_or_default() }) {
        let error = state.app.denied(&user.actor, &user.client, "hidden_danger.report", "hidden_dangers".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    match query.enterprise.or(user.actor.enterprise_id) {
        Some(enterprise_id) => {
            let source_ref = query.source_ref.map(|r| r.chars().take(200).collect::<String>()).filter(|r| !r.trim().is_empty());
            let form = DangerInput { enterprise_id, source: query.source.unwrap_or_default(), source_ref, ..Default::default() };
            new_response(&state, &headers, &user, enterprise_id, form, Vec::new()).await
        }
        None => Redirect::to("/enterprises").into_response(),
    }
}

async fn report(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<DangerInput>) -> Response {
    match state.app.report_danger(&user.actor, &user.client, &form).await {
        Ok(row) => Redirect::to(&format!("/dangers/{}", row.id)).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let enterprise_id = form.enterprise_id;
            new_response(&state, &headers, &user, enterprise_id, form, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "hidden_dangers/danger.html")]
struct DetailPage {
    c: Chrome,
    d: app::hidden_dangers::DangerJson,
    grade: String,
    state: String,
    plan: Vec<(String, String)>,
    source_label: String,
    /// (time, who, what, note)
    history: Vec<(String, String, String, String)>,
    allowed: Vec<&'static str>,
    can_list: bool,
    /// Experts a regulator may assign to verify a 重大 danger.
    experts: Vec<SelectOption>,
    photos: Vec<(i64, String)>,
    can_add_photos: bool,
    errors: Vec<String>,
}

impl DetailPage {
    fn allows(&self, action: &str) -> bool {
        self.allowed.contains(&action)
    }
}

async fn detail_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let view = match state.app.danger_view(&user.actor, &user.client, id).await {
        Ok(view) => view,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, &format!("/dangers/{id}"), Some(&user.actor)).await;
    let plan = match &view.danger.plan {
        Some(serde_json::Value::Object(map)) => domain::hidden_dangers::PLAN_ELEMENTS
            .iter()
            .map(|key| (c.t.get(&format!("danger.plan.{key}")).to_owned(), map.get(*key).and_then(|v| v.as_str()).unwrap_or("").to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    let assigns_experts = app::policy::allows(&user.actor, Action::AssignExpertToDanger);
    let experts = if assigns_experts && view.danger.grade == "major" && view.danger.state != "closed" {
        crate::experts::pages::expert_options(state, user).await
    } else {
        Vec::new()
    };
    let photos = state.app.danger_photos(&user.actor, &user.client, id).await.unwrap_or_default().into_iter().map(|p| (p.id, p.file_name)).collect();
    let can_add_photos = app::policy::allows(&user.actor, Action::AddDangerPhotos { enterprise_id: view.danger.enterprise_id });
    let page = DetailPage {
        photos,
        can_add_photos,
        experts,
        grade: DangerGrade::from_key(&view.danger.grade).map(|g| g.label(c.t.is_en())).unwrap_or("").to_owned(),
        state: state_label(&c, &view.danger.state),
        can_list: view.danger.grade == "major" && app::policy::allows(&user.actor, Action::ListDangerSupervision),
        source_label: c.t.get(&format!("danger.source.{}", view.danger.source)).to_owned(),
        d: view.danger,
        plan,
        history: view.history.into_iter().map(|e| (e.at, e.actor, c.t.get(&format!("danger.action.{}", e.action)).to_owned(), e.note)).collect(),
        allowed: view.allowed_actions,
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn detail_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    detail_response(&state, &headers, &user, id, Vec::new(), StatusCode::OK).await
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DangerActionInput>,
) -> Response {
    match state.app.act_on_danger(&user.actor, &user.client, id, &form).await {
        Ok(_) => Redirect::to(&format!("/dangers/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            detail_response(
                &state,
                &headers,
                &user,
                id,
                crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(app::AppError::IllegalTransition(message)) => {
            detail_response(&state, &headers, &user, id, crate::pages::rendered(&headers, [message]), StatusCode::CONFLICT).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct ListingForm {
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    notice: String,
}

async fn listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ListingForm>,
) -> Response {
    match state.app.list_danger(&user.actor, &user.client, id, &form.deadline, &form.notice).await {
        Ok(()) => Redirect::to(&format!("/dangers/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            detail_response(
                &state,
                &headers,
                &user,
                id,
                crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn upload_photos(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    // Refused before the body is read: the upload may be 100 MiB.
    if let Err(error) = state.app.may_add_danger_photos(&user.actor, &user.client, id).await {
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let mut files = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("photos") => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) if file_name.is_empty() && bytes.is_empty() => {}
                    Ok(bytes) => files.push(app::workplans::UploadedFile { file_name, bytes: bytes.to_vec() }),
                    Err(_) => {
                        return detail_response(
                            &state,
                            &headers,
                            &user,
                            id,
                            crate::pages::rendered(&headers, [domain::message!("hidden_dangers.upload_failed_too_large")]),
                            StatusCode::PAYLOAD_TOO_LARGE,
                        )
                        .await;
                    }
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(_) => {
                return detail_response(
                    &state,
                    &headers,
                    &user,
                    id,
                    crate::pages::rendered(&headers, [domain::message!("hidden_dangers.upload_could_not_read")]),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        }
    }
    match state.app.add_danger_photos(&user.actor, &user.client, id, files).await {
        Ok(()) => crate::pages::see_other(&headers, &format!("/dangers/{id}")),
        Err(app::AppError::Invalid(fields)) => {
            detail_response(
                &state,
                &headers,
                &user,
                id,
                crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// A photo, shown inline (only JPEG and PNG are ever stored, their type checked from the bytes).
async fn photo(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.danger_photo(&user.actor, &user.client, id).await {
        Ok((content_type, bytes)) => {
            let mut response = bytes.into_response();
            if let Ok(value) = axum::http::HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(axum::http::header::CONTENT_TYPE, value);
            }
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
