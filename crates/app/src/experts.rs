//! The expert pool (专家库): the committee office keeps experts' specialities and regions;
//! regulators assign experts to verify 重大 rectifications and offices to check campaign targets;
//! what experts do is recorded as their services.

use domain::audit::Outcome;
use domain::message::Message;
use domain::role::Role;
use serde::Serialize;
use store::{ExpertRow, ServiceRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

fn field(name: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field: name, message }
}

impl App {
    /// The office records an expert account's specialities and home region.
    pub async fn set_expert_profile(&self, actor: &Actor, client: &Client, user_id: i64, specialities: &str, region_code: &str) -> Result<()> {
        if !policy::allows(actor, Action::ManageExpertPool) {
            return Err(self.denied(actor, client, "expert.profile", format!("user:{user_id}")).await);
        }
        let path = actor.region_path.clone().unwrap_or_default();
        let user = self.store.user(user_id).await?;
        let mut problems = Vec::new();
        if user.role != Role::Expert.key() {
            problems.push(field("user_id", domain::message!("experts.account_not_expert_s")));
        }
        if specialities.trim().is_empty() || specialities.chars().count() > 200 {
            problems.push(field("specialities", domain::message!("experts.give_specialities_most_200_characters")));
        }
        match self.store.region(region_code.trim()).await {
            Ok(region) if region.path.starts_with(&path) => {}
            _ => problems.push(field("region_code", domain::message!("experts.no_such_region_your_territory"))),
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            "expert.profile",
            format!("user:{user_id}"),
            Outcome::Success,
            serde_json::json!({"specialities": specialities.trim()}),
        );
        Ok(self.store.upsert_expert(user_id, specialities.trim(), region_code.trim(), &event).await?)
    }

    /// The experts available in the caller's territory (offices, regulators and inspectors).
    /// The accounts with the expert role (id, name), for the office that links pool entries to
    /// accounts: the provincial committee office that manages the province's plans.
    pub async fn expert_accounts(&self, actor: &Actor) -> Result<Vec<(i64, String)>> {
        if !policy::allows(actor, Action::ManageExpertPool) {
            return Err(AppError::NotFound);
        }
        Ok(self.store.users_with_role(Role::Expert.key()).await?)
    }

    pub async fn expert_pool(&self, actor: &Actor, client: &Client) -> Result<Vec<ExpertRow>> {
        match &actor.region_path {
            Some(path) if policy::allows(actor, Action::ReadExpertPool) => Ok(self.store.experts_for(path).await?),
            _ => Err(self.denied(actor, client, "expert.list", "experts".into()).await),
        }
    }

    async fn available_expert(&self, actor: &Actor, expert_id: i64) -> Result<bool> {
        Ok(self.expert_pool_ids(actor).await?.contains(&expert_id))
    }

    async fn expert_pool_ids(&self, actor: &Actor) -> Result<Vec<i64>> {
        let path = actor.region_path.clone().unwrap_or_default();
        Ok(self.store.experts_for(&path).await?.into_iter().map(|e| e.user_id).collect())
    }

    /// A regulator of the danger's territory assigns an expert of its pool to verify it.
    pub async fn assign_expert_to_danger(&self, actor: &Actor, client: &Client, danger_id: i64, expert_id: i64) -> Result<()> {
        let visible = self.store.danger(danger_id, &policy::enterprise_visibility(actor)).await.is_ok();
        if !policy::allows(actor, Action::AssignExpertToDanger) || !visible {
            return Err(self.denied(actor, client, "expert.assign", format!("hidden_danger:{danger_id}")).await);
        }
        if !self.available_expert(actor, expert_id).await? {
            return Err(AppError::Invalid(vec![field("expert_id", domain::message!("experts.not_expert_your_pool"))]));
        }
        let event =
            audit_event(Some(actor), client, "expert.assign", format!("hidden_danger:{danger_id}"), Outcome::Success, serde_json::json!({"expert": expert_id}));
        let danger = self.store.danger(danger_id, &domain::access::Visibility::Everything).await?;
        let what = crate::hidden_dangers::danger_summary(danger.id, &danger.enterprise_name, &danger.description);
        let message = domain::message!("inbox.expert_assigned_danger", what = what);
        let post = self.expert_post(expert_id, &format!("expert:{expert_id}:danger:{danger_id}"), &message, format!("/dangers/{danger_id}"), actor).await?;
        self.store.assign_expert(expert_id, Some(danger_id), None, actor.user_id, &event, &post).await?;
        Ok(())
    }

