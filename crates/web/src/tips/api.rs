//! Tips: the JSON API (under `/api/v1`, in the OpenAPI document). Reporting and following up need
//! no account; handling is for the handlers of the tip's territory.

use app::tips::{ReporterView, RewardInput, TipActionInput, TipStatistics, TipSummary, TipView};
use axum::Extension;
use domain::tips::TipInput;

use super::throttle::Counter;
use super::{throttle_address, throttled};
use crate::api::prelude::*;
use crate::client_address::ClientAddress;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_tip, list_tips))
        .routes(routes!(follow_up))
        .routes(routes!(reporter_message))
        .routes(routes!(tip_statistics))
        .routes(routes!(read_tip))
        .routes(routes!(act_on_tip))
        .routes(routes!(reply))
        .routes(routes!(approve_reward))
        .routes(routes!(request_identity))
        .routes(routes!(decide_identity))
        .routes(routes!(record_payment))
}

#[derive(Serialize, ToSchema)]
pub struct TipReceipt {
    /// Shown once: only its keyed hash is kept. Whoever holds it follows the tip and claims its reward.
    pub receipt: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReceiptBody {
    #[schema(pattern = "^[0-9A-Za-z -]{24,64}$")]
    pub receipt: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReporterMessageBody {
    #[schema(pattern = "^[0-9A-Za-z -]{24,64}$")]
    pub receipt: String,
    #[schema(min_length = 1, max_length = 3000)]
    pub body: String,
}

/// Report a work-safety matter, without an account: `{"receipt"}`. Nothing of the request's
/// origin is kept.
#[utoipa::path(post, path = "/api/v1/tips", tag = "tips", request_body = TipInput,
    responses((status = 201, body = TipReceipt), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn submit_tip(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    Json(input): Json<TipInput>,
) -> Result<(StatusCode, Json<TipReceipt>), ApiError> {
    let address = throttle_address(address);
    if !state.tip_throttle.allows(address, Counter::Submission) {
        return Err(throttled());
    }
    let (_, receipt) = state.app.submit_tip(&input).await?;
    state.tip_throttle.count(address, Counter::Submission);
    Ok((StatusCode::CREATED, Json(TipReceipt { receipt })))
}

/// Read a tip by its receipt code: its state, the conversation, the outcome and any reward.
/// Wrong codes are throttled and answer alike whatever is wrong with them.
#[utoipa::path(post, path = "/api/v1/tips/follow-up", tag = "tips", request_body = ReceiptBody,
    responses((status = 200, body = ReporterView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn follow_up(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    Json(body): Json<ReceiptBody>,
) -> Result<Json<ReporterView>, ApiError> {
    let address = throttle_address(address);
    if !state.tip_throttle.allows(address, Counter::WrongCode) {
        return Err(throttled());
    }
    match state.app.follow_tip(&body.receipt).await {
        Ok(view) => Ok(Json(view)),
        Err(error) => {
            state.tip_throttle.count(address, Counter::WrongCode);
            Err(error.into())
        }
    }
}

/// Write to the handler by receipt code (until the tip is closed).
#[utoipa::path(post, path = "/api/v1/tips/follow-up/messages", tag = "tips", request_body = ReporterMessageBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn reporter_message(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    Json(body): Json<ReporterMessageBody>,
) -> Result<StatusCode, ApiError> {
    let address = throttle_address(address);
    if !state.tip_throttle.allows(address, Counter::WrongCode) || !state.tip_throttle.allows(address, Counter::Addition) {
        return Err(throttled());
    }
    match state.app.reporter_message(&body.receipt, &body.body).await {
        Ok(()) => {
            state.tip_throttle.count(address, Counter::Addition);
            Ok(StatusCode::NO_CONTENT)
        }
        Err(app::AppError::NotFound) => {
            state.tip_throttle.count(address, Counter::WrongCode);
            Err(app::AppError::NotFound.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// The handler's inbox: the territory's tips, or those routed to the caller's unit.
#[utoipa::path(get, path = "/api/v1/tips", tag = "tips",
    responses((status = 200, body = Vec<TipSummary>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_tips(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<TipSummary>>, ApiError> {
    Ok(Json(state.app.tips(&caller.actor, &caller.client).await?))
}

/// Tips by kind, state and region, the verified share, rewards approved and paid, overdue tips.
#[utoipa::path(get, path = "/api/v1/tips/statistics", tag = "tips",
    responses((status = 200, body = TipStatistics), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn tip_statistics(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<TipStatistics>, ApiError> {
    Ok(Json(state.app.tip_statistics(&caller.actor, &caller.client).await?))
}

/// A tip as its handler sees it (the reporter's identity only after a custodian's approval).
#[utoipa::path(get, path = "/api/v1/tips/{id}", tag = "tips", params(("id" = i64, Path)),
    responses((status = 200, body = TipView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn read_tip(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<TipView>, ApiError> {
    Ok(Json(state.app.tip_view(&caller.actor, &caller.client, id).await?))
}

/// Accept (and route), verify, find unsubstantiated, mark a duplicate, extend or close.
#[utoipa::path(post, path = "/api/v1/tips/{id}/actions", tag = "tips", params(("id" = i64, Path)), request_body = TipActionInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn act_on_tip(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>, Json(input): Json<TipActionInput>) -> Result<StatusCode, ApiError> {
    state.app.act_on_tip(&caller.actor, &caller.client, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct TipReplyBody {
    #[schema(min_length = 1, max_length = 3000, pattern = r"\S")]
    pub body: String,
}

/// Write to the reporter (after a verification, this is the feedback).
#[utoipa::path(post, path = "/api/v1/tips/{id}/messages", tag = "tips", params(("id" = i64, Path)), request_body = TipReplyBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn reply(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>, Json(body): Json<TipReplyBody>) -> Result<StatusCode, ApiError> {
    state.app.reply_to_tip(&caller.actor, &caller.client, id, &body.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ApprovedReward {
    pub reward_yuan: i64,
}

/// Approve the reward of a verified first tip, computed by the rules.
#[utoipa::path(post, path = "/api/v1/tips/{id}/reward", tag = "tips", params(("id" = i64, Path)), request_body = RewardInput,
    responses((status = 200, body = ApprovedReward), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn approve_reward(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<RewardInput>,
) -> Result<Json<ApprovedReward>, ApiError> {
    Ok(Json(ApprovedReward { reward_yuan: state.app.approve_tip_reward(&caller.actor, &caller.client, id, &input).await? }))
}

#[derive(Deserialize, ToSchema)]
pub struct IdentityRequestBody {
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Ask a custodian to open a named reporter's identity, with the reason.
#[utoipa::path(post, path = "/api/v1/tips/{id}/identity-requests", tag = "tips", params(("id" = i64, Path)), request_body = IdentityRequestBody,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn request_identity(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<IdentityRequestBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.request_tip_identity(&caller.actor, &caller.client, id, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema)]
pub struct IdentityDecisionBody {
    pub approve: bool,
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub decision: String,
}

/// The custodian's decision on a request (a committee office of the territory, not the requester).
#[utoipa::path(post, path = "/api/v1/tip-identity-requests/{id}/decision", tag = "tips", params(("id" = i64, Path)), request_body = IdentityDecisionBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn decide_identity(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<IdentityDecisionBody>,
) -> Result<StatusCode, ApiError> {
    state.app.decide_tip_identity(&caller.actor, &caller.client, id, body.approve, &body.decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The custodian records a reward paid in person to whoever presented the receipt code.
#[utoipa::path(post, path = "/api/v1/tips/reward-payments", tag = "tips", request_body = ReceiptBody,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
async fn record_payment(State(state): State<AppState>, caller: ApiCaller, Json(body): Json<ReceiptBody>) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.record_reward_paid(&caller.actor, &caller.client, &body.receipt).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
