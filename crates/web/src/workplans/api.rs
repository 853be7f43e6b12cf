//! Work plans, assignments and their reports: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans))
        .routes(routes!(plan_matrix))
        .routes(routes!(list_assignments))
        .routes(routes!(get_assignment))
        .routes(routes!(assignment_action))
        .routes(routes!(create_report))
}

/// The work plans in which the caller sees assignments or which it supervises.
#[utoipa::path(get, path = "/api/v1/plans", tag = "work plans", responses((status = 200, body = Vec<app::workplans::PlanSummary>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn list_plans(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<app::workplans::PlanSummary>>, ApiError> {
    Ok(Json(state.app.visible_plans(&caller.actor, &caller.client).await?))
}

/// A plan's items × units matrix within the caller's scope; each cell has its status and
/// whether it is overdue.
#[utoipa::path(get, path = "/api/v1/plans/{id}/matrix", tag = "work plans", params(("id" = i64, Path)),
    responses((status = 200, body = app::workplans::PlanMatrix), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn plan_matrix(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<app::workplans::PlanMatrix>, ApiError> {
    Ok(Json(state.app.plan_matrix(&caller.actor, &caller.client, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentListParams {
    /// Only assignments past a deadline without the report it asks for.
    pub overdue: Option<bool>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Assignments per page, 1 to 200 (50 when not given).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// The caller's assignments across plans (a unit's inbox; a regulator's territory), a page at a
/// time, in the order of their annual deadlines.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "work plans", params(AssignmentListParams),
    responses((status = 200, body = app::workplans::AssignmentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn list_assignments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<AssignmentListParams>,
) -> Result<Json<app::workplans::AssignmentPage>, ApiError> {
    let page = crate::api::bounded_param("page", params.page, 1..=1_000_000, 1)?;
    let per_page = crate::api::bounded_param("per_page", params.per_page, 1..=app::workplans::LIST_PAGE_MAX, 50)?;
    Ok(Json(state.app.assignment_page(&caller.actor, &caller.client, params.overdue.unwrap_or(false), page, per_page).await?))
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentReport {
    pub id: i64,
    pub period: String,
    pub body: String,
    pub submitted_by: String,
    pub submitted_at: String,
    /// `accepted` or `returned`; none while it awaits review or when it was closed unreviewed.
    pub review: Option<String>,
    pub review_comment: Option<String>,
    /// `withdrawn` by its unit or `superseded` by the accepted annual report.
    pub closed_as: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentDocument {
    pub assignment: app::workplans::AssignmentView,
    pub groups: Vec<String>,
    pub reports: Vec<AssignmentReport>,
    pub may_report: bool,
    pub may_review: bool,
    pub may_reopen: bool,
}

/// One assignment with its reports and what the caller may do to it; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "work plans", params(("id" = i64, Path)),
    responses((status = 200, body = AssignmentDocument), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn get_assignment(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<AssignmentDocument>, ApiError> {
    let detail = state.app.assignment_detail(&caller.actor, &caller.client, id).await?;
    Ok(Json(AssignmentDocument {
        reports: detail
            .reports
            .into_iter()
            .map(|r| AssignmentReport {
                id: r.id,
                period: r.period,
                body: r.body,
                submitted_by: r.submitter_name,
                submitted_at: rfc3339(r.submitted_at),
                review: r.review,
                review_comment: r.review_comment,
                closed_as: r.closed_as,
            })
            .collect(),
        assignment: detail.assignment,
        groups: detail.groups,
        may_report: detail.may_report,
        may_review: detail.may_review,
        may_reopen: detail.may_reopen,
    }))
}

/// A move of an assignment: its unit starts it, or withdraws a report awaiting review; the
/// reviewer accepts or returns a report; the plan's office reopens it in a 回头看 round.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMove {
    Start,
    Accept,
    Return,
    Withdraw,
    Reopen,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"action": "start"}))]
pub struct AssignmentAction {
    pub action: AssignmentMove,
    /// The reason for `return`.
    #[serde(default)]
    pub comment: String,
    /// The report that `accept`, `return` or `withdraw` decides; for `accept` and `return` the
    /// oldest awaiting review when absent. `withdraw` needs it.
    pub report_id: Option<i64>,
    /// The 回头看 round for `reopen`.
    pub round_id: Option<i64>,
    /// The reason for `reopen`.
    #[serde(default)]
    pub reason: String,
}

/// Move an assignment: illegal moves answer 409 `illegal_transition`.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/actions", tag = "work plans", params(("id" = i64, Path)), request_body = AssignmentAction,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn assignment_action(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(action): Json<AssignmentAction>,
) -> Result<StatusCode, ApiError> {
    let (actor, client) = (&caller.actor, &caller.client);
    match action.action {
        AssignmentMove::Start => state.app.start_assignment(actor, client, id).await?,
        AssignmentMove::Accept => state.app.review_report(actor, client, id, action.report_id, true, &action.comment).await?,
        AssignmentMove::Return => state.app.review_report(actor, client, id, action.report_id, false, &action.comment).await?,
        AssignmentMove::Withdraw => state.app.withdraw_report(actor, client, id, action.report_id.unwrap_or(0)).await?,
        AssignmentMove::Reopen => state.app.reopen_assignment(actor, client, id, action.round_id.unwrap_or(0), &action.reason).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"period": "interim", "body": "已完成本季度宣贯教育活动3场，覆盖重点企业42家。"}))]
pub struct NewReport {
    pub period: domain::supervision::ReportPeriod,
    /// The report's text (not blank).
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub body: String,
}

/// Report progress on an assignment (evidence files are uploaded through the page).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/reports", tag = "work plans", params(("id" = i64, Path)), request_body = NewReport,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn create_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(report): Json<NewReport>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.report_progress(&caller.actor, &caller.client, id, report.period.key(), &report.body, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