    /// The office or regulator running a campaign assigns an expert of its pool to check targets.
    pub async fn assign_expert_to_campaign(&self, actor: &Actor, client: &Client, campaign_id: i64, expert_id: i64) -> Result<()> {
        let campaign = self.store.campaign(campaign_id).await?;
        let region = self.store.region(&campaign.region_code).await?;
        if !policy::allows(actor, Action::ManageWorkPlan { region_path: &region.path }) {
            return Err(self.denied(actor, client, "expert.assign", format!("campaign:{campaign_id}")).await);
        }
        if !self.available_expert(actor, expert_id).await? {
            return Err(AppError::Invalid(vec![field("expert_id", domain::message!("experts.not_expert_your_pool"))]));
        }
        let event =
            audit_event(Some(actor), client, "expert.assign", format!("campaign:{campaign_id}"), Outcome::Success, serde_json::json!({"expert": expert_id}));
        let message = domain::message!("inbox.expert_assigned_campaign", name = campaign.name);
        let post =
            self.expert_post(expert_id, &format!("expert:{expert_id}:campaign:{campaign_id}"), &message, format!("/campaigns/{campaign_id}"), actor).await?;
        self.store.assign_expert(expert_id, None, Some(campaign_id), actor.user_id, &event, &post).await?;
        Ok(())
    }

    /// The message that tells an expert, by name, of an assignment.
    async fn expert_post(&self, expert_id: i64, topic: &str, message: &domain::message::Message, link: String, actor: &Actor) -> Result<Vec<store::UnitPost>> {
        let expert = self.store.user(expert_id).await?;
        Ok(vec![crate::inbox::personal_post(expert.unit_id, expert_id, topic, false, message, link, actor)])
    }

    /// An expert's services: for the expert itself, or for those whose pool it is in.
    pub async fn expert_services(&self, actor: &Actor, client: &Client, expert_id: i64) -> Result<(ExpertRow, Vec<ServiceRow>)> {
        let in_actors_pool = actor.user_id != expert_id && self.available_expert(actor, expert_id).await?;
        let allowed = policy::allows(actor, Action::ReadExpertServices { expert_is_actor: actor.user_id == expert_id, in_actors_pool });
        let profile = self.store.expert(expert_id).await?;
        match (allowed, profile) {
            (true, Some(profile)) => Ok((profile, self.store.expert_services(expert_id).await?)),
            _ => Err(self.denied(actor, client, "expert.read", format!("user:{expert_id}")).await),
        }
    }

    /// What an expert is assigned: the hidden dangers to verify and the campaigns to check, for the
    /// expert itself or for those whose pool it is in (as its services).
    pub async fn expert_assignments(&self, actor: &Actor, client: &Client, expert_id: i64) -> Result<ExpertAssignments> {
        self.expert_services(actor, client, expert_id).await?;
        let (danger_ids, campaign_ids) = self.store.expert_assignments(expert_id).await?;
        let mut dangers = Vec::new();
        for id in danger_ids {
            // Assigned is readable: the assignment is the expert's reach (as policy grants it).
            if let Ok(row) = self.store.danger(id, &domain::access::Visibility::Everything).await {
                dangers.push(AssignedDanger {
                    id,
                    enterprise_name: row.enterprise_name,
                    description: row.description.chars().take(60).collect(),
                    state: row.state.key().to_owned(),
                    deadline: row.deadline,
                });
            }
        }
        let mut campaigns = Vec::new();
        for id in campaign_ids {
            if let Ok(row) = self.store.campaign(id).await {
                campaigns.push(AssignedCampaign { id, name: row.name, checklist_name: row.checklist_name, starts_on: row.starts_on, ends_on: row.ends_on });
            }
        }
        Ok(ExpertAssignments { dangers, campaigns })
    }
}

/// A hidden danger an expert is assigned to verify.
#[derive(Debug, Clone, Serialize)]
pub struct AssignedDanger {
    pub id: i64,
    pub enterprise_name: String,
    pub description: String,
    pub state: String,
    pub deadline: Option<String>,
}

/// A campaign an expert is assigned to check in.
#[derive(Debug, Clone, Serialize)]
pub struct AssignedCampaign {
    pub id: i64,
    pub name: String,
    pub checklist_name: String,
    pub starts_on: String,
    pub ends_on: String,
}

/// An expert's assignments.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExpertAssignments {
    pub dangers: Vec<AssignedDanger>,
    pub campaigns: Vec<AssignedCampaign>,
}
