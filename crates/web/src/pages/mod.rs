//! Server-rendered pages (askama templates, htmx for partial updates): the shell every module's
//! pages share (the frame, navigation, errors, downloads), login, the home with the regional map
//! and the language switch; the profile, account administration and audit log pages live in
//! submodules, and each module's own pages in its folder (`crate::<module>::pages`).

use app::policy::{self, Action};
use app::spreadsheet::SpreadsheetFormat;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Catalog, LANG_COOKIE, Lang};
use crate::identity::{CLIENT_KEY, CSRF_KEY, LOGIN_AT_KEY, PASSWORD_EPOCH_KEY, PageUser, SECOND_FACTOR_KEY, client_of, csrf_token, new_random_token};
use crate::session_store::USER_ID_KEY;

/// The pages; the login form is throttled per client by `login_throttle`.
pub fn router(login_throttle: crate::security::LoginThrottle) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit).layer(login_throttle))
        .route("/logout", axum::routing::post(logout))
        .route("/lang/{lang}", get(switch_language))
        .merge(crate::enterprises::pages::router())
        .merge(crate::audit::pages::router())
        .merge(crate::accounts::profile::router())
        .merge(crate::accounts::admin::router())
        .merge(crate::workplans::pages::router())
        .merge(crate::assessment::pages::router())
        .merge(crate::accountability::pages::router())
        .merge(crate::hidden_dangers::pages::router())
        .merge(crate::risk_points::pages::router())
        .merge(crate::checklists::pages::router())
        .merge(crate::commitments::pages::router())
        .merge(crate::experts::pages::router())
        .merge(crate::monitoring::pages::router())
        .merge(crate::enforcement::pages::router())
        .merge(crate::accidents::pages::router())
        .merge(crate::credit::pages::router())
        .merge(crate::inbox::pages::router())
        .merge(crate::insurance::pages::router())
        .merge(crate::tips::pages::router())
}

/// What every page's frame needs.
pub struct Chrome {
    pub t: &'static Catalog,
    pub csrf: String,
    pub demo: bool,
    pub path: String,
    pub user: Option<NavUser>,
    /// Who runs the site (header and footer).
    pub site: std::sync::Arc<crate::WebSettings>,
}

impl Chrome {
    /// Whether the page is `section` or lies under it (`/dangers` for `/dangers/12`): its menu
    /// entry is marked current.
    pub fn current(&self, section: &str) -> bool {
        self.path == section || self.path.strip_prefix(section).is_some_and(|rest| rest.starts_with(['/', '?', '.']))
    }

    /// The breadcrumb above a page below a section (`/dangers/12`): the section's link and name.
    /// A section's own page (`/dangers`) has none: the menu marks it.
    pub fn section(&self) -> Option<(&'static str, &'static str)> {
        let path = self.path.split(['?', '#']).next().unwrap_or_default();
        let mut segments = path.trim_start_matches('/').split('/').filter(|s| !s.is_empty());
        let first = segments.next()?;
        segments.next()?;
        let (href, key) = match first {
            "dangers" => ("/dangers", "nav.dangers"),
            "enterprises" => ("/enterprises", "nav.enterprises"),
            "alarms" | "sensors" | "hazards" | "suppressions" => ("/monitoring", "nav.monitoring"),
            "monitoring" => ("/monitoring", "nav.monitoring"),
            "plans" => ("/plans", "nav.plans"),
            "assignments" => ("/assignments", "nav.inbox"),
            "inbox" => ("/inbox", "nav.messages"),
            "tips" => ("/tips", "nav.tips"),
            "accidents" => ("/accidents", "nav.accidents"),
            "credit" => ("/credit", "nav.credit"),
            "insurance" => ("/insurance", "nav.insurance"),
            "enforcement" | "inspection-plans" => ("/enforcement", "nav.enforcement"),
            "inspections" => ("/inspections", "nav.inspections"),
            "campaigns" => ("/campaigns", "nav.campaigns"),
            "checks" => ("/checklists", "checklist.library"),
            "experts" => ("/experts", "nav.experts"),
            "commitments" => ("/commitments", "nav.commitments"),
            "assessment" => ("/assessment", "nav.assessment"),
            "accountability" => ("/accountability", "nav.accountability"),
            "admin" => ("/admin/users", "nav.accounts"),
            "audit" => ("/audit", "nav.audit"),
            _ => return None,
        };
        Some((href, self.t.get(key)))
    }

