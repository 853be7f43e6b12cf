//! Checklists and campaigns: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_checklists)).routes(routes!(run_checklist)).routes(routes!(campaign_progress))
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistItem {
    pub id: i64,
    pub code: String,
    pub item: String,
    pub basis: String,
    /// `major` or `general`: the grade of the hidden danger a failure reports.
    pub consequence: String,
}

#[derive(Serialize, ToSchema)]
pub struct Checklist {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub sector: String,
    pub purpose: String,
    pub items: Vec<ChecklistItem>,
}

/// The checklist library with every item.
#[utoipa::path(get, path = "/api/v1/checklists", tag = "hidden dangers", responses((status = 200, body = Vec<Checklist>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_checklists(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<Checklist>>, ApiError> {
    let mut out = Vec::new();
    for checklist in state.app.checklist_library(&caller.actor, &caller.client).await? {
        let (_, items) = state.app.checklist_with_items(checklist.id).await?;
        out.push(Checklist {
            id: checklist.id,
            code: checklist.code,
            name: checklist.name,
            sector: checklist.sector,
            purpose: checklist.purpose,
            items: items.into_iter().map(|i| ChecklistItem { id: i.id, code: i.code, item: i.item, basis: i.basis, consequence: i.consequence }).collect(),
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"checklist_id": 2, "kind": "self_check", "answers": [{"item_id": 21, "passed": true}, {"item_id": 22, "passed": true}, {"item_id": 23, "passed": true}, {"item_id": 24, "passed": true}, {"item_id": 25, "passed": true}, {"item_id": 26, "passed": true}, {"item_id": 27, "passed": false, "note": "应急预案未演练"}]}))]
pub struct ChecklistRunRequest {
    pub checklist_id: i64,
    pub kind: ChecklistRunKind,
    pub campaign_id: Option<i64>,
    pub answers: Vec<app::checklists::ItemAnswer>,
    /// When and where the check was done, and who signed for the enterprise.
    #[serde(flatten)]
    pub field: app::checklists::FieldInput,
    /// The drawn signature, a PNG in base64 (inspections and campaign checks need it, or
    /// `signature_refused`).
    #[serde(default)]
    pub signature_png_base64: Option<String>,
}

/// Why a checklist is filled in: the enterprise's own check, an inspection, or a campaign's.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistRunKind {
    SelfCheck,
    Inspection,
    Campaign,
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistRunResult {
    pub run_id: i64,
    /// The hidden dangers the failed items reported.
    pub dangers: Vec<i64>,
}

/// Fill in a checklist at an enterprise; every item needs an answer, and each failed item
/// reports a hidden danger of the item's grade.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/checks", tag = "hidden dangers", params(("id" = i64, Path)), request_body = ChecklistRunRequest,
    responses((status = 201, body = ChecklistRunResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn run_checklist(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(request): Json<ChecklistRunRequest>,
) -> Result<(StatusCode, Json<ChecklistRunResult>), ApiError> {
    use base64::Engine;
    let mut field = request.field;
    field.signature = match request.signature_png_base64.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(encoded) => Some(base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| {
            app::AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "signature_png_base64",
                message: domain::message!("checklists.signature_invalid", max_kb = app::checklists::SIGNATURE_BYTES_MAX >> 10),
            }])
        })?),
        None => None,
    };
    let input = app::checklists::RunInput {
        checklist_id: request.checklist_id,
        kind: wire_name(&request.kind),
        campaign_id: request.campaign_id,
        answers: request.answers,
        field,
    };
    let (run_id, dangers) = state.app.run_checklist(&caller.actor, &caller.client, id, &input).await?;
    Ok((StatusCode::CREATED, Json(ChecklistRunResult { run_id, dangers })))
}

/// A campaign's coverage, findings and rectification rate by city.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/progress", tag = "hidden dangers", params(("id" = i64, Path)),
    responses((status = 200, body = app::checklists::CampaignProgress), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn campaign_progress(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<app::checklists::CampaignProgress>, ApiError> {
    Ok(Json(state.app.campaign_progress(&caller.actor, &caller.client, id).await?))
}
