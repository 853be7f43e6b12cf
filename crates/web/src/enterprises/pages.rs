//! The enterprise registry's pages: list with filters, detail, create, edit, import (CSV/XLSX
//! with a template) and export.

use app::enterprises::ListQuery;
use app::policy::{self, Action};
use app::spreadsheet::{ImportReport, SpreadsheetFormat};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::enterprises::{EnterpriseInput, HighRiskSector, IndustrySection, Scale, StandardizationGrade};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, download, error_page, label, render};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/enterprises", get(enterprise_list))
        .route("/enterprises/new", get(enterprise_new).post(enterprise_create))
        .route("/enterprises/import", get(import_page).post(import_submit).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_BYTES_MAX)))
        .route("/enterprises/template.csv", get(import_template))
        .route("/enterprises/export.csv", get(export_csv))
        .route("/enterprises/export.xlsx", get(export_xlsx))
        .route("/enterprises/{id}", get(enterprise_detail))
        .route("/enterprises/{id}/edit", get(enterprise_edit).post(enterprise_update))
}

struct ListRow {
    id: i64,
    name: String,
    credit_code: String,
    region_name: String,
    industry: String,
    standardization: String,
    credit_grade: &'static str,
    credit_grade_key: &'static str,
}

#[derive(Template)]
#[template(path = "enterprises/enterprises.html")]
struct EnterpriseListPage {
    c: Chrome,
    q: String,
    region_options: Vec<SelectOption>,
    sector_options: Vec<SelectOption>,
    rows: Vec<ListRow>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    query_string: String,
    can_create: bool,
    can_import: bool,
    can_export: bool,
}

#[derive(Deserialize, Default, Clone, serde::Serialize)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    page: Option<i64>,
}

impl ListParams {
    fn query(&self) -> ListQuery {
        ListQuery {
            query: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            region_code: Some(self.region.clone()).filter(|r| !r.is_empty()),
            sector: Some(self.sector.clone()).filter(|s| !s.is_empty()),
            industry: None,
        }
    }

    fn url(&self, page: Option<i64>) -> String {
        let mut copy = self.clone();
        copy.page = page;
        serde_urlencoded::to_string(&copy).unwrap_or_default()
    }
}

const PAGE_SIZE: i64 = 50;