    /// The organisation's name in the page's language, if configured.
    pub fn organisation(&self) -> &str {
        let site = &self.site.site;
        if self.t.is_en() && !site.organisation_en.is_empty() { &site.organisation_en } else { &site.organisation_zh }
    }

    /// The hosting unit's name in the page's language, if configured.
    pub fn hosting_unit(&self) -> &str {
        let site = &self.site.site;
        if self.t.is_en() && !site.hosting_unit_en.is_empty() { &site.hosting_unit_en } else { &site.hosting_unit_zh }
    }
}

pub struct NavUser {
    /// The account, so that what a page keeps on the device (a check waiting to be sent) is sent
    /// only while its own author is signed in.
    pub user_id: i64,
    /// The key the browser encrypts what it keeps for this person with (see `App::device_key`).
    pub device_key: Option<String>,
    pub display_name: String,
    pub unit_name: String,
    pub sees_enterprises: bool,
    pub sees_audit: bool,
    pub sees_accounts: bool,
    pub sees_plans: bool,
    pub sees_assessment: bool,
    pub sees_dangers: bool,
    pub sees_campaigns: bool,
    pub sees_commitments: bool,
    pub sees_enforcement: bool,
    pub sees_own_inspections: bool,
    pub sees_accidents: bool,
    pub sees_credit: bool,
    pub sees_insurance: bool,
    pub sees_tips: bool,
    /// How many of the user's messages are unread (kept, see `app::figures`).
    pub unread_messages: i64,
    /// An expert's own assignments (`/experts/{id}`), for the expert.
    pub own_assignments: Option<i64>,
}

pub(crate) async fn chrome(state: &AppState, headers: &HeaderMap, session: &Session, path: &str, actor: Option<&app::Actor>) -> Chrome {
    let unread_messages = match actor {
        Some(actor) => state.app.message_counts(actor).await.map_or(0, |(_, unread)| unread),
        None => 0,
    };
    Chrome {
        t: Catalog::for_lang(Lang::from_headers(headers)),
        csrf: csrf_token(session).await,
        demo: state.settings.demo_banner,
        site: state.settings.clone(),
        path: path.to_owned(),
        user: actor.map(|a| NavUser {
            user_id: a.user_id,
            device_key: state.app.device_key(a),
            display_name: a.display_name.clone(),
            unit_name: a.unit_name.clone(),
            sees_enterprises: policy::allows(a, Action::ReadEnterprises),
            sees_audit: policy::allows(a, Action::ReadAuditLog),
            sees_accounts: policy::allows(a, Action::ListAccounts),
            sees_plans: policy::assignment_scope(a) != domain::access::AssignmentScope::Nothing,
            sees_campaigns: policy::allows(a, Action::ReadCampaigns),
            sees_commitments: policy::allows(a, Action::FileCommitment) || policy::allows(a, Action::ReadMissingCommitments),
            sees_dangers: policy::enterprise_visibility(a) != domain::access::Visibility::Nothing,
            sees_enforcement: policy::allows(a, Action::ReadEnforcement),
            sees_own_inspections: a.enterprise_id.is_some_and(|enterprise_id| policy::allows(a, Action::ReadOwnInspections { enterprise_id })),
            sees_accidents: policy::allows(a, Action::ReadAccidents) || policy::allows(a, Action::ReportAccident { enterprise_id: a.enterprise_id }),
            sees_credit: policy::allows(a, Action::ReadCreditList),
            sees_insurance: policy::allows(a, Action::ReadInsuranceCoverage),
            sees_tips: a.region_path.is_some()
                && matches!(a.role, domain::role::Role::CommitteeOffice | domain::role::Role::Regulator | domain::role::Role::Department),
            sees_assessment: a.region_path.as_deref().is_some_and(|path| policy::allows(a, Action::ManageWorkPlan { region_path: path })),
            own_assignments: (a.role == domain::role::Role::Expert).then_some(a.user_id),
            unread_messages,
        }),
    }
}

