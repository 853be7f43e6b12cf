//! Work-plan pages: the plan list, importing a plan document, the items × units matrix with its
//! filters and export, a unit's inbox and overdue list, and an assignment's page where units
//! report with evidence, reviewers accept or return, and the office reopens work in 回头看 rounds.

use app::spreadsheet::SpreadsheetFormat;
use app::workplans::{AssignmentView, UploadedFile, status_label};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, download, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", get(plan_list))
        .route(
            "/plans/import",
            get(import_page).post(import_submit).layer(axum::extract::DefaultBodyLimit::max(app::documents::DOCUMENT_BYTES_MAX + 64 * 1024)),
        )
        .route("/plans/{id}", get(matrix_page))
        .route("/plans/{id}/export.xlsx", get(export_xlsx))
        .route("/plans/{id}/progress.xlsx", get(progress_xlsx))
        .route("/plans/{id}/rounds", post(open_round))
        .route("/plans/{id}/resolve", post(resolve_name))
        .route("/assignments", get(inbox))
        .route("/assignments/{id}", get(assignment_page))
        .route("/assignments/{id}/start", post(start))
        .route(
            "/assignments/{id}/report",
            post(report).layer(axum::extract::DefaultBodyLimit::max(app::workplans::ATTACHMENTS_MAX * app::workplans::ATTACHMENT_BYTES_MAX + 64 * 1024)),
        )
        .route("/assignments/{id}/review", post(review))
        .route("/assignments/{id}/withdraw", post(withdraw))
        .route("/assignments/{id}/reopen", post(reopen))
        .route("/assignments/{id}/deadlines", post(set_deadlines))
        .route("/assignments/{id}/decompose", post(decompose))
        .route("/attachments/{id}", get(attachment))
}

/// The label of a status for the page's language, with `overdue` shown as such.
fn status_text(c: &Chrome, cell: &AssignmentView) -> String {
    if cell.overdue {
        return c.t.get("status.overdue").to_owned();
    }
    status_label(&cell.status, c.t.is_en()).to_owned()
}

struct PlanLine {
    id: i64,
    year: i64,
    title: String,
    manages: bool,
}

#[derive(Template)]
#[template(path = "workplans/plans.html")]
struct PlanListPage {
    c: Chrome,
    plans: Vec<PlanLine>,
    can_import: bool,
}

async fn plan_list(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let plans = match state.app.visible_plans(&user.actor, &user.client).await {
        Ok(plans) => plans,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/plans", Some(&user.actor)).await;
    let can_import = may_import(&user.actor);
    render(&PlanListPage { c, plans: plans.into_iter().map(|p| PlanLine { id: p.id, year: p.year, title: p.title, manages: p.manages }).collect(), can_import })
}

fn may_import(actor: &app::Actor) -> bool {
    actor.region_path.as_deref().is_some_and(|path| app::policy::allows(actor, app::policy::Action::ManageWorkPlan { region_path: path }))
}

#[derive(Template)]
#[template(path = "workplans/plan_import.html")]
struct ImportPage {
    c: Chrome,
    year: i64,
    error: Option<String>,
    result: Option<app::workplans::PlanImport>,
}

fn current_year() -> i64 {
    i64::from(domain::time::this_year())
}

async fn import_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    if !may_import(&user.actor) {
        let error = state.app.denied(&user.actor, &user.client, "workplan.import", "work_plans".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let c = chrome(&state, &headers, &user.session, "/plans/import", Some(&user.actor)).await;
    render(&ImportPage { c, year: current_year(), error: None, result: None })
}

async fn import_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, mut multipart: Multipart) -> Response {
    // Refused before the document is read.
    if !may_import(&user.actor) {
        let error = state.app.denied(&user.actor, &user.client, "workplan.import", "work_plans".into()).await;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let c = chrome(&state, &headers, &user.session, "/plans/import", Some(&user.actor)).await;
    let mut page = ImportPage { year: current_year(), error: None, result: None, c };
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, bytes.to_vec())),
                        Err(_) => {
                            page.error = Some(crate::pages::text(&headers, &app::documents::DocumentError::TooLarge.message()));
                            return (StatusCode::PAYLOAD_TOO_LARGE, render(&page)).into_response();
                        }
                    }
                }
                Some("year") => {
                    let text = field.text().await.unwrap_or_default();
                    match text.trim().parse::<i64>() {
                        Ok(year) => page.year = year,
                        Err(_) => {
                            page.error = Some(crate::pages::text(
                                &headers,
                                &domain::message!("workplans.year_not_number", value = text.chars().take(10).collect::<String>()),
                            ));
                            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
                        }
                    }
                }
                _ => continue,
            },
            Ok(None) => break,
            Err(_) => {
                page.error = Some(page.c.t.get("import.bad_upload").to_owned());
                return (StatusCode::BAD_REQUEST, render(&page)).into_response();
            }
        }
    }
    let Some((name, bytes)) = file else {
        page.error = Some(page.c.t.get("import.no_file").to_owned());
        return (StatusCode::BAD_REQUEST, render(&page)).into_response();
    };
    let text = match app::documents::document_text(&name, &bytes) {
        Ok(text) => text,
        Err(error) => {
            page.error = Some(crate::pages::text(&headers, &error.message()));
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
    };
    let year = i16::try_from(page.year).unwrap_or(0);
    match state.app.import_plan(&user.actor, &user.client, &text, year).await {
        Ok(result) => {
            page.result = Some(result);
            render(&page)
        }
        Err(error) => {
            let api: ApiError = error.into();
            page.error = Some(crate::pages::text(&headers, &api.message));
            (api.status, render(&page)).into_response()
        }
    }
}

