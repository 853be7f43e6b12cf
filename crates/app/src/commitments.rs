//! Daily safety commitments (安全承诺): an enterprise with high-risk sectors files its principal's
//! statement each day, with exceptions; regulators see which enterprises of their territory have
//! not filed today.

use domain::audit::Outcome;
use domain::message::Message;
use serde::Deserialize;
use store::{CommitmentRow, MissingCommitment};

/// Enterprises not yet committed, listed per page of the overview.
pub const MISSING_PER_PAGE: i64 = 50;
/// Most enterprises the API's list and the export give at once.
pub const MISSING_LIST_MAX: i64 = 5_000;

/// A region's filing for today: how many of its enterprises must file, and how many did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFiling {
    pub code: String,
    pub name: String,
    pub required: i64,
    pub filed: i64,
    /// The territory itself (a county's, or enterprises placed on a city or the province
    /// directly), not one of its subdivisions.
    pub is_territory: bool,
}

/// Today's commitments over the caller's territory: its subdivisions' filing (or its own, when it
/// has none below it), and a page of the enterprises that have not filed, within one region of it
/// when one was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentOverview {
    pub day: String,
    pub regions: Vec<RegionFiling>,
    /// The chosen region (code, name), when the list is narrowed to one.
    pub chosen: Option<(String, String)>,
    pub missing_total: i64,
    /// The page given (the last one when a later one was asked for), and how many there are.
    pub page: i64,
    pub pages: i64,
    pub missing: Vec<MissingCommitment>,
    /// The territory's last `TREND_DAYS` days, oldest first: (day, how many filed).
    pub trend: Vec<(String, i64)>,
}

/// Days of the filing trend the overview shows, today included.
pub const TREND_DAYS: i64 = 7;

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

    /// Enterprises of the caller's territory (or of `region_code`, a region of it) that must file
    /// but have not filed today, for regulators, inspectors and offices: at most
    /// `MISSING_LIST_MAX`.
    pub async fn missing_commitments(&self, actor: &Actor, client: &Client, region_code: Option<&str>) -> Result<Vec<MissingCommitment>> {
        let chosen = self.commitment_region(actor, client, region_code).await?;
        let within = chosen.as_ref().map(|region| region.path.as_str());
        Ok(self.store.missing_commitments(&policy::enterprise_visibility(actor), &domain::time::today().to_string(), within, MISSING_LIST_MAX, 0).await?)
    }

    /// The region a question about missing commitments is narrowed to: none, or one of the
    /// caller's territory (another is answered as one that does not exist). Refused to those
    /// who may not ask.
    async fn commitment_region(&self, actor: &Actor, client: &Client, region_code: Option<&str>) -> Result<Option<domain::region::Region>> {
        if !policy::allows(actor, Action::ReadMissingCommitments) {
            return Err(self.denied(actor, client, "commitment.missing", "commitments".into()).await);
        }
        let own_path = actor.region_path.as_deref().unwrap_or_default();
        match region_code.map(str::trim).filter(|code| !code.is_empty()) {
            None => Ok(None),
            Some(code) => match self.store.region(code).await {
                Ok(region) if region.path.starts_with(own_path) => Ok(Some(region)),
                _ => Err(self.denied(actor, client, "commitment.missing", format!("region:{}", code.chars().take(12).collect::<String>())).await),
            },
        }
    }

    /// Today's commitments over the caller's territory, the list narrowed to `region_code` (a
    /// region of the territory) and paged.
    pub async fn commitment_overview(&self, actor: &Actor, client: &Client, region_code: Option<&str>, page: i64) -> Result<CommitmentOverview> {
        let chosen = self.commitment_region(actor, client, region_code).await?;
        let own_path = actor.region_path.as_deref().unwrap_or_default();
        let root_code = own_path.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned();
        let root = self.store.region(&root_code).await?;
        let visibility = policy::enterprise_visibility(actor);
        let today = domain::time::today();
        let day = today.to_string();
        let filing = self.store.commitment_filing_by_child_region(&visibility, &root.path, &day).await?;
        let children = self.store.region_children(&root_code).await?;
        // Every subdivision, filed or not; the territory itself when it has none below it (a
        // county), or for enterprises placed on it directly.
        let count = |path: &str| filing.iter().find(|f| f.region_path == path).map_or((0, 0), |f| (f.required, f.filed));
        let mut regions: Vec<RegionFiling> = children
            .iter()
            .map(|child| {
                let (required, filed) = count(&child.path);
                RegionFiling { code: child.code.to_string(), name: child.name.clone(), required, filed, is_territory: false }
            })
            .collect();
        let (required, filed) = count(&root.path);
        if children.is_empty() || required > 0 {
            regions.push(RegionFiling { code: root.code.to_string(), name: root.name.clone(), required, filed, is_territory: true });
        }
        let within = chosen.as_ref().map(|region| region.path.as_str());
        let missing_total = self.store.missing_commitment_count(&visibility, &day, within).await?;
        let pages = ((missing_total + MISSING_PER_PAGE - 1) / MISSING_PER_PAGE).max(1);
        let page = page.clamp(1, pages);
        let missing = self.store.missing_commitments(&visibility, &day, within, MISSING_PER_PAGE, (page - 1) * MISSING_PER_PAGE).await?;
        let first_day = today.checked_sub(jiff::Span::new().days(TREND_DAYS - 1)).map_err(|e| AppError::Internal(e.to_string()))?;
        let filed_by_day = self.store.commitments_filed_by_day(&visibility, &root.path, &first_day.to_string(), &day).await?;
        let trend = (0..TREND_DAYS)
            .filter_map(|offset| first_day.checked_add(jiff::Span::new().days(offset)).ok())
            .map(|date| {
                let date = date.to_string();
                let filed = filed_by_day.iter().find(|(d, _)| *d == date).map_or(0, |(_, n)| *n);
                (date, filed)
            })
            .collect();
        Ok(CommitmentOverview { day, regions, chosen: chosen.map(|region| (region.code.to_string(), region.name)), missing_total, page, pages, missing, trend })
    }
}
