//! Liability insurance on the real store: a policy is checked field by field and a cover below
//! the statutory minimum is flagged, not refused; a policy number is recorded once per insurer; an
//! enterprise manages only its own policies; services fall within the policy's period; the
//! premium floats with the record; the territory's coverage and its export count every high-risk
//! enterprise once, insured or not.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::accidents::AccidentInput;
use app::insurance::ServiceInput;
use app::{App, AppError, Client};
use calamine::Reader;
use domain::insurance::{FloatReason, PolicyInput};

fn fields<T: std::fmt::Debug>(result: Result<T, AppError>) -> Vec<&'static str> {
    match result {
        Err(AppError::Invalid(problems)) => problems.iter().map(|p| p.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

use crate::support::actor;

fn days_from_today(days: i64) -> String {
    domain::time::today().checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

#[tokio::test]
async fn policies_minimum_cover_float_and_coverage_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (office, chaoyang, enterprise, expert) =
            (actor(&app, "office").await, actor(&app, "chaoyang").await, actor(&app, "enterprise").await, actor(&app, "expert").await);
        let own = enterprise.enterprise_id.unwrap();
        let before = app.insurance_coverage(&office, &client).await.unwrap();
        assert!(before.high_risk > 0, "{backend}: the demo has high-risk enterprises");
        assert_eq!(before.insured + before.uninsured_total, before.high_risk, "{backend}: each counted once");
        assert_eq!(before.regions.iter().map(|r| r.high_risk).sum::<i64>(), before.high_risk);

        // Bad input by field; nothing is written.
        let input = PolicyInput {
            insurer: "测试财产保险吉林分公司".into(),
            policy_number: "T-0001".into(),
            starts_on: days_from_today(-30),
            ends_on: days_from_today(300),
            insured_persons: "80".into(),
            cover_per_death_yuan: "300000".into(),
            premium_yuan: "24000".into(),
        };
        let bad = PolicyInput { ends_on: days_from_today(-31), insured_persons: "-3".into(), premium_yuan: "lots".into(), ..input.clone() };
        assert_eq!(fields(app.record_insurance_policy(&enterprise, &client, own, &bad).await), ["ends_on", "insured_persons", "premium_yuan"]);
        let policies_before = app.insurance_record(&enterprise, &client, own).await.unwrap().policies.len();

        // The enterprise records its own policy: a ¥300,000 cover this year is below the minimum.
        let id = app.record_insurance_policy(&enterprise, &client, own, &input).await.unwrap();
        let record = app.insurance_record(&chaoyang, &client, own).await.unwrap();
        assert_eq!(record.policies.len(), policies_before + 1, "{backend}");
        let policy = record.policies.iter().find(|p| p.id == id).unwrap();
        assert!(policy.in_force && policy.below_minimum && policy.minimum_cover_yuan == 400_000, "{backend}: {policy:?}");
        assert!(record.insured_today);
        assert!(matches!(app.record_insurance_policy(&enterprise, &client, own, &input).await, Err(AppError::Conflict(_))), "{backend}: once per insurer");
        let other = own + 1;
        assert!(app.record_insurance_policy(&enterprise, &client, other, &PolicyInput { policy_number: "T-2".into(), ..input.clone() }).await.is_err());
        assert!(app.insurance_record(&expert, &client, own).await.is_err(), "{backend}: an expert reads no policies");

        // Services fall within the policy's period and not after today.
        let service = ServiceInput {
            served_on: days_from_today(-10),
            kind: "hidden_danger_check".into(),
            provider: "测试防灾防损中心".into(),
            summary: "隐患排查".into(),
        };
        let late = ServiceInput { served_on: days_from_today(1), kind: "tea".into(), ..service.clone() };
        assert_eq!(fields(app.record_insurance_service(&enterprise, &client, id, &late).await), ["served_on", "kind"]);
        app.record_insurance_service(&enterprise, &client, id, &service).await.unwrap();
        assert!(app.insurance_record(&office, &client, own).await.unwrap().services.iter().any(|s| s.policy_id == id));

        // The premium floats with the record: one more 一般 accident counts.
        let general = |record: &app::insurance::InsuranceView| {
            record.premium_float.reasons.iter().find(|l| l.reason == FloatReason::GeneralAccident).map_or(0, |l| l.count)
        };
        let accidents_before = general(&record);
        let now = jiff::Timestamp::from_millisecond(domain::time::now_ms() - 600_000).unwrap();
        let accident = AccidentInput {
            enterprise_id: Some(own),
            occurred_at: now.to_string(),
            kind: "物体打击".into(),
            serious_injuries: 1,
            direct_loss_yuan: 50_000,
            summary: "吊装作业物体打击".into(),
            ..Default::default()
        };
        app.report_accident(&chaoyang, &client, &accident).await.unwrap();
        let record = app.insurance_record(&enterprise, &client, own).await.unwrap();
        assert_eq!(general(&record), accidents_before + 1, "{backend}");
        assert!((-30..=30).contains(&record.premium_float.points), "held in the default band");

        // Coverage: the enterprise is insured now and its cover flagged; the export has every
        // high-risk enterprise, one row each.
        let after = app.insurance_coverage(&office, &client).await.unwrap();
        assert!(!after.uninsured.iter().any(|e| e.enterprise_id == own), "{backend}");
        assert_eq!(after.high_risk, before.high_risk);
        assert!(matches!(app.insurance_coverage(&enterprise, &client).await, Err(AppError::NotFound)), "{backend}: not for an enterprise");
        let sheet = app.export_insurance_coverage(&office, &client, false).await.unwrap();
        let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(sheet)).unwrap();
        let range = workbook.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.get_size().0 as i64, after.high_risk + 1, "{backend}: a heading and a row each");
        assert_eq!(range.get((0, 0)).unwrap().to_string(), "企业名称");
    }
}
