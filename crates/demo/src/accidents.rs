//! The demo's accidents: two years of them across the province (for the 同比 comparison), of
//! every level, one of them concealed, the 重大 one's investigation report approved with its
//! measures; the credit records and the listings they cause follow from them.

use domain::accidents::{AccidentKind, Casualties};
use domain::audit::Outcome;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::NewAccident;

use app::accidents::{MeasureInput, ReportInput};
use app::{Actor, App, AppError, Client, Result, audit_event};

async fn actor(app: &App, name: &str) -> Result<Actor> {
    let user = app.store.user_by_username(name).await?.ok_or_else(|| AppError::Internal(format!("demo account {name} missing")))?;
    app.actor_for_user(&user).await
}

/// (days ago, deaths, serious injuries, loss in yuan, concealed): the notable ones; a few dozen
/// 一般 accidents are added around them.
const NOTABLE: [(i64, u32, u32, i64, bool); 6] = [
    (40, 11, 6, 32_000_000, false),
    (75, 4, 3, 6_500_000, false),
    (200, 3, 12, 11_000_000, false),
    (300, 32, 40, 160_000_000, false),
    (120, 1, 0, 900_000, true),
    (420, 5, 2, 4_000_000, false),
];

pub async fn load(app: &App, seed: u64) -> Result<()> {
    let client = Client::cli();
    let office = actor(app, "office").await?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xacc1_d3e7);
    // Up to 200 enterprises of every city, so that accidents spread over the province.
    let mut enterprises = Vec::new();
    for city in ["220100", "220200", "220300", "220400", "220500", "220600", "220700", "220800", "222400"] {
        let query = app::enterprises::ListQuery { region_code: Some(city.into()), ..Default::default() };
        enterprises.extend(app.list_enterprises(&office, &client, &query, 1, 200).await?.items);
    }
    if enterprises.is_empty() {
        return Ok(());
    }
    let now = domain::time::now_ms();
    let day_ms = 86_400_000;
    let mut accidents: Vec<(i64, u32, u32, i64, bool)> = NOTABLE.to_vec();
    for _ in 0..(enterprises.len() / 40).clamp(6, 60) {
        accidents.push((rng.random_range(1..700), rng.random_range(0..=2), rng.random_range(0..=4), rng.random_range(50_000..3_000_000), false));
    }
    let mut major = None;
    for (index, (days_ago, deaths, serious_injuries, loss, concealed)) in accidents.into_iter().enumerate() {
        // The 重大 accident is at an enterprise of 吉林市, the 特别重大 one in 松原市; the showcase
        // enterprise's district and 四平市 keep a clean record (the browser test reports there).
        let place = match index {
            0 => Some("2202"),
            3 => Some("2207"),
            _ => None,
        };
        let candidates: Vec<&store::EnterpriseSummary> = enterprises
            .iter()
            .filter(|e| match place {
                Some(prefix) => e.region_code.starts_with(prefix),
                None => !e.region_code.starts_with("220104") && !e.region_code.starts_with("2203"),
            })
            .collect();
        let Some(enterprise) = candidates.get(rng.random_range(0..candidates.len().max(1))).copied() else { continue };
        let occurred_at = now - days_ago * day_ms - rng.random_range(0..day_ms / 2);
        let kind = AccidentKind::ALL[rng.random_range(0..AccidentKind::ALL.len())];
        let casualties = Casualties { deaths, missing: 0, serious_injuries, direct_loss_yuan: loss };
        let accident = NewAccident {
            enterprise_id: Some(enterprise.id),
            region_code: enterprise.region_code.clone(),
            occurred_at,
            reported_at: occurred_at + if concealed { 20 * day_ms } else { rng.random_range(600_000..3_000_000) },
            kind,
            road_traffic: false,
            deaths: i64::from(deaths),
            missing: 0,
            serious_injuries: i64::from(serious_injuries),
            direct_loss_yuan: loss,
            level: casualties.level(),
            liability: true,
            late_reported: concealed,
            summary: format!("{}:{}", kind.label_zh(), "作业过程中发生事故,详见调查报告"),
        };
        let event =
            audit_event(None, &client, "accident.report", String::new(), Outcome::Success, serde_json::json!({"demo": true, "level": accident.level.key()}));
        let id = app.store.create_accident(&accident, office.user_id, &event).await?;
        if concealed {
            app.mark_accident_concealed(&office, &client, id).await?;
        }
        if index == 0 {
            major = Some(id);
        }
    }
    // The province approved the 重大 accident's report; one measure is done.
    if let Some(id) = major {
        let today = domain::time::today();
        let due = today.checked_add(jiff::Span::new().days(90)).map(|d| d.to_string()).unwrap_or_default();
        let report = ReportInput {
            approved_on: today.to_string(),
            findings: "企业未落实动火作业审批,现场监护缺失;属地监管部门检查流于形式。".into(),
            measures: vec![
                MeasureInput { measure: "全面排查动火作业审批制度落实情况".into(), responsible: "事故企业".into(), due_on: due.clone() },
                MeasureInput {
                    measure: "开展危险化学品企业特殊作业专项检查".into(), responsible: "吉林市应急管理局".into(), due_on: due
                },
            ],
        };
        app.approve_accident_report(&office, &client, id, &report).await?;
        let measure = app.accident_view(&office, &client, id).await?.measures.first().map(|m| m.id);
        if let Some(measure) = measure {
            app.complete_accident_measure(&office, &client, id, measure, &today.to_string()).await?;
        }
    }
    Ok(())
}