/// The province whose cities the regional maps show, for a province-level user other than an
/// enterprise; the maps are drawn only for them.
pub(crate) fn province_map_region(actor: &app::Actor) -> Option<String> {
    let path = actor.region_path.as_deref()?;
    let province = path.split('/').next()?;
    let own = path.trim_end_matches('/').rsplit('/').next()?;
    let enterprise_user = matches!(policy::enterprise_visibility(actor), domain::access::Visibility::Enterprise { .. });
    (province == own && !enterprise_user).then(|| province.to_owned())
}

pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    heading: String,
    message: String,
}

/// An error as a page: same status and message as the API would give.
pub(crate) async fn error_page(state: &AppState, headers: &HeaderMap, session: &Session, actor: Option<&app::Actor>, error: ApiError) -> Response {
    let c = chrome(state, headers, session, "/", actor).await;
    let heading = c.t.get(if error.status == StatusCode::NOT_FOUND { "error.not_found" } else { "error.title" }).to_owned();
    let message = c.t.render(&error.message);
    let page = MessagePage { c, heading, message };
    (error.status, render(&page)).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    username: String,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, session: Session) -> Response {
    let c = chrome(&state, &headers, &session, "/login", None).await;
    render(&LoginPage { c, error: None, username: String::new() })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    totp: String,
}

async fn login_submit(State(state): State<AppState>, parts: Parts, session: Session, axum::Form(form): axum::Form<LoginForm>) -> Response {
    let client = client_of(&parts);
    let username: String = form.username.trim().chars().take(64).collect();
    match state.app.login(&username, &form.password, Some(form.totp.as_str()), &client).await {
        Ok(actor) => {
            // A new session id at login defeats session fixation; a new CSRF token goes with it.
            if session.cycle_id().await.is_err() {
                return (StatusCode::INTERNAL_SERVER_ERROR, "session error").into_response();
            }
            let Ok(password_epoch) = state.app.password_epoch(actor.user_id).await else {
                return (StatusCode::INTERNAL_SERVER_ERROR, "session error").into_response();
            };
            let stored = session.insert(USER_ID_KEY, actor.user_id).await.is_ok()
                && session.insert(LOGIN_AT_KEY, domain::time::now_ms()).await.is_ok()
                && session.insert(PASSWORD_EPOCH_KEY, password_epoch).await.is_ok()
                && session.insert(CLIENT_KEY, &client.0).await.is_ok()
                && session.insert(SECOND_FACTOR_KEY, matches!(actor.credential, app::policy::Credential::Session { second_factor: true })).await.is_ok()
                && session.insert(CSRF_KEY, new_random_token()).await.is_ok();
            if !stored {
                return (StatusCode::INTERNAL_SERVER_ERROR, "session error").into_response();
            }
            // Beyond the limit, the user's oldest sessions end.
            if let Err(error) = state.app.make_room_for_session(actor.user_id).await {
                tracing::error!(%error, "could not end the oldest sessions beyond the limit");
            }
            Redirect::to("/").into_response()
        }
        Err(error) => {
            let c = chrome(&state, &parts.headers, &session, "/login", None).await;
            let message = c.t.render(&error.message());
            (StatusCode::UNAUTHORIZED, render(&LoginPage { c, error: Some(message), username })).into_response()
        }
    }
}