async fn enterprise_list(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<ListParams>) -> Response {
    let page = params.page.unwrap_or(1).max(1);
    let result = match state.app.list_enterprises(&user.actor, &user.client, &params.query(), page, PAGE_SIZE).await {
        Ok(result) => result,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, &format!("/enterprises?{}", params.url(Some(page))), Some(&user.actor)).await;
    let t = c.t;
    let mut region_options = Vec::new();
    if let Some(path) = &user.actor.region_path {
        let regions = state.app.regions_under(path).await.unwrap_or_default();
        for region in regions.iter().filter(|r| r.level != domain::region::RegionLevel::Province) {
            let indent = if region.level == domain::region::RegionLevel::County { "　" } else { "" };
            region_options.push(SelectOption {
                code: region.code.to_string(),
                label: format!("{indent}{}", region.name),
                selected: region.code.as_str() == params.region,
            });
        }
    }
    let sector_options = HighRiskSector::ALL
        .iter()
        .map(|s| SelectOption { code: s.key().into(), label: label(t, s.label_zh(), s.label_en()), selected: s.key() == params.sector })
        .collect();
    let industry_label = |key: &str| IndustrySection::parse(key).map(|i| label(t, i.label_zh(), i.label_en())).unwrap_or_else(|| key.to_owned());
    let grade_label = |key: &str| StandardizationGrade::parse(key).map(|g| label(t, g.label_zh(), g.label_en())).unwrap_or_else(|| key.to_owned());
    let rows = result
        .items
        .into_iter()
        .map(|e| ListRow {
            id: e.id,
            industry: industry_label(&e.industry),
            standardization: grade_label(&e.standardization),
            credit_grade: e.credit_grade.label(t.is_en()),
            credit_grade_key: e.credit_grade.key(),
            name: e.name,
            credit_code: e.credit_code,
            region_name: e.region_name,
        })
        .collect();
    let pages = ((result.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_view = EnterpriseListPage {
        q: params.q.clone(),
        region_options,
        sector_options,
        rows,
        total: result.total,
        page,
        pages,
        prev_url: (page > 1).then(|| format!("/enterprises?{}", params.url(Some(page - 1)))),
        next_url: (page < pages).then(|| format!("/enterprises?{}", params.url(Some(page + 1)))),
        query_string: params.url(None),
        can_create: may_create_enterprises(&user.actor),
        can_import: policy::allows(&user.actor, Action::ImportEnterprises),
        can_export: policy::allows(&user.actor, Action::ExportEnterprises),
        c,
    };
    render(&page_view)
}

#[derive(Template)]
#[template(path = "enterprises/enterprise.html")]
struct EnterpriseDetailPage {
    c: Chrome,
    id: i64,
    e: EnterpriseInput,
    region_name: String,
    location: String,
    industry: String,
    sectors: Vec<String>,
    scale: String,
    standardization: String,
    /// Each licence as shown, and `expired`, `expiring` (within 90 days) or nothing.
    licences: Vec<(String, &'static str)>,
    insurance: String,
    credit_grade: &'static str,
    credit_grade_key: &'static str,
    can_edit: bool,
    /// Whether the caller may register the enterprise's major hazard sources.
    can_register_sources: bool,
}

async fn enterprise_detail(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let stored = match state.app.enterprise(&user.actor, &user.client, id).await {
        Ok(stored) => stored,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let region_path = state.app.region(stored.enterprise.region_code.as_str()).await.map(|r| r.path).unwrap_or_default();
    let grade = match state.app.enterprise_credit_grade(&user.actor, &user.client, id).await {
        Ok(grade) => grade,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, &format!("/enterprises/{id}"), Some(&user.actor)).await;
    let t = c.t;
    let e = &stored.enterprise;
    let page = EnterpriseDetailPage {
        id,
        e: e.to_input(),
        region_name: stored.region_name.clone(),
        location: e.location.as_ref().map(|l| format!("{:.4}, {:.4}", l.longitude, l.latitude)).unwrap_or_else(|| "—".into()),
        industry: format!("{} {}", e.industry.key(), label(t, e.industry.label_zh(), e.industry.label_en())),
        sectors: e.sectors.iter().map(|s| label(t, s.label_zh(), s.label_en())).collect(),
        scale: label(t, e.scale.label_zh(), e.scale.label_en()),
        standardization: label(t, e.standardization.label_zh(), e.standardization.label_en()),
        licences: e
            .licences
            .iter()
            .map(|l| {
                let flag = l.flag(domain::time::today()).unwrap_or("");
                (format!("{} {} ({} {})", l.kind, l.number, t.get("field.expires_on"), l.expires_on), flag)
            })
            .collect(),
        insurance: e
            .insurance
            .as_ref()
            .map(|i| format!("{} · {} {} · {} {}", i.insurer, i.cover_per_person_yuan, t.get("unit.yuan_per_person"), t.get("field.expires_on"), i.expires_on))
            .unwrap_or_else(|| "—".into()),
        credit_grade: grade.label(t.is_en()),
        credit_grade_key: grade.key(),
        can_edit: policy::allows(&user.actor, Action::EditEnterprise { enterprise_id: id, region_path: &region_path }),
        can_register_sources: state.app.may_manage_sources(&user.actor, &user.client, id).await,
        c,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "enterprises/enterprise_form.html")]
struct EnterpriseFormPage {
    c: Chrome,
    heading: String,
    action: String,
    cancel_url: String,
    version: i64,
    f: EnterpriseInput,
    errors: Vec<String>,
    industry_options: Vec<SelectOption>,
    scale_options: Vec<SelectOption>,
    grade_options: Vec<SelectOption>,
    /// The counties the caller registers in, for the region field's suggestions.
    region_options: Vec<SelectOption>,
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &PageUser,
    heading_key: &str,
    action: String,
    cancel_url: String,
    version: i64,
    f: EnterpriseInput,
    errors: Vec<String>,
) -> Response {
    let c = chrome(state, headers, &user.session, &action, Some(&user.actor)).await;
    let t = c.t;
    let industry_options = IndustrySection::ALL
        .iter()
        .map(|i| SelectOption {
            code: i.key().into(),
            label: format!("{} {}", i.key(), label(t, i.label_zh(), i.label_en())),
            selected: IndustrySection::parse(&f.industry) == Some(*i),
        })
        .collect();
    let scale_options = Scale::ALL
        .iter()
        .map(|s| SelectOption { code: s.key().into(), label: label(t, s.label_zh(), s.label_en()), selected: Scale::parse(&f.scale) == Some(*s) })
        .collect();
    let grade_options = StandardizationGrade::ALL
        .iter()
        .map(|g| SelectOption {
            code: g.key().into(),
            label: label(t, g.label_zh(), g.label_en()),
            selected: StandardizationGrade::parse(&f.standardization) == Some(*g),
        })
        .collect();
    // The counties of the caller's territory, offered as the region field is typed (by code or name).
    let region_options = state
        .app
        .counties_for_registration(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| SelectOption { selected: r.code.as_str() == f.region_code, code: r.code.as_str().to_owned(), label: r.name })
        .collect();
    let heading = t.get(heading_key).to_owned();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = EnterpriseFormPage { c, heading, action, cancel_url, version, f, errors, industry_options, scale_options, grade_options, region_options };
    (status, render(&page)).into_response()
}

/// Whether the actor may register enterprises somewhere in its own territory.
fn may_create_enterprises(actor: &app::Actor) -> bool {
    actor.region_path.as_deref().is_some_and(|path| policy::allows(actor, Action::CreateEnterprise { region_path: path }))
}

async fn enterprise_new(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    if !may_create_enterprises(&user.actor) {
        let error = state.app.denied(&user.actor, &user.client, "enterprise.create", "enterprises".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    form_page(&state, &headers, &user, "enterprise.new_title", "/enterprises/new".into(), "/enterprises".into(), 0, EnterpriseInput::default(), Vec::new())
        .await
}

#[derive(Deserialize)]
struct EnterpriseForm {
    #[serde(default)]
    version: i64,
    #[serde(flatten)]
    fields: EnterpriseInput,
}

fn field_messages(headers: &HeaderMap, error: &app::AppError) -> Option<Vec<String>> {
    match error {
        app::AppError::Invalid(fields) => Some(crate::pages::rendered(headers, fields.iter().map(|f| f.message.clone()))),
        app::AppError::Conflict(message) | app::AppError::BadRequest(message) => Some(vec![crate::pages::text(headers, message)]),
        _ => None,
    }
}

async fn enterprise_create(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<EnterpriseForm>) -> Response {
    match state.app.create_enterprise(&user.actor, &user.client, &form.fields).await {
        Ok(id) => Redirect::to(&format!("/enterprises/{id}")).into_response(),
        Err(error) => match field_messages(&headers, &error) {
            Some(messages) => {
                form_page(&state, &headers, &user, "enterprise.new_title", "/enterprises/new".into(), "/enterprises".into(), 0, form.fields, messages).await
            }
            None => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
        },
    }
}

async fn enterprise_edit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let stored = state.app.enterprise(&user.actor, &user.client, id).await;
    let region_path = match &stored {
        Ok(stored) => state.app.region(stored.enterprise.region_code.as_str()).await.map(|r| r.path).unwrap_or_default(),
        Err(_) => String::new(),
    };
    match stored {
        Ok(_) if !policy::allows(&user.actor, Action::EditEnterprise { enterprise_id: id, region_path: &region_path }) => {
            let error = state.app.denied(&user.actor, &user.client, "enterprise.update", format!("enterprise:{id}")).await;
            error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await
        }
        Ok(stored) => {
            form_page(
                &state,
                &headers,
                &user,
                "enterprise.edit_title",
                format!("/enterprises/{id}/edit"),
                format!("/enterprises/{id}"),
                stored.version,
                stored.enterprise.to_input(),
                Vec::new(),
            )
            .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn enterprise_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<EnterpriseForm>,
) -> Response {
    match state.app.update_enterprise(&user.actor, &user.client, id, form.version, &form.fields).await {
        Ok(()) => Redirect::to(&format!("/enterprises/{id}")).into_response(),
        Err(error) => match field_messages(&headers, &error) {
            Some(messages) => {
                form_page(
                    &state,
                    &headers,
                    &user,
                    "enterprise.edit_title",
                    format!("/enterprises/{id}/edit"),
                    format!("/enterprises/{id}"),
                    form.version,
                    form.fields,
                    messages,
                )
                .await
            }
            None => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
        },
    }
}

#[derive(Template)]
#[template(path = "enterprises/import.html")]
struct ImportPage {
    c: Chrome,
}

async fn import_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    if !policy::allows(&user.actor, Action::ImportEnterprises) {
        let error = state.app.denied(&user.actor, &user.client, "enterprise.import", "enterprises".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let c = chrome(&state, &headers, &user.session, "/enterprises/import", Some(&user.actor)).await;
    render(&ImportPage { c })
}

#[derive(Template)]
#[template(path = "enterprises/import_result.html")]
struct ImportResult {
    c: Chrome,
    error: Option<String>,
    imported: usize,
    created: usize,
    updated: usize,
    /// Rejected rows: line and reason, in the page's language.
    rejected: Vec<(usize, String)>,
}

async fn import_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, mut multipart: Multipart) -> Response {
    // Refused before the file is read.
    if !policy::allows(&user.actor, Action::ImportEnterprises) {
        let error = state.app.denied(&user.actor, &user.client, "enterprise.import", "enterprises".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let c = chrome(&state, &headers, &user.session, "/enterprises/import", Some(&user.actor)).await;
    let mut result = ImportResult { c, error: None, imported: 0, created: 0, updated: 0, rejected: Vec::new() };
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes.to_vec())),
                    Err(_) => {
                        result.error = Some(result.c.t.get("import.too_large").to_owned());
                        return (StatusCode::PAYLOAD_TOO_LARGE, render(&result)).into_response();
                    }
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(_) => {
                result.error = Some(result.c.t.get("import.bad_upload").to_owned());
                return (StatusCode::BAD_REQUEST, render(&result)).into_response();
            }
        }
    }
    let Some((name, bytes)) = file else {
        result.error = Some(result.c.t.get("import.no_file").to_owned());
        return (StatusCode::BAD_REQUEST, render(&result)).into_response();
    };
    let Some(format) = SpreadsheetFormat::from_file_name(&name) else {
        result.error = Some(result.c.t.get("import.bad_type").to_owned());
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, render(&result)).into_response();
    };
    match state.app.import_enterprises(&user.actor, &user.client, format, &bytes).await {
        Ok(ImportReport { imported, created, updated, rejected }) => {
            result.imported = imported;
            result.created = created;
            result.updated = updated;
            result.rejected = rejected.into_iter().map(|r| (r.line, result.c.t.render(&r.reason))).collect();
            render(&result)
        }
        Err(error) => {
            let api: ApiError = error.into();
            result.error = Some(crate::pages::text(&headers, &api.message));
            (api.status, render(&result)).into_response()
        }
    }
}

async fn import_template(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    if !policy::allows(&user.actor, Action::ImportEnterprises) {
        let error = state.app.denied(&user.actor, &user.client, "enterprise.import", "enterprises".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let english = crate::i18n::english(&headers);
    match app::spreadsheet::write_enterprise_rows(SpreadsheetFormat::Csv, &[app::enterprises::sample_enterprise()], english) {
        Ok(bytes) => download(bytes, SpreadsheetFormat::Csv, "enterprise-template.csv"),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn export(state: AppState, headers: HeaderMap, user: PageUser, params: ListParams, format: SpreadsheetFormat) -> Response {
    let english = crate::i18n::english(&headers);
    match state.app.export_enterprises(&user.actor, &user.client, &params.query(), format, english).await {
        Ok(bytes) => download(bytes, format, &format!("enterprises.{}", format.extension())),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn export_csv(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<ListParams>) -> Response {
    export(state, headers, user, params, SpreadsheetFormat::Csv).await
}

async fn export_xlsx(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(params): Query<ListParams>) -> Response {
    export(state, headers, user, params, SpreadsheetFormat::Xlsx).await
}
