//! Enforcement pages: the jurisdiction of one's territory (with the province's rules and the
//! override form), the enterprises one's office supervises, annual plans with their draws and the
//! form that draws one, the published draws (公示), inspections (the phone-width form that records
//! one, with photos, findings and penalties; the record; an enterprise's own list) and coverage
//! with its export.

use std::collections::HashMap;

use app::enforcement::{FindingInput, InspectionInput, InspectionPlanInput, OverrideInput, PenaltyInput};
use app::policy::{self, Action};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::enforcement::{InspectionKind, Tier};
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/enforcement", get(jurisdiction_page))
        .route("/enforcement/overrides", post(override_submit))
        .route("/enforcement/supervised", get(supervised_page))
        .route("/enforcement/coverage", get(coverage_page))
        .route("/enforcement/coverage.xlsx", get(coverage_export))
        .route("/inspection-plans", get(plans_page).post(plan_create))
        .route("/inspection-plans/{id}", get(plan_page))
        .route("/published-draws", get(published_page))
        .route(
            "/inspections",
            get(inspections_page)
                .post(inspection_submit)
                .layer(axum::extract::DefaultBodyLimit::max(app::enforcement::INSPECTION_PHOTOS_MAX * app::hidden_dangers::PHOTO_BYTES_MAX + 256 * 1024)),
        )
        .route("/inspections/new", get(inspection_form))
        .route("/inspections/{id}", get(inspection_page))
        .route("/inspection-photos/{id}", get(inspection_photo))
        .route("/enforcement/pool", get(pool_page).post(pool_submit))
        .route("/enforcement/conflicts", post(conflict_submit))
}

fn date_of(ms: i64) -> String {
    domain::time::date_of_ms(ms).to_string()
}

struct ExceptionLine {
    enterprise_id: i64,
    enterprise_name: String,
    region_name: String,
    status: String,
    basis: String,
}

struct OverrideLine {
    enterprise_id: i64,
    enterprise_name: String,
    office: String,
    reason: String,
    decided_by: String,
    decided_on: String,
}

struct RuleLine {
    priority: u32,
    name: String,
    office: String,
}

#[derive(Template)]
#[template(path = "enforcement/jurisdiction.html")]
struct JurisdictionPage {
    c: Chrome,
    region_name: String,
    total: i64,
    province: i64,
    city: i64,
    county: i64,
    unassigned: i64,
    overlapping: i64,
    key: i64,
    listed: i64,
    exceptions: Vec<ExceptionLine>,
    overrides: Vec<OverrideLine>,
    rules: Vec<RuleLine>,
    can_override: bool,
    has_office: bool,
    tiers: Vec<SelectOption>,
    authorities: Vec<SelectOption>,
    errors: Vec<String>,
}

fn office_label(tier: Tier, authority: domain::enforcement::Authority, english: bool) -> String {
    if english { format!("{} · {}", tier.label_en(), authority.label_en()) } else { format!("{}{}", tier.label_zh(), authority.label_zh()) }
}

