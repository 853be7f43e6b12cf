//! The demo's liability insurance: a policy for every high-risk enterprise whose registration
//! declares one (a year ending on the declared expiry); most of those that ran out were renewed,
//! usually raising a ¥300,000 cover to the 2025 minimum, so that a few lapsed ones make the
//! uninsured list and some covers are flagged below the minimum; and the insurers' prevention
//! services under a third of the policies.

use domain::audit::Outcome;
use domain::insurance::{Policy, ServiceKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use app::{App, AppError, Client, Result, audit_event};

const SERVICES: [(ServiceKind, &str); 5] = [
    (ServiceKind::HiddenDangerCheck, "组织注册安全工程师开展隐患排查,发现一般隐患3项,已反馈企业整改"),
    (ServiceKind::Training, "为一线员工开展安全生产培训,覆盖42人"),
    (ServiceKind::RiskAssessment, "对重点装置开展风险评估,提出管控建议5条"),
    (ServiceKind::Drill, "协助企业开展泄漏事故应急演练"),
    (ServiceKind::Publicity, "发放安全生产宣传资料并开展警示教育"),
];

pub async fn load(app: &App, seed: u64) -> Result<()> {
    let client = Client::cli();
    let office = app.store.user_by_username("office").await?.ok_or_else(|| AppError::Internal("demo account office missing".into()))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1a5u64);
    let today = domain::time::today();
    for row in app.store.insurance_coverage("", &today.to_string()).await? {
        let stored = app.store.enterprise(row.enterprise_id, &domain::access::Visibility::Everything).await?;
        let Some(declared) = stored.enterprise.insurance else { continue };
        // The declared expiry ends the policy; it began a year before (a demo enterprise whose
        // policy ran out is uninsured today).
        let starts_on = declared.expires_on.checked_sub(jiff::Span::new().years(1)).and_then(|d| d.tomorrow()).unwrap_or(declared.expires_on);
        let insured_persons: i64 = match stored.enterprise.scale {
            domain::enterprises::Scale::Large => rng.random_range(300..1200),
            domain::enterprises::Scale::Medium => rng.random_range(100..300),
            _ => rng.random_range(8..100),
        };
        let policy = Policy {
            insurer: declared.insurer.clone(),
            policy_number: format!("AZX{}{:06}", starts_on.year(), row.enterprise_id),
            starts_on,
            ends_on: declared.expires_on,
            insured_persons,
            cover_per_death_yuan: declared.cover_per_person_yuan,
            // About ¥300 a person for ¥400,000 of cover.
            premium_yuan: (insured_persons * declared.cover_per_person_yuan * 3 / 4_000).max(1_000),
        };
        let event = audit_event(None, &client, "insurance.policy", String::new(), Outcome::Success, serde_json::json!({"demo": true}));
        let mut policy_id = app.store.add_insurance_policy(row.enterprise_id, &policy, office.id, &event).await?;
        let mut policy = policy;
        if policy.ends_on < today && rng.random_bool(0.85) {
            let starts_on = policy.ends_on.tomorrow().unwrap_or(policy.ends_on);
            let cover = if policy.cover_per_death_yuan < 400_000 && rng.random_bool(0.7) { 400_000 } else { policy.cover_per_death_yuan };
            let renewal = Policy {
                policy_number: format!("AZX{}{:06}", starts_on.year(), row.enterprise_id),
                starts_on,
                ends_on: starts_on.checked_add(jiff::Span::new().years(1)).and_then(|d| d.yesterday()).unwrap_or(starts_on),
                cover_per_death_yuan: cover,
                premium_yuan: (policy.insured_persons * cover * 3 / 4_000).max(1_000),
                ..policy.clone()
            };
            let event = audit_event(None, &client, "insurance.policy", String::new(), Outcome::Success, serde_json::json!({"demo": true, "renewal": true}));
            policy_id = app.store.add_insurance_policy(row.enterprise_id, &renewal, office.id, &event).await?;
            policy = renewal;
        }
        if rng.random_range(0..3) == 0 {
            let (kind, summary) = SERVICES[rng.random_range(0..SERVICES.len())];
            let served_on = policy.starts_on.checked_add(jiff::Span::new().days(rng.random_range(20..200))).unwrap_or(policy.starts_on);
            if served_on <= today && served_on <= policy.ends_on {
                let event = audit_event(
                    None,
                    &client,
                    "insurance.service",
                    format!("insurance_policy:{policy_id}"),
                    Outcome::Success,
                    serde_json::json!({"demo": true}),
                );
                let provider = format!("{}防灾防损中心", declared.insurer.trim_end_matches("吉林省分公司"));
                app.store.add_insurance_service(policy_id, &served_on.to_string(), kind, &provider, summary, office.id, &event).await?;
            }
        }
    }
    Ok(())
}