struct MatrixLine {
    task_id: i64,
    section: String,
    item_number: i64,
    title: String,
    /// One entry per column: the assignment there, if any.
    cells: Vec<Option<CellView>>,
}

struct CellView {
    id: i64,
    class: String,
    label: String,
    lead: bool,
}

struct UnresolvedLine {
    name: String,
    items: String,
    /// The likeliest units for the name, offered first.
    suggestions: Vec<SelectOption>,
}

#[derive(Template)]
#[template(path = "workplans/plan_matrix.html")]
struct MatrixPage {
    c: Chrome,
    plan_id: i64,
    title: String,
    year: i64,
    manages: bool,
    columns: Vec<(i64, String)>,
    lines: Vec<MatrixLine>,
    section_options: Vec<SelectOption>,
    unit_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    counts: Vec<(String, String, usize)>,
    unresolved: Vec<UnresolvedLine>,
    unit_choices: Vec<SelectOption>,
    rounds: Vec<String>,
}

#[derive(Deserialize, Default)]
struct MatrixFilter {
    #[serde(default)]
    section: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    status: String,
}

/// The class of a cell: its status, or `overdue`.
fn cell_class(cell: &AssignmentView) -> String {
    if cell.overdue { "st-overdue".into() } else { format!("st-{}", cell.status) }
}