async fn jurisdiction_response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>, status: StatusCode) -> Response {
    let summary = match state.app.jurisdiction(&user.actor, &user.client, None).await {
        Ok(summary) => summary,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let policy_now =
        state.app.enforcement_policy().await.unwrap_or_else(|_| app::enforcement::EnforcementPolicy { rules: Vec::new(), frequencies: Default::default() });
    let c = chrome(state, headers, &user.session, "/enforcement", Some(&user.actor)).await;
    let english = c.t.is_en();
    let status_label = |status: &str| match status {
        "overlapping" => c.t.get("enforcement.overlapping").to_owned(),
        _ => c.t.get("enforcement.unassigned").to_owned(),
    };
    let page = JurisdictionPage {
        region_name: summary.region_name,
        total: summary.total,
        province: summary.by_tier.province,
        city: summary.by_tier.city,
        county: summary.by_tier.county,
        unassigned: summary.unassigned,
        overlapping: summary.overlapping,
        key: summary.key,
        listed: summary.listed,
        exceptions: summary
            .exceptions
            .into_iter()
            .map(|e| ExceptionLine {
                enterprise_id: e.enterprise_id,
                enterprise_name: e.enterprise_name,
                region_name: e.region_name,
                status: status_label(&e.status),
                basis: e.basis,
            })
            .collect(),
        overrides: summary
            .overrides
            .into_iter()
            .map(|o| OverrideLine {
                enterprise_id: o.enterprise_id,
                enterprise_name: o.enterprise_name,
                office: office_label(o.tier, o.authority, english),
                reason: o.reason,
                decided_by: o.decided_by,
                decided_on: date_of(o.decided_at),
            })
            .collect(),
        rules: policy_now
            .rules
            .iter()
            .map(|r| RuleLine { priority: r.priority, name: r.name.clone(), office: office_label(r.tier, r.authority, english) })
            .collect(),
        can_override: policy::allows(&user.actor, Action::ConfigureEnforcement),
        has_office: state.app.has_enforcement_office(&user.actor).await.unwrap_or(false),
        tiers: Tier::ALL.iter().map(|t| SelectOption { code: t.key().into(), label: t.label(english).into(), selected: false }).collect(),
        authorities: domain::enforcement::Authority::ALL
            .iter()
            .map(|a| SelectOption { code: a.key().into(), label: a.label(english).into(), selected: false })
            .collect(),
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn jurisdiction_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    jurisdiction_response(&state, &headers, &user, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct OverrideForm {
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    reason: String,
}

async fn override_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<OverrideForm>) -> Response {
    let input =
        OverrideInput { enterprise_id: form.enterprise_id.trim().parse().unwrap_or(0), tier: form.tier, authority: form.authority, reason: form.reason };
    match state.app.set_jurisdiction_override(&user.actor, &user.client, &input).await {
        Ok(()) => Redirect::to("/enforcement").into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            jurisdiction_response(&state, &headers, &user, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct SupervisedLine {
    enterprise_id: i64,
    enterprise_name: String,
    region_name: String,
    class: String,
    key: bool,
    reasons: String,
    basis: String,
}

#[derive(Template)]
#[template(path = "enforcement/supervised.html")]
struct SupervisedPage {
    c: Chrome,
    total: i64,
    page: i64,
    pages: i64,
    lines: Vec<SupervisedLine>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    page: Option<i64>,
}

async fn supervised_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<PageQuery>) -> Response {
    let page = query.page.unwrap_or(1).clamp(1, 10_000);
    let (total, rows) = match state.app.supervised_enterprises(&user.actor, &user.client, page).await {
        Ok(found) => found,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/enforcement", Some(&user.actor)).await;
    let english = c.t.is_en();
    let lines = rows
        .into_iter()
        .map(|p| SupervisedLine {
            key: p.class == domain::enforcement::SupervisionClass::Key,
            class: p.class.label(english).into(),
            reasons: p
                .reasons
                .split(',')
                .filter_map(domain::enforcement::ClassReason::from_key)
                .map(|r| r.label(english))
                .collect::<Vec<_>>()
                .join(if english { "; " } else { "、" }),
            enterprise_id: p.enterprise_id,
            enterprise_name: p.enterprise_name,
            region_name: p.region_name,
            basis: p.basis,
        })
        .collect();
    let pages = (total + app::enforcement::LIST_MAX - 1) / app::enforcement::LIST_MAX;
    render(&SupervisedPage { c, total, page, pages, lines })
}

struct PlanLine {
    id: i64,
    year: i64,
    office: String,
    items: i64,
    done: i64,
}

#[derive(Template)]
#[template(path = "enforcement/plans.html")]
struct PlansPage {
    c: Chrome,
    year: i64,
    plans: Vec<PlanLine>,
    can_create: bool,
    own_region: String,
    own_region_name: String,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i64>,
}

async fn plans_response(state: &AppState, headers: &HeaderMap, user: &PageUser, year: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let plans = match state.app.inspection_plans(&user.actor, &user.client, Some(year), None).await {
        Ok(plans) => plans,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let office = state.app.office_of(&user.actor).await.ok().flatten();
    let can_create = state.app.may_manage_inspection_plans(&user.actor).await.unwrap_or(false);
    let c = chrome(state, headers, &user.session, "/inspection-plans", Some(&user.actor)).await;
    let english = c.t.is_en();
    let page = PlansPage {
        year,
        plans: plans
            .into_iter()
            .map(|p| PlanLine {
                id: p.id,
                year: p.year,
                office: format!("{} {}", p.region_name, office_label(p.tier, p.authority, english)),
                items: p.items,
                done: p.done,
            })
            .collect(),
        can_create,
        own_region: office.as_ref().map(|(r, _)| r.code.to_string()).unwrap_or_default(),
        own_region_name: office.map(|(r, _)| r.name).unwrap_or_default(),
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn plans_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    plans_response(&state, &headers, &user, query.year.unwrap_or_else(|| i64::from(domain::time::this_year())).clamp(2000, 2100), Vec::new(), StatusCode::OK)
        .await
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    region_code: String,
}

async fn plan_create(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<PlanForm>) -> Response {
    let year = form.year.trim().parse().unwrap_or(0);
    match state.app.create_inspection_plan(&user.actor, &user.client, &InspectionPlanInput { year, region_code: form.region_code }).await {
        Ok(id) => Redirect::to(&format!("/inspection-plans/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            plans_response(&state, &headers, &user, i64::from(domain::time::this_year()), errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(app::AppError::Conflict(message)) => {
            let errors = vec![crate::pages::text(&headers, &message)];
            plans_response(&state, &headers, &user, i64::from(domain::time::this_year()), errors, StatusCode::CONFLICT).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct ItemLine {
    id: i64,
    enterprise_id: i64,
    enterprise_name: String,
    reason: String,
    quarter: i64,
    kind: String,
    inspectors: String,
    inspection_id: Option<i64>,
    inspected_on: String,
    mine: bool,
}

#[derive(Template)]
#[template(path = "enforcement/plan.html")]
struct PlanPage {
    c: Chrome,
    title: String,
    created: String,
    seed: Option<String>,
    seed_sha256: String,
    candidates: usize,
    inspectors: usize,
    candidate_hash: String,
    algorithm: String,
    verified: bool,
    items: Vec<ItemLine>,
    done: usize,
}

async fn plan_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let plan = match state.app.inspection_plan(&user.actor, &user.client, id).await {
        Ok(plan) => plan,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let verified = state.app.verify_draw(id).await.map(|v| v.verified).unwrap_or(false);
    let c = chrome(&state, &headers, &user.session, "/inspection-plans", Some(&user.actor)).await;
    let english = c.t.is_en();
    let items: Vec<ItemLine> = plan
        .items
        .into_iter()
        .map(|i| ItemLine {
            mine: i.inspectors.contains(&user.actor.user_id) && i.inspection_id.is_none(),
            id: i.id,
            enterprise_id: i.enterprise_id,
            enterprise_name: i.enterprise_name,
            reason: i.reason.label(english).into(),
            quarter: i.quarter,
            kind: i.kind.label(english).into(),
            inspectors: i.inspector_names.join(if english { ", " } else { "、" }),
            inspection_id: i.inspection_id,
            inspected_on: i.inspected_on.unwrap_or_default(),
        })
        .collect();
    let page = PlanPage {
        title: format!("{} {} {}", plan.year, plan.region_name, office_label(plan.tier, plan.authority, english)),
        created: format!("{} · {}", plan.created_by, date_of(plan.created_at)),
        seed: plan.draw.seed,
        seed_sha256: plan.draw.seed_sha256,
        candidates: plan.draw.candidates,
        inspectors: plan.draw.inspectors,
        candidate_hash: plan.draw.candidate_hash,
        algorithm: plan.draw.algorithm,
        verified,
        done: items.iter().filter(|i| i.inspection_id.is_some()).count(),
        items,
        c,
    };
    render(&page)
}

struct PublishedLine {
    title: String,
    drawn_on: String,
    seed: Option<String>,
    seed_sha256: String,
    candidate_hash: String,
    candidates: usize,
    counts: String,
    inspected: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "enforcement/published.html")]
struct PublishedPage {
    c: Chrome,
    year: i64,
    draws: Vec<PublishedLine>,
}

async fn published_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    let year = query.year.unwrap_or_else(|| i64::from(domain::time::this_year())).clamp(2000, 2100);
    let draws = match state.app.published_draws(&user.actor, &user.client, year).await {
        Ok(draws) => draws,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/published-draws", Some(&user.actor)).await;
    let english = c.t.is_en();
    let draws = draws
        .into_iter()
        .map(|d| PublishedLine {
            title: format!("{} {}", d.plan.region_name, office_label(d.plan.tier, d.plan.authority, english)),
            drawn_on: date_of(d.drawn_at),
            seed: d.draw.seed,
            seed_sha256: d.draw.seed_sha256,
            candidate_hash: d.draw.candidate_hash,
            candidates: d.draw.candidates,
            counts: d
                .by_reason
                .iter()
                .filter_map(|(reason, count)| domain::enforcement::PlanReason::from_key(reason).map(|r| format!("{} {count}", r.label(english))))
                .collect::<Vec<_>>()
                .join(" · "),
            inspected: d.inspected.into_iter().map(|i| (i.enterprise_name, i.kind.label(english).to_owned(), i.inspected_on)).collect(),
        })
        .collect();
    render(&PublishedPage { c, year, draws })
}

struct InspectionLine {
    id: i64,
    enterprise_name: String,
    tier: String,
    kind: String,
    inspected_on: String,
    findings: i64,
}

#[derive(Template)]
#[template(path = "enforcement/inspections.html")]
struct InspectionsPage {
    c: Chrome,
    recorded: Vec<InspectionLine>,
    /// (quarter, kind) of announced visits to come: for an enterprise.
    announced: Vec<(i64, String)>,
    /// The actor's own visits to make: for an inspector.
    visits: Vec<ItemLine>,
    enterprise_view: bool,
    /// How many a regulator's territory holds in all, and the pager over them.
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

async fn inspections_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<PageQuery>) -> Response {
    let c = chrome(&state, &headers, &user.session, "/inspections", Some(&user.actor)).await;
    let english = c.t.is_en();
    let line = |s: app::enforcement::InspectionSummary| InspectionLine {
        id: s.id,
        enterprise_name: s.enterprise_name,
        tier: s.tier.label(english).into(),
        kind: s.kind.label(english).into(),
        inspected_on: s.inspected_on,
        findings: s.findings,
    };
    if let Some(enterprise_id) = user.actor.enterprise_id.filter(|id| policy::allows(&user.actor, Action::ReadOwnInspections { enterprise_id: *id })) {
        let seen = match state.app.enterprise_inspections(&user.actor, &user.client, enterprise_id).await {
            Ok(seen) => seen,
            Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
        };
        let page = InspectionsPage {
            recorded: seen.recorded.into_iter().map(line).collect(),
            announced: seen.announced.into_iter().map(|v| (v.quarter, v.kind.label(english).to_owned())).collect(),
            visits: Vec::new(),
            enterprise_view: true,
            total: 0,
            page: 1,
            pages: 1,
            prev_url: None,
            next_url: None,
            c,
        };
        return render(&page);
    }
    let listed = match state.app.inspections(&user.actor, &user.client, query.page.unwrap_or(1)).await {
        Ok(listed) => listed,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let page_url = |n: i64| format!("/inspections?page={n}");
    let visits = state
        .app
        .my_inspection_items(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.inspection_id.is_none())
        .map(|i| ItemLine {
            id: i.id,
            enterprise_id: i.enterprise_id,
            enterprise_name: i.enterprise_name,
            reason: i.reason.label(english).into(),
            quarter: i.quarter,
            kind: i.kind.label(english).into(),
            inspectors: String::new(),
            inspection_id: None,
            inspected_on: String::new(),
            mine: true,
        })
        .collect();
    render(&InspectionsPage {
        recorded: listed.items.into_iter().map(line).collect(),
        announced: Vec::new(),
        visits,
        enterprise_view: false,
        total: listed.total,
        page: listed.page,
        pages: listed.pages,
        prev_url: (listed.page > 1).then(|| page_url(listed.page - 1)),
        next_url: (listed.page < listed.pages).then(|| page_url(listed.page + 1)),
        c,
    })
}

struct ChecklistItemLine {
    id: i64,
    code: String,
    item: String,
    major: bool,
}

#[derive(Template)]
#[template(path = "enforcement/inspection_form.html")]
struct InspectionForm {
    c: Chrome,
    plan_item_id: Option<i64>,
    enterprise_id: i64,
    enterprise_name: String,
    kinds: Vec<SelectOption>,
    checklists: Vec<SelectOption>,
    checklist_id: Option<i64>,
    items: Vec<ChecklistItemLine>,
    today: String,
    values: HashMap<String, String>,
    errors: Vec<String>,
}

impl InspectionForm {
    /// What the form held when it was sent back with problems.
    fn value(&self, name: &str) -> String {
        self.values.get(name).cloned().unwrap_or_default()
    }

    fn failed(&self, item_id: &i64) -> bool {
        self.values.get(&format!("item_{item_id}")).is_some_and(|v| v == "fail")
    }

    /// Answered 符合 (an item is unanswered until the inspector answers it).
    fn passed(&self, item_id: &i64) -> bool {
        self.values.get(&format!("item_{item_id}")).is_some_and(|v| v == "pass")
    }

    fn note(&self, item_id: &i64) -> String {
        self.value(&format!("note_{item_id}"))
    }

    fn finding(&self, n: &usize, part: &str) -> String {
        self.value(&format!("finding_{n}_{part}"))
    }
}

#[derive(Deserialize, Default)]
struct FormQuery {
    item: Option<i64>,
    enterprise: Option<i64>,
    checklist: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn inspection_form_response(
    state: &AppState,
    headers: &HeaderMap,
    user: &PageUser,
    query: FormQuery,
    values: HashMap<String, String>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    if let Err(error) = state.app.may_record_inspections(&user.actor, &user.client).await {
        return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let planned_kind = match query.item {
        Some(item) => state.app.my_inspection_items(&user.actor).await.unwrap_or_default().into_iter().find(|i| i.id == item),
        None => None,
    };
    let enterprise_id = planned_kind.as_ref().map(|i| i.enterprise_id).or(query.enterprise).unwrap_or(0);
    let enterprise = match state.app.enterprise(&user.actor, &user.client, enterprise_id).await {
        Ok(enterprise) => enterprise,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let library = state.app.checklist_library(&user.actor, &user.client).await.unwrap_or_default();
    let items = match query.checklist {
        Some(id) => state.app.checklist_with_items(id).await.map(|(_, items)| items).unwrap_or_default(),
        None => Vec::new(),
    };
    let c = chrome(state, headers, &user.session, "/inspections", Some(&user.actor)).await;
    let english = c.t.is_en();
    let chosen_kind = values.get("kind").cloned().or(planned_kind.as_ref().map(|i| i.kind.key().to_owned())).unwrap_or_else(|| "routine".into());
    let page = InspectionForm {
        plan_item_id: planned_kind.as_ref().map(|i| i.id),
        enterprise_id,
        enterprise_name: enterprise.enterprise.name,
        kinds: InspectionKind::ALL
            .iter()
            .map(|k| SelectOption { code: k.key().into(), label: k.label(english).into(), selected: k.key() == chosen_kind })
            .collect(),
        checklists: library.into_iter().map(|l| SelectOption { selected: Some(l.id) == query.checklist, code: l.id.to_string(), label: l.name }).collect(),
        checklist_id: query.checklist,
        items: items.into_iter().map(|i| ChecklistItemLine { id: i.id, code: i.code, item: i.item, major: i.consequence == "major" }).collect(),
        today: domain::time::today().to_string(),
        values,
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn inspection_form(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<FormQuery>) -> Response {
    inspection_form_response(&state, &headers, &user, query, HashMap::new(), Vec::new(), StatusCode::OK).await
}

/// Findings and penalties the form offers at once.
const FORM_FINDINGS: usize = 3;

/// The form, sent by htmx as multipart (photos with it): `plan_item_id`, `enterprise_id`, `kind`,
/// `inspected_on`, `checklist_id` with `item_{id}` = `pass`/`fail` and `note_{id}`,
/// `finding_{n}_description|location|grade`, `summary`, `signed_by`, `penalty_legal_basis|
/// amount_yuan|decision_number|decided_on`, and `photos`.
async fn inspection_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, mut multipart: axum::extract::Multipart) -> Response {
    // Refused before the body is read: it may carry photos.
    if let Err(error) = state.app.may_record_inspections(&user.actor, &user.client).await {
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let mut values: HashMap<String, String> = HashMap::new();
    let mut files = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                if name == "photos" {
                    let file_name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(bytes) if file_name.is_empty() && bytes.is_empty() => {}
                        Ok(bytes) => files.push(app::workplans::UploadedFile { file_name, bytes: bytes.to_vec() }),
                        Err(_) => {
                            return upload_refused(
                                &state,
                                &headers,
                                &user,
                                domain::message!("hidden_dangers.upload_failed_too_large"),
                                StatusCode::PAYLOAD_TOO_LARGE,
                            )
                            .await;
                        }
                    }
                } else if values.len() < 500 {
                    match field.text().await {
                        Ok(text) => {
                            values.insert(name, text.chars().take(5_000).collect());
                        }
                        Err(_) => {
                            return upload_refused(&state, &headers, &user, domain::message!("hidden_dangers.upload_could_not_read"), StatusCode::BAD_REQUEST)
                                .await;
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => return upload_refused(&state, &headers, &user, domain::message!("hidden_dangers.upload_could_not_read"), StatusCode::BAD_REQUEST).await,
        }
    }
    let get = |name: &str| values.get(name).cloned().unwrap_or_default();
    let checklist_id = get("checklist_id").parse().ok();
    let answers = values
        .iter()
        .filter_map(|(key, value)| {
            let item_id = key.strip_prefix("item_")?.parse().ok()?;
            Some(app::checklists::ItemAnswer { item_id, passed: value == "pass", note: get(&format!("note_{item_id}")), photos: Vec::new() })
        })
        .collect();
    let findings = (1..=FORM_FINDINGS)
        .filter(|n| !get(&format!("finding_{n}_description")).trim().is_empty())
        .map(|n| FindingInput {
            description: get(&format!("finding_{n}_description")),
            location: get(&format!("finding_{n}_location")),
            grade: get(&format!("finding_{n}_grade")),
        })
        .collect();
    let penalty_given = ["penalty_legal_basis", "penalty_amount_yuan", "penalty_decision_number"].iter().any(|name| !get(name).trim().is_empty());
    let penalties = if penalty_given {
        vec![PenaltyInput {
            legal_basis: get("penalty_legal_basis"),
            amount_yuan: get("penalty_amount_yuan"),
            decision_number: get("penalty_decision_number"),
            decided_on: get("penalty_decided_on"),
        }]
    } else {
        Vec::new()
    };
    let input = InspectionInput {
        plan_item_id: get("plan_item_id").parse().ok(),
        enterprise_id: get("enterprise_id").parse().unwrap_or(0),
        kind: get("kind"),
        inspected_on: get("inspected_on"),
        checklist_id,
        answers,
        findings,
        summary: get("summary"),
        signed_by: get("signed_by"),
        penalties,
    };
    let query = FormQuery { item: input.plan_item_id, enterprise: Some(input.enterprise_id), checklist: checklist_id };
    match state.app.record_inspection(&user.actor, &user.client, &input, files).await {
        Ok((id, _)) => crate::pages::see_other(&headers, &format!("/inspections/{id}")),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            inspection_form_response(&state, &headers, &user, query, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(app::AppError::Conflict(message)) => {
            let errors = vec![crate::pages::text(&headers, &message)];
            inspection_form_response(&state, &headers, &user, query, values, errors, StatusCode::CONFLICT).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn upload_refused(state: &AppState, headers: &HeaderMap, user: &PageUser, message: domain::message::Message, status: StatusCode) -> Response {
    let error = crate::error::ApiError::new(status, "upload_refused", message);
    error_page(state, headers, &user.session, Some(&user.actor), error).await
}

#[derive(Template)]
#[template(path = "enforcement/inspection.html")]
struct InspectionPage {
    c: Chrome,
    i: app::enforcement::InspectionView,
    tier: String,
    kind: String,
}

async fn inspection_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let view = match state.app.inspection_view(&user.actor, &user.client, id).await {
        Ok(view) => view,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/inspections", Some(&user.actor)).await;
    let english = c.t.is_en();
    render(&InspectionPage { tier: view.tier.label(english).into(), kind: view.kind.label(english).into(), i: view, c })
}

/// A photo, shown inline (only JPEG and PNG are ever stored, their type checked from the bytes).
async fn inspection_photo(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.inspection_photo(&user.actor, &user.client, id).await {
        Ok((content_type, bytes)) => {
            let mut response = bytes.into_response();
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(axum::http::header::CONTENT_TYPE, value);
            }
            response
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct CoverageLineView {
    office: String,
    quarter: i64,
    planned: i64,
    done: i64,
    overdue: i64,
}

#[derive(Template)]
#[template(path = "enforcement/coverage.html")]
struct CoveragePage {
    c: Chrome,
    year: i64,
    /// The province whose cities the map shows, for a province-level user.
    map_region: Option<String>,
    lines: Vec<CoverageLineView>,
    key: Vec<(String, i64, i64)>,
    several_tiers: Vec<(i64, String, String)>,
    never_inspected_total: i64,
    never_inspected: Vec<(i64, String, String)>,
}

async fn coverage_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    let year = query.year.unwrap_or_else(|| i64::from(domain::time::this_year())).clamp(2000, 2100);
    let coverage = match state.app.coverage(&user.actor, &user.client, year, None).await {
        Ok(coverage) => coverage,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/enforcement", Some(&user.actor)).await;
    let english = c.t.is_en();
    let page = CoveragePage {
        year,
        map_region: crate::pages::province_map_region(&user.actor),
        lines: coverage
            .lines
            .iter()
            .map(|l| CoverageLineView {
                office: format!("{} {}", l.region_name, office_label(l.tier, l.authority, english)),
                quarter: l.quarter,
                planned: l.planned,
                done: l.done,
                overdue: l.overdue,
            })
            .collect(),
        key: coverage
            .key
            .iter()
            .map(|k| {
                let office = match (Tier::from_key(&k.tier), domain::enforcement::Authority::from_key(&k.authority)) {
                    (Some(tier), Some(authority)) => office_label(tier, authority, english),
                    _ => String::new(),
                };
                (format!("{} {office}", k.region_name), k.key, k.key_inspected)
            })
            .collect(),
        several_tiers: coverage.several_tiers.into_iter().map(|e| (e.enterprise_id, e.enterprise_name, e.region_name)).collect(),
        never_inspected_total: coverage.never_inspected_total,
        never_inspected: coverage.never_inspected.into_iter().take(50).map(|e| (e.enterprise_id, e.enterprise_name, e.region_name)).collect(),
        c,
    };
    render(&page)
}

async fn coverage_export(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    let year = query.year.unwrap_or_else(|| i64::from(domain::time::this_year())).clamp(2000, 2100);
    let english = crate::i18n::english(&headers);
    match state.app.export_coverage(&user.actor, &user.client, year, None, english).await {
        Ok(bytes) => crate::pages::download(bytes, app::spreadsheet::SpreadsheetFormat::Xlsx, &format!("coverage-{year}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "enforcement/pool.html")]
struct PoolPage {
    c: Chrome,
    pool: app::enforcement::PoolView,
    authority: String,
    errors: Vec<String>,
}

async fn pool_response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>, status: StatusCode) -> Response {
    let pool = match state.app.inspector_pool_view(&user.actor, &user.client).await {
        Ok(pool) => pool,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, "/enforcement", Some(&user.actor)).await;
    let authority = pool.authority.label(c.t.is_en()).to_owned();
    (status, render(&PoolPage { c, pool, authority, errors })).into_response()
}

async fn pool_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    pool_response(&state, &headers, &user, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct PoolForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    days_per_year: String,
}

async fn pool_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<PoolForm>) -> Response {
    let user_id = form.user_id.trim().parse().unwrap_or(0);
    let days = form.days_per_year.trim().parse().unwrap_or(-1);
    match state.app.set_pool_inspector(&user.actor, &user.client, user_id, days).await {
        Ok(()) => Redirect::to("/enforcement/pool").into_response(),
        Err(app::AppError::Invalid(fields)) => {
            pool_response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct ConflictForm {
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    reason: String,
}

async fn conflict_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<ConflictForm>) -> Response {
    let enterprise_id = form.enterprise_id.trim().parse().unwrap_or(0);
    match state.app.declare_conflict(&user.actor, &user.client, enterprise_id, &form.reason).await {
        Ok(()) => Redirect::to("/enforcement/pool").into_response(),
        Err(app::AppError::Invalid(fields)) => {
            pool_response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
