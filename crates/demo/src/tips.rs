//! The demo's tips: a year of reports across the province in every state, dated as if handled
//! over the months (one accepted 70 days ago and overdue, one extended), the conversations with
//! their reporters, a named internal whistleblower whose identity a handler asked to see, a
//! duplicate of an earlier report, and rewards: one approved and awaiting its claim, one paid.

use domain::audit::Outcome;
use domain::tips::{TipInput, TipState};

use app::{App, AppError, Client, Result, audit_event};

/// (days ago received, kind, county, description, final state, days to accept, days to verify,
/// substantiated, named, reward: 0 none, 1 approved, 2 paid)
type DemoTip = (i64, &'static str, &'static str, &'static str, TipState, i64, i64, bool, bool, u8);

const TIPS: [DemoTip; 12] = [
    (2, "major_danger", "220104", "化工园路一家企业的液氨储罐区压力表长期损坏,夜间能闻到刺激性气味。", TipState::Received, 0, 0, false, false, 0),
    (1, "illegal_production", "220203", "某采石场在停产整顿期间夜间偷偷开工,运矿车半夜进出。", TipState::Received, 0, 0, false, false, 0),
    (20, "major_danger", "220102", "商场地下车库消防通道被杂物堵塞,喷淋头被拆。", TipState::Accepted, 2, 0, false, false, 0),
    (75, "illegal_production", "220183", "无证经营的烟花爆竹仓库设在居民楼一层。", TipState::Accepted, 5, 0, false, false, 0),
    (50, "major_danger", "220302", "企业动火作业不办票,受限空间作业无人监护。我是该厂员工。", TipState::Accepted, 1, 0, false, true, 0),
    (120, "concealed_accident", "220202", "上月厂里有工人从高处坠落身亡,企业私了没有上报。", TipState::Closed, 2, 25, true, false, 2),
    (90, "major_danger", "220104", "危化品仓库超量储存,堆垛超高,通道不足一米。", TipState::Closed, 1, 12, true, false, 1),
    (60, "major_danger", "220104", "危化品仓库货物堆到顶,过道很窄,跟之前说的是同一处。", TipState::Duplicate, 0, 0, false, false, 0),
    (45, "other", "220602", "小区燃气管道锈蚀严重。", TipState::Unfounded, 3, 10, false, false, 0),
    (35, "major_danger", "220702", "加油站卸油时不接静电接地线。", TipState::Verified, 2, 9, true, false, 0),
    (150, "illegal_production", "222401", "林场附近有非法小煤窑私挖滥采。", TipState::Closed, 4, 40, true, false, 0),
    (200, "major_danger", "220581", "矿山尾矿库坝体出现裂缝,排洪设施堵塞。", TipState::Closed, 3, 30, true, false, 0),
];

pub async fn load(app: &App) -> Result<()> {
    // A store opened without the server key (the benchmarks' scratch databases) keeps no tips.
    if !app.store.keeps_tips() {
        return Ok(());
    }
    let office = app.store.user_by_username("office").await?.ok_or_else(|| AppError::Internal("demo account office missing".into()))?;
    // Replies come from the county regulator for 朝阳区 and from the province office elsewhere.
    let chaoyang = app.store.user_by_username("chaoyang").await?.ok_or_else(|| AppError::Internal("demo account chaoyang missing".into()))?;
    let today = domain::time::today();
    let day = |days_ago: i64| today.checked_sub(jiff::Span::new().days(days_ago)).map(|d| d.to_string()).unwrap_or_default();
    let system = |action: &str, id: i64| audit_event(None, &Client::cli(), action, format!("tip:{id}"), Outcome::Success, serde_json::json!({"demo": true}));
    let mut first_of_warehouse = None;
    for (index, (ago, kind, county, description, state, accept_after, verify_after, substantiated, named, reward)) in TIPS.into_iter().enumerate() {
        let input = TipInput {
            kind: kind.into(),
            region_code: county.into(),
            description: description.into(),
            anonymous: !named,
            internal: named,
            name: named.then(|| "刘建军".to_owned()),
            phone: named.then(|| "13804320000".to_owned()),
            ..Default::default()
        };
        let (id, _receipt) = app.submit_tip(&input).await?;
        let mut tip = app.store.tip(id).await?;
        tip.received_on = day(ago);
        if index == 6 {
            first_of_warehouse = Some(id);
        }
        if state == TipState::Duplicate {
            tip.state = TipState::Duplicate;
            tip.duplicate_of = first_of_warehouse;
            tip.closed_on = Some(day(ago - 1));
        } else if state != TipState::Received {
            tip.state = state;
            tip.accepted_on = Some(day(ago - accept_after));
            tip.extended = index == 4;
            if matches!(state, TipState::Verified | TipState::Unfounded | TipState::Closed) {
                tip.verified_on = Some(day(ago - verify_after));
                tip.substantiated = Some(substantiated);
                tip.outcome = Some(
                    if substantiated {
                        "经现场核查,举报情况属实,已依法查处并责令整改。"
                    } else {
                        "经现场核查,未发现举报所述问题。"
                    }
                    .to_owned(),
                );
                if state != TipState::Verified {
                    tip.feedback_on = Some(day(ago - verify_after - 3));
                }
                if state == TipState::Closed {
                    tip.closed_on = Some(day(ago - verify_after - 5));
                }
            }
        }
        if reward > 0 {
            let (amount, basis) = if kind == "concealed_accident" { (30_000, "concealed:general:1") } else { (15_000, "fine:100000") };
            tip.reward_yuan = Some(amount);
            tip.reward_basis = Some(basis.to_owned());
            tip.reward_approved_by = Some(office.id);
            tip.reward_approved_on = Some(day(ago - verify_after - 4));
            tip.paying_unit = Some("吉林省应急管理厅(长春市人民大街3699号)".to_owned());
            if reward == 2 {
                tip.reward_paid_on = Some(day(ago - verify_after - 15));
                tip.reward_paid_by = Some(office.id);
            }
        }
        // The store takes the rows as the handling left them (dates in the past).
        app.store.save_tip(&tip, &system("tip.demo_history", id), &[]).await?;
        let handler = if county == "220104" { chaoyang.id } else { office.id };
        if tip.accepted_on.is_some() {
            app.store
                .add_tip_message(id, false, Some(handler), "您的举报已受理,我们将尽快核查。", &day(ago - accept_after), Some(&system("tip.reply", id)))
                .await?;
            if index == 2 {
                app.store.add_tip_message(id, true, None, "补充:堵塞的是B2层东侧通道。", &day(ago - accept_after - 1), None).await?;
            }
        }
        if let (Some(outcome), Some(feedback)) = (&tip.outcome, &tip.feedback_on) {
            app.store.add_tip_message(id, false, Some(handler), outcome, feedback, Some(&system("tip.feedback", id))).await?;
        }
        if named {
            app.store.request_tip_disclosure(id, handler, "需向举报人核实动火作业的具体时间和地点", &system("tip.identity_request", id)).await?;
        }
    }
    Ok(())
}
