//! Daily safety commitments (安全承诺): an enterprise with high-risk sectors files its principal's
//! statement each day, with exceptions; regulators see which enterprises of their territory have
//! not filed today.

use domain::audit::Outcome;
use domain::message::Message;
use serde::Deserialize;
use store::{CommitmentRow, MissingCommitment};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"principal": "王建国", "statement": "今日各生产装置、储罐区运行正常，重大危险源处于受控状态。", "exceptions": ""}))]
pub struct CommitmentInput {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 50, pattern = r"\S")]
    pub principal: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 2000, pattern = r"\S")]
    pub statement: String,
    /// Units that do not run safely today and why; empty when none.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub exceptions: String,
}

fn field(name: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field: name, message }
}

impl App {
    /// The caller's enterprise files today's commitment (once a day).
    pub async fn file_commitment(&self, actor: &Actor, client: &Client, input: &CommitmentInput) -> Result<()> {
        let Some(enterprise_id) = actor.enterprise_id.filter(|_| policy::allows(actor, Action::FileCommitment)) else {
            return Err(self.denied(actor, client, "commitment.file", "commitments".into()).await);
        };
        let mut problems = Vec::new();
        let principal = input.principal.trim();
        if principal.is_empty() || principal.chars().count() > 50 {
            problems.push(field("principal", domain::message!("commitments.name_principal")));
        }
        let statement = input.statement.trim();
        if statement.is_empty() || statement.chars().count() > 2_000 {
            problems.push(field("statement", domain::message!("commitments.give_statement_most_2000_characters")));
        }
        if input.exceptions.chars().count() > 2_000 {
            problems.push(field("exceptions", domain::message!("commitments.most_2000_characters_exceptions")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let day = domain::time::today().to_string();
        let event = audit_event(
            Some(actor),
            client,
            "commitment.file",
            format!("enterprise:{enterprise_id}"),
            Outcome::Success,
            serde_json::json!({"day": day, "exceptions": !input.exceptions.trim().is_empty()}),
        );
        self.store.file_commitment(enterprise_id, &day, principal, statement, input.exceptions.trim(), actor.user_id, &event).await.map_err(|error| match error
        {
            store::StoreError::Conflict(_) => AppError::Conflict(domain::message!("commitments.today_s_commitment_already_filed")),
            other => other.into(),
        })
    }

    /// An enterprise's recent commitments (its own users, or anyone who may see it).
    pub async fn commitments(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<Vec<CommitmentRow>> {
        self.enterprise(actor, client, enterprise_id).await?;
        Ok(self.store.commitments_of_enterprise(enterprise_id, 60).await?)
    }

    /// Enterprises of the caller's territory that must file but have not filed today, for
    /// regulators, inspectors and offices.
    pub async fn missing_commitments(&self, actor: &Actor, client: &Client) -> Result<Vec<MissingCommitment>> {
        if !policy::allows(actor, Action::ReadMissingCommitments) {
            return Err(self.denied(actor, client, "commitment.missing", "commitments".into()).await);
        }
        Ok(self.store.missing_commitments(&policy::enterprise_visibility(actor), &domain::time::today().to_string(), 5_000).await?)
    }
}