async fn matrix_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, Query(filter): Query<MatrixFilter>) -> Response {
    let matrix = match state.app.plan_matrix(&user.actor, &user.client, id).await {
        Ok(matrix) => matrix,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, &format!("/plans/{id}"), Some(&user.actor)).await;
    let unit_filter: Option<i64> = filter.unit.parse().ok();
    let matches_status = |cell: &AssignmentView| match filter.status.as_str() {
        "" => true,
        "overdue" => cell.overdue,
        status => cell.status == status && !cell.overdue,
    };
    let columns: Vec<(i64, String)> = matrix.units.iter().filter(|(unit, _)| unit_filter.is_none_or(|u| u == *unit)).cloned().collect();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut lines = Vec::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    for row in &matrix.rows {
        if !sections.iter().any(|(number, _)| *number == row.section_number) {
            sections.push((row.section_number.clone(), row.section_title.clone()));
        }
        if !filter.section.is_empty() && filter.section != row.section_number {
            continue;
        }
        let visible: Vec<&AssignmentView> = row.cells.iter().filter(|cell| matches_status(cell) && unit_filter.is_none_or(|u| u == cell.unit_id)).collect();
        if visible.is_empty() && (!filter.status.is_empty() || unit_filter.is_some()) {
            continue;
        }
        for cell in &visible {
            *counts.entry(cell_class(cell)).or_default() += 1;
        }
        lines.push(MatrixLine {
            task_id: row.task_id,
            section: row.section_number.clone(),
            item_number: row.item_number,
            title: row.title.clone(),
            cells: columns
                .iter()
                .map(|(unit, _)| {
                    visible.iter().find(|cell| cell.unit_id == *unit).map(|cell| CellView {
                        id: cell.id,
                        class: cell_class(cell),
                        label: status_text(&c, cell),
                        lead: cell.role == "lead",
                    })
                })
                .collect(),
        });
    }
    let status_keys = ["not_started", "in_progress", "reported", "accepted", "reopened", "overdue"];
    let status_label = |key: &str| match key {
        "overdue" => c.t.get("status.overdue").to_owned(),
        key => status_label(key, c.t.is_en()).to_owned(),
    };
    let counts = status_keys.iter().map(|key| (format!("st-{key}"), status_label(key), counts.get(&format!("st-{key}")).copied().unwrap_or(0))).collect();
    let (unresolved, unit_choices, rounds) = if matrix.plan.manages {
        let rows = state.app.unresolved_units(&user.actor, &user.client, id).await.unwrap_or_default();
        let mut grouped: Vec<UnresolvedLine> = Vec::new();
        for row in rows {
            match grouped.iter_mut().find(|line| line.name == row.name) {
                Some(line) => line.items.push_str(&format!("、{}", row.item_number)),
                None => grouped.push(UnresolvedLine { name: row.name, items: row.item_number.to_string(), suggestions: Vec::new() }),
            }
        }
        let units = if grouped.is_empty() { Vec::new() } else { state.app.search_units(&user.actor, "", 500).await.unwrap_or_default() };
        // The likeliest units for each name first (most two-character pieces in common).
        for line in &mut grouped {
            let mut ranked: Vec<_> = units.iter().map(|u| (domain::unit::name_similarity(&line.name, &u.name), u)).filter(|(score, _)| *score > 0).collect();
            ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
            line.suggestions =
                ranked.into_iter().take(8).map(|(_, u)| SelectOption { code: u.id.to_string(), label: u.name.clone(), selected: false }).collect();
        }
        let choices = units.into_iter().map(|u| SelectOption { code: u.id.to_string(), label: u.name, selected: false }).collect();
        let rounds = state.app.review_rounds(&user.actor, id).await.unwrap_or_default().into_iter().map(|(_, name, _)| name).collect();
        (grouped, choices, rounds)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let page = MatrixPage {
        plan_id: id,
        title: matrix.plan.title.clone(),
        year: matrix.plan.year,
        manages: matrix.plan.manages,
        section_options: sections
            .into_iter()
            .map(|(number, title)| SelectOption { selected: number == filter.section, label: format!("{number} {title}"), code: number })
            .collect(),
        unit_options: matrix
            .units
            .iter()
            .map(|(unit, name)| SelectOption { code: unit.to_string(), label: name.clone(), selected: Some(*unit) == unit_filter })
            .collect(),
        status_options: status_keys.iter().map(|key| SelectOption { code: (*key).into(), label: status_label(key), selected: *key == filter.status }).collect(),
        columns,
        lines,
        counts,
        unresolved,
        unit_choices,
        rounds,
        c,
    };
    render(&page)
}

async fn export_xlsx(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.export_plan(&user.actor, &user.client, id, SpreadsheetFormat::Xlsx, crate::i18n::english(&headers)).await {
        Ok(bytes) => download(bytes, SpreadsheetFormat::Xlsx, &format!("work-plan-{id}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn progress_xlsx(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.export_progress(&user.actor, &user.client, id, SpreadsheetFormat::Xlsx, crate::i18n::english(&headers)).await {
        Ok(bytes) => download(bytes, SpreadsheetFormat::Xlsx, &format!("work-plan-{id}-progress.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct RoundForm {
    name: String,
}

async fn open_round(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RoundForm>,
) -> Response {
    match state.app.open_review_round(&user.actor, &user.client, id, &form.name).await {
        Ok(_) => Redirect::to(&format!("/plans/{id}")).into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct ResolveForm {
    name: String,
    unit_id: i64,
}

async fn resolve_name(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ResolveForm>,
) -> Response {
    match state.app.resolve_plan_unit(&user.actor, &user.client, id, &form.name, form.unit_id).await {
        Ok(_) => Redirect::to(&format!("/plans/{id}")).into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct InboxLine {
    id: i64,
    item_number: i64,
    title: String,
    unit: String,
    role: String,
    class: String,
    status: String,
    due: String,
}

#[derive(Template)]
#[template(path = "workplans/inbox.html")]
struct InboxPage {
    c: Chrome,
    overdue_only: bool,
    /// Only what waits for the caller's review.
    to_review: bool,
    lines: Vec<InboxLine>,
    /// How many in all (the list shows one page of them).
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// For the overdue list: how many overdue assignments each unit has, most first.
    by_unit: Vec<(String, i64)>,
    /// The same by region (the assigned units' regions).
    by_region: Vec<(String, i64)>,
    notices: Vec<(String, String, i64)>,
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    #[serde(default)]
    overdue: Option<String>,
    /// `1`: only the assignments whose reports wait for the caller's review (待我审核).
    #[serde(default)]
    review: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

/// Assignments on one page of the list.
const ASSIGNMENT_PAGE_SIZE: i64 = 50;

async fn inbox(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<InboxQuery>) -> Response {
    let overdue_only = query.overdue.is_some_and(|v| v == "1" || v == "true");
    let to_review = !overdue_only && query.review.is_some_and(|v| v == "1" || v == "true");
    // The whole list and the overdue list a page at a time; what waits for review is read whole.
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let listed = if to_review {
        state.app.assignments_to_review(&user.actor, &user.client).await.map(|list| (list.len() as i64, list))
    } else {
        state.app.assignment_page(&user.actor, &user.client, overdue_only, page, ASSIGNMENT_PAGE_SIZE).await.map(|page| (page.total, page.items))
    };
    let (total, list) = match listed {
        Ok(listed) => listed,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let pages = if to_review { 1 } else { ((total + ASSIGNMENT_PAGE_SIZE - 1) / ASSIGNMENT_PAGE_SIZE).max(1) };
    let list_url = if overdue_only { "/assignments?overdue=1&page=" } else { "/assignments?page=" };
    let prev_url = (page > 1 && pages > 1).then(|| format!("{list_url}{}", (page - 1).min(pages)));
    let next_url = (page < pages).then(|| format!("{list_url}{}", page + 1));
    let notices = state.app.notifications(&user.actor).await.unwrap_or_default();
    let c = chrome(&state, &headers, &user.session, "/assignments", Some(&user.actor)).await;
    let lines = list
        .iter()
        .map(|cell| InboxLine {
            id: cell.id,
            item_number: cell.item_number,
            title: cell.task_title.clone(),
            unit: cell.unit_name.clone(),
            role: c.t.get(if cell.role == "lead" { "plans.lead" } else { "plans.cooperating" }).to_owned(),
            class: cell_class(cell),
            status: status_text(&c, cell),
            due: if cell.half_year_reported || cell.annual_reported { cell.annual_due.clone() } else { cell.half_year_due.clone() },
        })
        .collect();
    let notices = notices
        .into_iter()
        .take(50)
        .map(|n| (app::audit::display_time(n.created_at), c.t.render(&domain::message::Message::from_stored(&n.message)), n.assignment_id))
        .collect();
    let (by_unit, by_region) = match overdue_only {
        true => match state.app.overdue_counts(&user.actor, &user.client).await {
            Ok(counts) => (counts.by_unit.clone(), counts.by_region.clone()),
            Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
        },
        false => Default::default(),
    };
    render(&InboxPage { c, overdue_only, to_review, lines, total, page, pages, prev_url, next_url, by_unit, by_region, notices })
}

struct ReportView {
    id: i64,
    /// Awaiting review: the reviewer decides it, its unit may withdraw it.
    pending: bool,
    period: String,
    body: String,
    by: String,
    at: String,
    review: String,
    comment: String,
    attachments: Vec<(i64, String, i64)>,
}

#[derive(Template)]
#[template(path = "workplans/assignment.html")]
struct AssignmentPage {
    c: Chrome,
    id: i64,
    plan_id: i64,
    item_number: i64,
    title: String,
    body: String,
    groups: Vec<String>,
    unit: String,
    named_as: String,
    role: String,
    class: String,
    status: String,
    half_year_due: String,
    annual_due: String,
    reports: Vec<ReportView>,
    reopenings: Vec<(String, String, String)>,
    rounds: Vec<SelectOption>,
    may_start: bool,
    may_report: bool,
    may_review: bool,
    may_reopen: bool,
    may_set_deadlines: bool,
    may_decompose: bool,
    errors: Vec<String>,
    /// What the user typed into the report form, shown again when it was refused.
    draft: ReportDraft,
}

/// A progress report as typed, kept across a refusal (an attachment of the wrong kind must not
/// cost the text).
#[derive(Default)]
struct ReportDraft {
    period: String,
    body: String,
}

async fn assignment_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>) -> Response {
    assignment_page_with(state, headers, user, id, errors, ReportDraft::default()).await
}

async fn assignment_page_with(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, draft: ReportDraft) -> Response {
    let detail = match state.app.assignment_detail(&user.actor, &user.client, id).await {
        Ok(detail) => detail,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, &format!("/assignments/{id}"), Some(&user.actor)).await;
    let period_label = |key: &str| c.t.get(&format!("period.{key}")).to_owned();
    let reports = detail
        .reports
        .iter()
        .map(|r| ReportView {
            id: r.id,
            pending: r.awaits_review(),
            period: period_label(&r.period),
            body: r.body.clone(),
            by: r.submitter_name.clone(),
            at: app::audit::display_time(r.submitted_at),
            review: match r.review.as_deref().or(r.closed_as.as_deref()) {
                Some("accepted") => c.t.get("review.accepted").to_owned(),
                Some("returned") => c.t.get("review.returned").to_owned(),
                Some("withdrawn") => c.t.get("review.withdrawn").to_owned(),
                Some("superseded") => c.t.get("review.superseded").to_owned(),
                _ => c.t.get("review.pending").to_owned(),
            },
            comment: r.review_comment.clone().unwrap_or_default(),
            attachments: detail.attachments.iter().filter(|a| a.report_id == r.id).map(|a| (a.id, a.file_name.clone(), a.size_bytes)).collect(),
        })
        .collect();
    let a = &detail.assignment;
    let status = AssignmentStatusKey(&a.status);
    let page = AssignmentPage {
        id,
        plan_id: a.plan_id,
        item_number: a.item_number,
        title: detail.task.title.clone(),
        body: detail.task.body.clone(),
        groups: detail.groups.clone(),
        unit: a.unit_name.clone(),
        named_as: a.named_as.clone(),
        role: c.t.get(if a.role == "lead" { "plans.lead" } else { "plans.cooperating" }).to_owned(),
        class: cell_class(a),
        status: status_text(&c, a),
        half_year_due: a.half_year_due.clone(),
        annual_due: a.annual_due.clone(),
        reports,
        reopenings: detail.reopenings.iter().map(|r| (app::audit::display_time(r.reopened_at), r.round_name.clone(), r.reason.clone())).collect(),
        rounds: detail.rounds.iter().map(|(rid, name, _)| SelectOption { code: rid.to_string(), label: name.clone(), selected: false }).collect(),
        may_start: detail.may_report && status.startable(),
        may_report: detail.may_report,
        may_review: detail.may_review,
        may_reopen: detail.may_reopen,
        may_set_deadlines: detail.may_set_deadlines,
        may_decompose: detail.may_decompose,
        errors,
        draft,
        c,
    };
    let code = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (code, render(&page)).into_response()
}

struct AssignmentStatusKey<'a>(&'a str);

impl AssignmentStatusKey<'_> {
    fn startable(&self) -> bool {
        matches!(self.0, "not_started" | "reopened")
    }
}

async fn assignment_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    assignment_response(&state, &headers, &user, id, Vec::new()).await
}

/// After an action: back to the assignment, or its page with the problems, or an error page.
async fn after_action(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, result: app::Result<()>) -> Response {
    match result {
        Ok(()) => crate::pages::see_other(headers, &format!("/assignments/{id}")),
        Err(app::AppError::Invalid(fields)) => {
            assignment_response(state, headers, user, id, crate::pages::rendered(headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(app::AppError::IllegalTransition(message)) => {
            let mut response = assignment_response(state, headers, user, id, crate::pages::rendered(headers, [message])).await;
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
        Err(error) => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn start(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let result = state.app.start_assignment(&user.actor, &user.client, id).await;
    after_action(&state, &headers, &user, id, result).await
}

async fn report(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, mut multipart: Multipart) -> Response {
    // Refused before the body is read: the upload may be 50 MiB.
    if let Err(error) = state.app.may_report_progress(&user.actor, &user.client, id).await {
        return after_action(&state, &headers, &user, id, Err(error)).await;
    }
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let (mut period, mut body, mut files) = (String::new(), String::new(), Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("period") => period = field.text().await.unwrap_or_default(),
                Some("body") => body = field.text().await.unwrap_or_default(),
                Some("files") => {
                    let file_name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        // A file input left empty still sends a nameless, empty part.
                        Ok(bytes) if file_name.is_empty() && bytes.is_empty() => {}
                        Ok(bytes) => files.push(UploadedFile { file_name, bytes: bytes.to_vec() }),
                        Err(_) => {
                            let problem = crate::pages::text(&headers, &domain::message!("workplans.upload_failed_too_large"));
                            return refused_report(&state, &headers, &user, id, vec![problem], ReportDraft { period, body }).await;
                        }
                    }
                }
                _ => continue,
            },
            Ok(None) => break,
            Err(_) => {
                let problem = crate::pages::text(&headers, &domain::message!("workplans.upload_could_not_read"));
                return refused_report(&state, &headers, &user, id, vec![problem], ReportDraft { period, body }).await;
            }
        }
    }
    match state.app.report_progress(&user.actor, &user.client, id, &period, &body, files).await {
        Err(app::AppError::Invalid(fields)) => {
            let problems = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            refused_report(&state, &headers, &user, id, problems, ReportDraft { period, body }).await
        }
        result => after_action(&state, &headers, &user, id, result.map(|_| ())).await,
    }
}

/// The assignment page again with a refused report's problems and its text kept.
async fn refused_report(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, problems: Vec<String>, draft: ReportDraft) -> Response {
    assignment_page_with(state, headers, user, id, problems, draft).await
}

#[derive(Deserialize)]
struct ReviewForm {
    verdict: String,
    #[serde(default)]
    comment: String,
    /// The report decided; the oldest awaiting review when absent.
    report_id: Option<i64>,
}

async fn review(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, axum::Form(form): axum::Form<ReviewForm>) -> Response {
    let result = state.app.review_report(&user.actor, &user.client, id, form.report_id, form.verdict == "accept", &form.comment).await;
    after_action(&state, &headers, &user, id, result).await
}

#[derive(Deserialize)]
struct WithdrawForm {
    report_id: i64,
}

/// The assigned unit withdraws a report awaiting review.
async fn withdraw(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<WithdrawForm>,
) -> Response {
    let result = state.app.withdraw_report(&user.actor, &user.client, id, form.report_id).await;
    after_action(&state, &headers, &user, id, result).await
}

#[derive(Deserialize)]
struct ReopenForm {
    round_id: i64,
    #[serde(default)]
    reason: String,
}

async fn reopen(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, axum::Form(form): axum::Form<ReopenForm>) -> Response {
    let result = state.app.reopen_assignment(&user.actor, &user.client, id, form.round_id, &form.reason).await;
    after_action(&state, &headers, &user, id, result).await
}

#[derive(Deserialize)]
struct DeadlineForm {
    half_year_due: String,
    annual_due: String,
}

/// Sets the deadlines of the assignment's item (every unit's on that item).
async fn set_deadlines(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DeadlineForm>,
) -> Response {
    let result = match state.app.assignment_detail(&user.actor, &user.client, id).await {
        Ok(detail) => state.app.set_task_deadlines(&user.actor, &user.client, detail.task.id, &form.half_year_due, &form.annual_due).await,
        Err(error) => Err(error),
    };
    after_action(&state, &headers, &user, id, result).await
}

/// Decomposes the item for the tier below and opens the resulting plan.
async fn decompose(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.decompose_assignment(&user.actor, &user.client, id).await {
        Ok(plan_id) => Redirect::to(&format!("/plans/{plan_id}")).into_response(),
        Err(error) => after_action(&state, &headers, &user, id, Err(error)).await,
    }
}

async fn attachment(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.attachment(&user.actor, &user.client, id).await {
        Ok((file, content)) => {
            let mut response = content.into_response();
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&file.content_type) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            // Always a download, never rendered in the site's origin; the name is RFC 5987 encoded.
            let encoded: String = file
                .file_name
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"._-".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}")) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