async fn logout(State(state): State<AppState>, parts: Parts, session: Session) -> Response {
    let user_id: Option<i64> = session.get(USER_ID_KEY).await.ok().flatten();
    if let Some(user_id) = user_id
        && let Err(error) = state.app.record_logout(user_id, &client_of(&parts)).await
    {
        tracing::error!(%error, "could not record a logout");
    }
    let _ = session.flush().await;
    Redirect::to("/login").into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Whether `next` is a path on this site: it starts with one `/`, and holds only visible ASCII
/// without backslashes. Browsers drop tabs and newlines from URLs and read `\` as `/`, so
/// `/\t/evil.example` would otherwise leave the site.
fn is_local_path(next: &str) -> bool {
    let mut chars = next.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\')) && next.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

/// Sets the language cookie and returns to a local page (never to another site).
async fn switch_language(Path(lang): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Zh);
    let next = query.next.filter(|n| is_local_path(n)).unwrap_or_else(|| "/".into());
    let mut response = Redirect::to(&next).into_response();
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", if lang == Lang::En { "en" } else { "zh" });
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

struct CountRow {
    code: String,
    name: String,
    count: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    /// Whose home this is: `province`, `region` (a city or county), `enterprise`, `department`,
    /// `expert` or `admin`; each sees its own work first and no 全省概况 unless it is the province.
    kind: &'static str,
    title: String,
    enterprise_total: i64,
    region_name: String,
    show_map: bool,
    map_region: String,
    counts: Vec<CountRow>,
    sees_dangers: bool,
    /// (state key, label, count)
    danger_counts: Vec<(String, String, i64)>,
    overdue: i64,
    listed: i64,
    major_open: i64,
    own_risk: Option<(i64, domain::risk_points::RiskProfile)>,
    /// An enterprise's own status.
    own: Option<OwnStatus>,
    /// A city's or county's subdivisions with their figures.
    subdivisions: Vec<SubdivisionRow>,
    /// A unit's work-plan tasks: (label, count, link).
    tasks: Vec<(String, i64, String)>,
    /// An expert's assigned dangers: (id, enterprise, description, state).
    expert_dangers: Vec<(i64, String, String, String)>,
    /// An administrator's work: (label, count or "", link).
    admin_work: Vec<(String, String, String)>,
    /// 数据更新时间 of the figures shown.
    updated_at: String,
}

struct OwnStatus {
    enterprise_id: i64,
    name: String,
    /// `red`, `orange`, `yellow`, `blue` or empty, and its label.
    grade: String,
    grade_label: String,
    live_alarms: usize,
    open_dangers: i64,
    committed_today: bool,
    /// (licence, `expired` or `expiring`)
    licences: Vec<(String, &'static str)>,
}

struct SubdivisionRow {
    code: String,
    name: String,
    enterprises: i64,
    sources: usize,
    red: usize,
    orange: usize,
}

async fn home(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let c = chrome(&state, &headers, &user.session, "/", Some(&user.actor)).await;
    let actor = &user.actor;
    let sees = policy::allows(actor, Action::ReadEnterprises);
    let region_code = actor.region_path.as_deref().and_then(|p| p.trim_end_matches('/').rsplit('/').next()).unwrap_or("").to_owned();
    let region_depth = actor.region_path.as_deref().map_or(0, |p| p.trim_end_matches('/').split('/').count());
    let region_name = match state.app.region(&region_code).await {
        Ok(region) => region.name,
        Err(_) => actor.unit_name.clone(),
    };
    let province_code = actor.region_path.as_deref().and_then(|p| p.split('/').next()).unwrap_or("").to_owned();
    let kind = policy::home_kind(actor).key();
    let show_map = sees && kind == "province";
    // A city's home counts its counties (a county has no subdivisions below it here).
    let counted_region = match kind {
        "province" => Some(province_code.clone()),
        "region" if region_depth == 2 => Some(region_code.clone()),
        _ => None,
    };
    // The overview (kept for a few seconds, see app::figures): enterprises, their count by child
    // region, and the hidden dangers by state, overdue, listed and major.
    let figures = if sees { state.app.home_figures(actor, &user.client, counted_region.as_deref()).await.ok() } else { None };
    let figures = figures.as_deref().cloned().unwrap_or_default();
    let updated_at =
        if figures.computed_at_ms > 0 { domain::time::local_text(figures.computed_at_ms) } else { domain::time::local_text(domain::time::now_ms()) };
    let danger_counts = domain::hidden_dangers::DangerState::ALL
        .iter()
        .map(|s| {
            let count = figures.dangers.by_state.iter().find(|(state, _)| state == s.key()).map_or(0, |(_, count)| *count);
            (s.key().to_owned(), s.label(c.t.is_en()).to_owned(), count)
        })
        .collect::<Vec<_>>();
    let open_dangers: i64 = figures.dangers.by_state.iter().filter(|(state, _)| state != "closed").map(|(_, count)| count).sum();
    let (enterprise_total, overdue, listed, major_open) =
        (figures.enterprises, figures.dangers.overdue, figures.dangers.listed_open, figures.dangers.major_open);
    let subdivisions = match (kind, counted_region.as_deref()) {
        ("region", Some(code)) => {
            let warnings = state.app.region_warnings(actor, &user.client, code).await.unwrap_or_default();
            figures
                .enterprises_by_region
                .iter()
                .map(|r| {
                    let w = warnings.iter().find(|w| w.code == r.code);
                    SubdivisionRow {
                        code: r.code.clone(),
                        name: r.name.clone(),
                        enterprises: r.count,
                        sources: w.map_or(0, |w| w.sources),
                        red: w.map_or(0, |w| w.red),
                        orange: w.map_or(0, |w| w.orange),
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let counts = if show_map {
        figures.enterprises_by_region.into_iter().map(|r| CountRow { code: r.code, name: r.name, count: r.count }).collect()
    } else {
        Vec::new()
    };
    // An enterprise's own status and four-colour profile.
    let (own, own_risk) = match policy::enterprise_visibility(actor) {
        domain::access::Visibility::Enterprise { enterprise_id: id } => {
            let risk = state.app.enterprise_risk(actor, &user.client, id).await.ok().map(|(_, profile)| (id, profile));
            (own_status(&state, &user, &c, id, open_dangers).await, risk)
        }
        _ => (None, None),
    };
    let mut tasks = Vec::new();
    if kind == "department" || (kind == "region" && policy::assignment_scope(actor) != domain::access::AssignmentScope::Nothing) {
        let total = state.app.assignment_total(actor, &user.client, false).await.unwrap_or(0);
        let overdue_tasks = state.app.assignment_total(actor, &user.client, true).await.unwrap_or(0);
        let to_review = state.app.assignments_to_review(actor, &user.client).await.map_or(0, |list| list.len() as i64);
        tasks.push((c.t.get("home.tasks_total").to_owned(), total, "/assignments".to_owned()));
        tasks.push((c.t.get("home.overdue").to_owned(), overdue_tasks, "/assignments?overdue=1".to_owned()));
        tasks.push((c.t.get("inbox.waiting.reports_to_review").to_owned(), to_review, "/assignments?review=1".to_owned()));
    }
    let expert_dangers = if kind == "expert" {
        state
            .app
            .expert_assignments(actor, &user.client, actor.user_id)
            .await
            .map(|assigned| {
                assigned
                    .dangers
                    .into_iter()
                    .map(|d| {
                        let label = domain::hidden_dangers::DangerState::from_key(&d.state).map_or(d.state.clone(), |s| s.label(c.t.is_en()).to_owned());
                        (d.id, d.enterprise_name, d.description, label)
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let admin_work = if kind == "admin" { admin_work(&state, &user, &c).await } else { Vec::new() };
    let title = match kind {
        "province" => c.t.get("home.title").to_owned(),
        "region" => format!("{region_name}{}", c.t.get("home.title_region")),
        "enterprise" => c.t.get("home.title_enterprise").to_owned(),
        "department" => c.t.get("home.title_department").to_owned(),
        "expert" => c.t.get("home.title_expert").to_owned(),
        _ => c.t.get("home.title_admin").to_owned(),
    };
    render(&HomePage {
        c,
        kind,
        title,
        enterprise_total,
        region_name,
        show_map,
        map_region: province_code,
        counts,
        sees_dangers: sees,
        danger_counts,
        overdue,
        listed,
        major_open,
        own_risk,
        own,
        subdivisions,
        tasks,
        expert_dangers,
        admin_work,
        updated_at,
    })
}

/// An enterprise's own status: the worst warning grade of its sources, its live alarms, open
/// dangers, whether today's commitment is filed, and licences expired or expiring.
async fn own_status(state: &AppState, user: &PageUser, c: &Chrome, enterprise_id: i64, open_dangers: i64) -> Option<OwnStatus> {
    let (actor, client) = (&user.actor, &user.client);
    let stored = state.app.enterprise(actor, client, enterprise_id).await.ok()?;
    let warnings = state.app.source_warnings(actor, client).await.unwrap_or_default();
    let worst = warnings.iter().filter_map(|w| w.grade).max();
    let active = app::monitoring::AlarmFilter { state: Some("active".into()), ..Default::default() };
    let live_alarms = state.app.alarms(actor, client, &active, 1000).await.map_or(0, |alarms| alarms.len());
    let today = domain::time::today();
    let committed_today = state.app.commitments(actor, client, enterprise_id).await.is_ok_and(|rows| rows.iter().any(|r| r.day == today.to_string()));
    let licences = stored
        .enterprise
        .licences
        .iter()
        .filter_map(|l| l.flag(today).map(|flag| (format!("{} {} ({} {})", l.kind, l.number, c.t.get("field.expires_on"), l.expires_on), flag)))
        .collect();
    Some(OwnStatus {
        enterprise_id,
        name: stored.enterprise.name.clone(),
        grade: worst.map(|g| g.as_str().to_owned()).unwrap_or_default(),
        grade_label: worst.map(|g| c.t.get(&format!("warning.{}", g.as_str())).to_owned()).unwrap_or_else(|| c.t.get("home.no_warning").to_owned()),
        live_alarms,
        open_dangers,
        committed_today,
        licences,
    })
}

/// What an administrator looks after: accounts (and those locked) for the system and security
/// administrators, the audit log for the audit administrator.
async fn admin_work(state: &AppState, user: &PageUser, c: &Chrome) -> Vec<(String, String, String)> {
    let actor = &user.actor;
    let mut work = Vec::new();
    if policy::allows(actor, Action::ListAccounts)
        && let Ok(listed) = state.app.list_accounts(actor, &user.client, None, 1, 1).await
    {
        work.push((c.t.get("home.accounts").to_owned(), listed.total.to_string(), "/admin/users".to_owned()));
    }
    if policy::allows(actor, Action::ReadAuditLog) {
        work.push((c.t.get("nav.audit").to_owned(), String::new(), "/audit".to_owned()));
    }
    work.push((c.t.get("profile.title").to_owned(), String::new(), "/profile".to_owned()));
    work
}

pub(crate) struct SelectOption {
    pub(crate) code: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// Messages by code in the language the request chose.
pub(crate) fn rendered(headers: &HeaderMap, messages: impl IntoIterator<Item = domain::message::Message>) -> Vec<String> {
    let lang = Lang::from_headers(headers).message_lang();
    messages.into_iter().map(|m| m.render(lang)).collect()
}

/// One message by code in the language the request chose.
pub(crate) fn text(headers: &HeaderMap, message: &domain::message::Message) -> String {
    message.render(Lang::from_headers(headers).message_lang())
}

pub(crate) fn label(t: &Catalog, zh: &str, en: &str) -> String {
    if t.is_en() { en.to_owned() } else { zh.to_owned() }
}

pub(crate) fn download(bytes: Vec<u8>, format: SpreadsheetFormat, file_name: &str) -> Response {
    file(bytes, format.content_type(), Some(file_name))
}

/// After a form succeeds: the page to go to, as htmx follows it (`HX-Redirect`, the whole page
/// changes) or as a browser does (303).
pub(crate) fn see_other(headers: &HeaderMap, target: &str) -> Response {
    match HeaderValue::from_str(target) {
        Ok(value) if headers.contains_key("hx-request") => {
            let mut response = StatusCode::OK.into_response();
            response.headers_mut().insert("hx-redirect", value);
            response
        }
        _ => axum::response::Redirect::to(target).into_response(),
    }
}

/// Bytes of a stored or written file with their type; with a name, offered as a download.
pub(crate) fn file(bytes: Vec<u8>, content_type: &str, attachment_name: Option<&str>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = attachment_name.and_then(|name| HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).ok()) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
