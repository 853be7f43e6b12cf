//! Accidents on the real store: a report is graded by the rules and refuses a level set by hand
//! and bad counts by field; a 重大 accident lists its enterprise as seriously untrustworthy, puts
//! an interview suggestion on accountability's list, vetoes the region's assessment and makes the
//! enterprise 重点 and listed for enforcement; updates regrade within the window; the
//! investigation is the tier's the level names; a repair comes only after a year.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::accidents::{AccidentInput, AccidentRecords, CasualtyInput, MeasureInput, ReportInput};
use app::{App, AppError, Client};
use domain::accidents::AccidentLevel;
use domain::credit::CreditGrade;

fn fields<T: std::fmt::Debug>(result: Result<T, AppError>) -> Vec<&'static str> {
    match result {
        Err(AppError::Invalid(problems)) => problems.iter().map(|p| p.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

use crate::support::actor;

#[tokio::test]
async fn a_major_accident_lists_suggests_and_vetoes_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (office, changchun, chaoyang, jilinshi, enterprise) = (
            actor(&app, "office").await,
            actor(&app, "changchun").await,
            actor(&app, "chaoyang").await,
            actor(&app, "jilinshi").await,
            actor(&app, "enterprise").await,
        );
        let own = enterprise.enterprise_id.unwrap();
        let now = jiff::Timestamp::from_millisecond(domain::time::now_ms() - 2 * 3_600_000).unwrap();
        let input = AccidentInput {
            enterprise_id: Some(own),
            occurred_at: now.to_string(),
            kind: "其他爆炸".into(),
            deaths: 9,
            serious_injuries: 20,
            direct_loss_yuan: 8_000_000,
            summary: "反应釜超压爆炸".into(),
            ..Default::default()
        };

        // Bad input, by field; a level set by hand is refused.
        let bad = AccidentInput {
            deaths: -1,
            direct_loss_yuan: -5,
            kind: "爆炸".into(),
            occurred_at: "2999-01-01T00:00:00Z".into(),
            level: Some(serde_json::json!("一般")),
            ..input.clone()
        };
        assert_eq!(fields(app.report_accident(&chaoyang, &client, &bad).await), ["level", "occurred_at", "kind", "deaths", "direct_loss_yuan"]);
        assert!(matches!(app.report_accident(&jilinshi, &client, &input).await, Err(AppError::Invalid(_))), "{backend}: another city's enterprise");
        let inspector = actor(&app, "inspector").await;
        assert!(matches!(app.report_accident(&inspector, &client, &input).await, Err(AppError::NotFound)));

        // A 较大 accident (9 deaths), reported late, then regraded to 重大 by an update.
        let (id, level) = app.report_accident(&chaoyang, &client, &input).await.unwrap();
        assert_eq!(level, AccidentLevel::Larger, "{backend}");
        let view = app.accident_view(&changchun, &client, id).await.unwrap();
        assert!(view.accident.late_reported, "reported two hours after");
        assert!(matches!(app.accident_view(&jilinshi, &client, id).await, Err(AppError::NotFound)));
        let update =
            CasualtyInput { deaths: 10, serious_injuries: 20, direct_loss_yuan: 8_000_000, note: "搜救发现遇难者".into(), ..Default::default() };
        assert_eq!(app.update_accident_casualties(&changchun, &client, id, &update).await.unwrap(), AccidentLevel::Major);
        assert_eq!(
            fields(app.update_accident_casualties(&changchun, &client, id, &CasualtyInput { level: Some(serde_json::json!("major")), ..update.clone() }).await),
            ["level"]
        );
        let view = app.accident_view(&office, &client, id).await.unwrap();
        assert_eq!((view.accident.level, view.updates.len()), (AccidentLevel::Major, 1));
        assert_eq!(view.investigating_tier, domain::enforcement::Tier::Province);

        // The enterprise is listed, 重点 and listed for enforcement.
        let credit = app.enterprise_credit(&enterprise, &client, own).await.unwrap();
        assert!(credit.listed && credit.grade == CreditGrade::D, "{backend}: {credit:?}");
        assert!(app.credit_list(&enterprise, &client).await.unwrap().iter().any(|l| l.enterprise_id == own));
        let profile = db.store.profile(own).await.unwrap();
        assert!(profile.listed && profile.reasons.contains("fatal_accident") && profile.reasons.contains("credit_listed"), "{backend}: {profile:?}");
        let today = domain::time::today().to_string();
        assert_eq!(fields(app.grant_credit_repair(&changchun, &client, own, &today, "已整改").await), ["on"], "a repair only after a year");

        // Accountability suggests an interview of 长春's principal; the city's assessment is vetoed.
        let suggestions = app.measure_suggestions(&office, &client, &AccidentRecords(&app)).await.unwrap();
        assert!(suggestions.iter().any(|s| s.target == "220100"), "{backend}: {suggestions:?}");
        let government = app.resolve_unit("长春市人民政府").await.unwrap().unwrap().id;
        let year = i64::from(domain::time::today().year());
        let sheet = app.unit_assessment(&office, &client, year, government).await.unwrap().sheet;
        assert!(sheet.vetoed, "{backend}: the region's assessment is vetoed");
        // 四平市 has no accident of the vetoing level (the demo keeps it clean).
        let siping_government = app.resolve_unit("四平市人民政府").await.unwrap().unwrap().id;
        assert!(!app.unit_assessment(&office, &client, year, siping_government).await.unwrap().sheet.vetoed);

        // The province investigates a 重大 accident; the city cannot approve its report.
        let report = ReportInput {
            approved_on: today.clone(),
            findings: "违规操作".into(),
            measures: vec![MeasureInput { measure: "全面排查反应釜".into(), responsible: "长春吉安化工".into(), due_on: today.clone() }],
        };
        assert!(matches!(app.approve_accident_report(&changchun, &client, id, &report).await, Err(AppError::NotFound)));
        app.approve_accident_report(&office, &client, id, &report).await.unwrap();
        assert!(matches!(app.assess_accident(&office, &client, id, &today).await, Err(AppError::Conflict(_))), "measures still open");
        let measure = app.accident_view(&office, &client, id).await.unwrap().measures[0].id;
        app.complete_accident_measure(&changchun, &client, id, measure, &today).await.unwrap();
        app.assess_accident(&office, &client, id, &today).await.unwrap();
        assert_eq!(app.accident_view(&office, &client, id).await.unwrap().accident.investigation_state, "closed");

        // Statistics count it this year; the export has a row for each of the year's accidents.
        let stats = app.accident_statistics(&office, &client, year).await.unwrap();
        assert!(stats.accidents >= 1 && stats.by_level.get("major").copied().unwrap_or(0) >= 1);
        let sheet = app.export_accidents(&office, &client, year, true).await.unwrap();
        let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(sheet)).unwrap();
        let range = calamine::Reader::worksheet_range_at(&mut workbook, 0).unwrap().unwrap();
        assert_eq!(range.get_size().0 as i64, stats.accidents + 1, "{backend}: a heading and a row each");
        assert_eq!(range.get((0, 0)).unwrap().to_string(), "Occurred at", "wholly English when asked");

        // 举一反三: a hidden danger the accident exposed and a campaign answering it are listed with it;
        // a campaign cannot claim an accident its office may not see.
        let danger = app::hidden_dangers::DangerInput {
            enterprise_id: own,
            location: "反应釜区".into(),
            description: "同类反应釜未设超压联锁".into(),
            source: "accident".into(),
            source_ref: Some(format!("accident:{id}")),
            grade: "major".into(),
            deadline: Some(today.clone()),
            responsible_person: "赵明".into(),
        };
        let danger = app.report_danger(&chaoyang, &client, &danger).await.unwrap();
        let checklist = app.checklist_library(&office, &client).await.unwrap()[0].id;
        let campaign = app::checklists::CampaignInput {
            name: "反应釜超压举一反三专项整治".into(),
            checklist_id: checklist,
            starts_on: today.clone(),
            ends_on: today.clone(),
            sector: "hazardous_chemicals".into(),
            accident_id: Some(id),
            ..Default::default()
        };
        let campaign_id = app.create_campaign(&office, &client, &campaign).await.unwrap();
        let view = app.accident_view(&changchun, &client, id).await.unwrap();
        assert_eq!(view.dangers.iter().map(|d| d.id).collect::<Vec<_>>(), [danger.id], "{backend}");
        assert_eq!(view.campaigns.iter().map(|k| k.id).collect::<Vec<_>>(), [campaign_id]);
        let jilin_office = actor(&app, "jilinshi").await;
        assert_eq!(fields(app.create_campaign(&jilin_office, &client, &campaign).await), ["accident_id"], "{backend}: another city's accident");
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}
