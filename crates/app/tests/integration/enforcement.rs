//! Enforcement on the real store: the demo province's jurisdiction leaves nobody unassigned or
//! claimed twice, plans hold every 重点 enterprise of their office, a draw re-verifies from its
//! seed and fails once its candidates or items are changed, inspections turn findings into hidden
//! dangers and refuse bad input by field, unannounced visits stay hidden from the enterprise until
//! recorded, classes follow the facts, and one process of several takes a job's lease.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::enforcement::{FindingInput, InspectionInput, InspectionPlanInput, OverrideInput, PenaltyInput};
use app::{Actor, App, AppError, Client};

fn fields(result: Result<impl std::fmt::Debug, AppError>) -> Vec<&'static str> {
    match result {
        Err(AppError::Invalid(problems)) => problems.iter().map(|p| p.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

use crate::support::actor;

#[tokio::test]
async fn enforcement_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 120).await.unwrap();
        let client = Client::cli();
        let (office, changchun, inspector, jilinshi, enterprise) = (
            actor(&app, "office").await,
            actor(&app, "changchun").await,
            actor(&app, "inspector").await,
            actor(&app, "jilinshi").await,
            actor(&app, "enterprise").await,
        );

        // Jurisdiction: every enterprise exactly one office.
        let summary = app.jurisdiction(&office, &client, None).await.unwrap();
        assert_eq!((summary.unassigned, summary.overlapping), (0, 0), "{backend}: {:?}", summary.exceptions);
        assert_eq!(summary.total, 120);
        assert_eq!(summary.by_tier.province + summary.by_tier.city + summary.by_tier.county, summary.total);
        assert!(summary.by_tier.province > 0 && summary.by_tier.city > 0 && summary.by_tier.county > 0, "{backend}: every tier supervises some");
        let city_view = app.jurisdiction(&changchun, &client, None).await.unwrap();
        assert!(city_view.total < summary.total && city_view.region_code == "220100");
        assert!(matches!(app.jurisdiction(&changchun, &client, Some("220200")).await, Err(AppError::NotFound)), "another city is outside the territory");
        assert!(matches!(app.jurisdiction(&enterprise, &client, None).await, Err(AppError::NotFound)));

        // Plans: every 重点 enterprise the office supervises is in its plan.
        let year = i64::from(domain::time::today().year());
        let plans = app.inspection_plans(&office, &client, Some(year), None).await.unwrap();
        // Every office with enterprises has its plan, at every tier, and every 重点 enterprise is
        // in its own office's plan.
        let offices = app.supervising_offices().await.unwrap();
        assert!(plans.len() >= offices.len(), "{backend}: a plan per office");
        for tier in [domain::enforcement::Tier::Province, domain::enforcement::Tier::City, domain::enforcement::Tier::County] {
            assert!(plans.iter().any(|p| p.tier == tier), "{backend}: a {tier:?} plan");
        }
        let mut planned = std::collections::BTreeSet::new();
        for plan in &plans {
            let view = app.inspection_plan(&office, &client, plan.id).await.unwrap();
            assert!(view.items.iter().all(|i| i.inspectors.len() == 2 && (1..=4).contains(&i.quarter)));
            for item in view.items {
                let profile = db.store.profile(item.enterprise_id).await.unwrap();
                if profile.office_region_code.as_deref() == Some(plan.region_code.as_str()) && profile.authority.as_deref() == Some(plan.authority.key()) {
                    planned.insert(item.enterprise_id);
                }
            }
        }
        let key: Vec<i64> = db.store.profile_keys().await.unwrap().into_iter().filter(|p| p.class == "key").map(|p| p.enterprise_id).collect();
        assert!(!key.is_empty());
        for enterprise_id in key {
            assert!(planned.contains(&enterprise_id), "{backend}: key enterprise {enterprise_id} missing from its office's plan");
        }
        let city_plan = plans.iter().find(|p| p.region_code == "220100").unwrap();
        match app.create_inspection_plan(&changchun, &client, &InspectionPlanInput { year, region_code: "220100".into() }).await {
            Err(AppError::Conflict(_)) => {}
            other => panic!("{backend}: a second plan for the year: {other:?}"),
        }
        assert_eq!(
            fields(app.create_inspection_plan(&changchun, &client, &InspectionPlanInput { year: year + 1, region_code: "220200".into() }).await),
            ["region_code"]
        );
        assert!(matches!(
            app.create_inspection_plan(&inspector, &client, &InspectionPlanInput { year: year + 1, region_code: "220100".into() }).await,
            Err(AppError::NotFound)
        ));

        // The draw re-verifies; changed candidates or items do not.
        let verified = app.verify_draw(city_plan.id).await.unwrap();
        assert!(verified.verified, "{backend}: {verified:?}");
        let stored: String = stored_draw_input(&db.store, city_plan.id).await;
        // One candidate's class changed, whichever classes the list holds.
        let tampered = if stored.contains("\"class\":\"general\"") {
            stored.replacen("\"class\":\"general\"", "\"class\":\"key\"", 1)
        } else {
            stored.replacen("\"class\":\"key\"", "\"class\":\"general\"", 1)
        };
        assert_ne!(stored, tampered);
        db.store
            .execute_raw_for_tests(&format!("UPDATE inspection_plans SET draw_input = '{}' WHERE id = {}", tampered.replace('\'', "''"), city_plan.id))
            .await
            .unwrap();
        let broken = app.verify_draw(city_plan.id).await.unwrap();
        assert!(!broken.candidates_match_hash && !broken.verified, "{backend}: a changed candidate list fails: {broken:?}");
        db.store
            .execute_raw_for_tests(&format!("UPDATE inspection_plans SET draw_input = '{}' WHERE id = {}", stored.replace('\'', "''"), city_plan.id))
            .await
            .unwrap();
        assert!(app.verify_draw(city_plan.id).await.unwrap().verified);
        db.store
            .execute_raw_for_tests(&format!("UPDATE inspection_plan_items SET quarter = 5 - quarter WHERE plan_id = {} AND position = 0", city_plan.id))
            .await
            .unwrap();
        let moved = app.verify_draw(city_plan.id).await.unwrap();
        assert!(moved.candidates_match_hash && !moved.items_match && !moved.verified, "{backend}: a changed item fails: {moved:?}");
        db.store
            .execute_raw_for_tests(&format!("UPDATE inspection_plan_items SET quarter = 5 - quarter WHERE plan_id = {} AND position = 0", city_plan.id))
            .await
            .unwrap();

        // An inspection of a city-supervised enterprise: a finding becomes a hidden danger.
        let plan = app.inspection_plan(&changchun, &client, city_plan.id).await.unwrap();
        let item = plan.items.iter().find(|i| i.inspection_id.is_none()).expect("an item not yet inspected");
        let recorder = app.actor_for_user(&db.store.user(item.inspectors[0]).await.unwrap()).await.unwrap();
        let today = domain::time::today().to_string();
        let input = InspectionInput {
            plan_item_id: Some(item.id),
            enterprise_id: item.enterprise_id,
            kind: "unannounced".into(),
            inspected_on: today.clone(),
            summary: "暗查储罐区".into(),
            signed_by: "孙立".into(),
            findings: vec![FindingInput { location: "储罐区".into(), description: "可燃气体探测器失效".into(), grade: "major".into() }],
            penalties: vec![PenaltyInput {
                legal_basis: " ".into(),
                amount_yuan: "-5".into(),
                decision_number: "长应急罚〔2026〕1号".into(),
                decided_on: today.clone(),
            }],
            ..Default::default()
        };
        assert_eq!(fields(app.record_inspection(&recorder, &client, &input, Vec::new()).await), ["penalties.legal_basis", "penalties.amount_yuan"]);
        let other_city = app.list_enterprises(&jilinshi, &client, &Default::default(), 1, 1).await.unwrap().items[0].id;
        assert_eq!(
            fields(
                app.record_inspection(&recorder, &client, &InspectionInput { enterprise_id: other_city, plan_item_id: None, ..input.clone() }, Vec::new())
                    .await
            ),
            ["enterprise_id", "penalties.legal_basis", "penalties.amount_yuan"]
        );
        assert_eq!(
            fields(
                app.record_inspection(
                    &recorder,
                    &client,
                    &InspectionInput { signed_by: String::new(), kind: "casual".into(), penalties: Vec::new(), ..input.clone() },
                    Vec::new()
                )
                .await
            ),
            ["kind", "signed_by"]
        );
        let penalty = PenaltyInput { legal_basis: "《安全生产法》第九十九条".into(), amount_yuan: "50000".into(), ..input.penalties[0].clone() };
        let (inspection_id, dangers) =
            app.record_inspection(&recorder, &client, &InspectionInput { penalties: vec![penalty.clone()], ..input.clone() }, Vec::new()).await.unwrap();
        assert_eq!(dangers.len(), 1);
        let danger = app.danger_view(&changchun, &client, dangers[0]).await.unwrap().danger;
        assert_eq!((danger.source.as_str(), danger.grade.as_str()), ("inspection", "major"));
        assert_eq!(danger.source_ref.as_deref(), Some(format!("inspection:{inspection_id}").as_str()));
        let view = app.inspection_view(&changchun, &client, inspection_id).await.unwrap();
        assert_eq!((view.dangers, view.penalties.len(), view.signed_by.as_str()), (dangers.clone(), 1, "孙立"));
        // The danger found is told as any reported one is; the enterprise's people, when it has
        // any, are told what the inspection found and decided.
        assert!(db.store.topic_told(&format!("danger:{}:reported", dangers[0])).await.unwrap(), "{backend}: the bureau is told of the danger");
        let enterprise_people = match db.store.unit_of_enterprise(item.enterprise_id).await.unwrap() {
            Some(unit) => db.store.unit_recipients(unit.id).await.unwrap(),
            None => Vec::new(),
        };
        assert_eq!(db.store.topic_told(&format!("inspection:{inspection_id}")).await.unwrap(), !enterprise_people.is_empty(), "{backend}");
        if let Some(user) = enterprise_people.first() {
            let enterprise = app.actor_for_user(&db.store.user(*user).await.unwrap()).await.unwrap();
            let told = app.messages(&enterprise, false, 1, 200).await.unwrap().items.into_iter().find(|m| m.link == format!("/inspections/{inspection_id}"));
            let told = told.unwrap_or_else(|| panic!("{backend}: the enterprise is told of inspection {inspection_id}"));
            assert!(told.urgent && told.message.render(domain::message::Lang::Zh).contains("发现隐患1项,行政处罚决定1项"), "{backend}: {told:?}");
        }
        assert_eq!(app.enterprise_penalties(&changchun, &client, item.enterprise_id).await.unwrap().len(), 1, "penalties are there for credit");
        assert!(matches!(app.record_inspection(&recorder, &client, &input, Vec::new()).await, Err(AppError::Conflict(_)) | Err(AppError::Invalid(_))));
        assert!(matches!(app.inspection_view(&jilinshi, &client, inspection_id).await, Err(AppError::NotFound)));
        assert!(matches!(app.record_inspection(&changchun, &client, &input, Vec::new()).await, Err(AppError::NotFound)), "a regulator outside the pool");
        assert!(app.verify_draw(city_plan.id).await.unwrap().verified, "recording does not change the draw");

        // Pools: the office sees and runs its pool; an inspector who declares a conflict with an
        // enterprise may no longer record an inspection there.
        let pool = app.inspector_pool_view(&changchun, &client).await.unwrap();
        assert!(pool.manages && pool.members.iter().any(|m| m.user_id == inspector.user_id));
        assert!(!app.inspector_pool_view(&inspector, &client).await.unwrap().manages);
        assert!(matches!(app.inspector_pool_view(&enterprise, &client).await, Err(AppError::NotFound)), "no office, no pool");
        assert_eq!(fields(app.declare_conflict(&recorder, &client, other_city, " ").await), ["enterprise_id", "reason"]);
        app.declare_conflict(&recorder, &client, item.enterprise_id, "亲属在该企业任职").await.unwrap();
        let again = InspectionInput { plan_item_id: None, findings: Vec::new(), penalties: Vec::new(), ..input.clone() };
        assert_eq!(fields(app.record_inspection(&recorder, &client, &again, Vec::new()).await), ["enterprise_id"], "{backend}: a declared conflict");
        let with_conflict = app.inspector_pool_view(&changchun, &client).await.unwrap();
        assert!(with_conflict.members.iter().any(|m| m.user_id == recorder.user_id && m.conflicts.iter().any(|c| c.enterprise_id == item.enterprise_id)));

        // Unannounced visits stay hidden from the enterprise until recorded.
        let own = enterprise.enterprise_id.unwrap();
        let profile = db.store.profile(own).await.unwrap();
        let own_office = profile.office_region_code.clone().unwrap();
        let own_plan = app.inspection_plans(&office, &client, Some(year), Some(&own_office)).await.unwrap();
        let own_plan = own_plan.iter().find(|p| Some(p.authority.key()) == profile.authority.as_deref()).expect("the enterprise's office has a plan");
        let pool = db.store.inspector_pool(&own_office, own_plan.authority).await.unwrap();
        let drawn = format!("{},{}", pool[0].user_id, pool[1].user_id);
        for (position, kind) in [(9_000, "unannounced"), (9_001, "routine")] {
            db.store
                .execute_raw_for_tests(&format!(
                    "INSERT INTO inspection_plan_items (plan_id, position, enterprise_id, reason, quarter, kind, inspectors) VALUES ({}, {position}, {own}, 'random', 4, '{kind}', '{drawn}')",
                    own_plan.id
                ))
                .await
                .unwrap();
        }
        let seen = app.enterprise_inspections(&enterprise, &client, own).await.unwrap();
        assert!(seen.announced.iter().all(|v| v.kind != domain::enforcement::InspectionKind::Unannounced), "{backend}: {:?}", seen.announced);
        assert!(seen.announced.iter().any(|v| v.kind == domain::enforcement::InspectionKind::Routine));
        let hidden_item = app
            .inspection_plan(&office, &client, own_plan.id)
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|i| i.enterprise_id == own && i.kind.key() == "unannounced" && i.inspection_id.is_none())
            .unwrap();
        let own_inspector = app.actor_for_user(&db.store.user(pool[0].user_id).await.unwrap()).await.unwrap();
        let recorded_before = seen.recorded.len();
        let unannounced =
            InspectionInput { plan_item_id: Some(hidden_item.id), enterprise_id: own, findings: Vec::new(), penalties: Vec::new(), ..input.clone() };
        if let Some(undrawn) = pool.get(2) {
            let undrawn = app.actor_for_user(&db.store.user(undrawn.user_id).await.unwrap()).await.unwrap();
            assert_eq!(
                fields(app.record_inspection(&undrawn, &client, &unannounced, Vec::new()).await),
                ["plan_item_id"],
                "{backend}: only a drawn inspector closes a plan item"
            );
        }
        assert!(db.store.plan_item(hidden_item.id).await.unwrap().inspection_id.is_none());
        let last_year = InspectionInput { inspected_on: format!("{}-01-02", year - 1), ..unannounced.clone() };
        assert_eq!(fields(app.record_inspection(&own_inspector, &client, &last_year, Vec::new()).await), ["plan_item_id"], "{backend}: within the plan's year");
        let (visit, _) = app.record_inspection(&own_inspector, &client, &unannounced, Vec::new()).await.unwrap();
        let seen = app.enterprise_inspections(&enterprise, &client, own).await.unwrap();
        assert_eq!(seen.recorded.len(), recorded_before + 1);
        assert!(seen.recorded.iter().any(|r| r.id == visit));
        assert!(app.inspection_view(&enterprise, &client, visit).await.is_ok(), "the enterprise reads its own inspection");
        assert!(matches!(app.inspection_view(&enterprise, &client, inspection_id).await, Err(AppError::NotFound)) || item.enterprise_id == own);

        // Over capacity, and an inspector outside the office.
        db.store.execute_raw_for_tests("UPDATE inspector_pool SET days_per_year = 0 WHERE region_code = '220100'").await.unwrap();
        assert_eq!(
            fields(app.create_inspection_plan(&changchun, &client, &InspectionPlanInput { year: year + 1, region_code: "220100".into() }).await),
            ["capacity"]
        );
        let jilin_regulator = db.store.user_by_username("jilinshi").await.unwrap().unwrap();
        assert_eq!(fields(app.set_pool_inspector(&changchun, &client, jilin_regulator.id, 100).await), ["user_id"]);
        assert_eq!(fields(app.set_pool_inspector(&changchun, &client, inspector.user_id, 400).await), ["days_per_year"]);

        // Overrides need a reason; classes follow the facts.
        let some = summary_enterprise(&app, &office).await;
        assert_eq!(
            fields(
                app.set_jurisdiction_override(
                    &office,
                    &client,
                    &OverrideInput { enterprise_id: some, tier: "state".into(), authority: "emergency".into(), reason: String::new() }
                )
                .await
            ),
            ["tier", "reason"]
        );
        assert!(matches!(
            app.set_jurisdiction_override(
                &changchun,
                &client,
                &OverrideInput { enterprise_id: some, tier: "city".into(), authority: "emergency".into(), reason: "x".into() }
            )
            .await,
            Err(AppError::NotFound)
        ));
        let general =
            db.store.profile_keys().await.unwrap().into_iter().find(|p| p.class == "general" && p.basis == "其余企业由县级监管").unwrap().enterprise_id;
        db.store
            .execute_raw_for_tests(&format!("INSERT INTO chemical_park_enterprises (enterprise_id, park_name) VALUES ({general}, '测试园区')"))
            .await
            .unwrap();
        app.recompute_enforcement_profiles().await.unwrap();
        let moved = db.store.profile(general).await.unwrap();
        assert_eq!(moved.tier.as_deref(), Some("city"), "{backend}: a chemical-park enterprise moves to the city: {moved:?}");
        app.set_jurisdiction_override(
            &office,
            &client,
            &OverrideInput { enterprise_id: general, tier: "province".into(), authority: "emergency".into(), reason: "省属企业".into() },
        )
        .await
        .unwrap();
        let overridden = db.store.profile(general).await.unwrap();
        assert_eq!((overridden.tier.as_deref(), overridden.basis.as_str()), (Some("province"), "override"));
        assert!(app.jurisdiction(&office, &client, None).await.unwrap().overrides.iter().any(|o| o.enterprise_id == general && o.reason == "省属企业"));

        // Coverage: nothing inspected by two tiers; the recorded inspections count as done.
        let coverage = app.coverage(&office, &client, year, None).await.unwrap();
        assert!(coverage.several_tiers.is_empty());
        let done: i64 = coverage.lines.iter().map(|l| l.done).sum();
        let recorded: i64 = plans.iter().map(|p| p.done).sum::<i64>() + 2;
        assert_eq!(done, recorded, "{backend}");
        assert!(coverage.lines.iter().all(|l| l.overdue <= l.planned - l.done));
        let sheet = app.export_coverage(&office, &client, year, None, false).await.unwrap();
        assert!(sheet.starts_with(b"PK"), "an XLSX file");

        // An enterprise registered since the profiles were computed has no office yet: it is
        // counted and listed as unassigned at once, in its city's view too, until the profiles
        // are computed again.
        let mut input = app::enterprises::sample_enterprise();
        input.credit_code = domain::CreditCode::complete("91220104MA0000777").unwrap().to_string();
        input.name = "管辖测试新登记有限公司".into();
        let registered = app.create_enterprise(&office, &client, &input).await.unwrap();
        for who in [&office, &changchun] {
            let summary = app.jurisdiction(who, &client, None).await.unwrap();
            assert_eq!(summary.unassigned, 1, "{backend}");
            let listed: Vec<(i64, &str)> = summary.exceptions.iter().map(|e| (e.enterprise_id, e.status.as_str())).collect();
            assert_eq!(listed, [(registered, "unassigned")], "{backend}");
        }
        app.recompute_enforcement_profiles().await.unwrap();
        let summary = app.jurisdiction(&office, &client, None).await.unwrap();
        assert_eq!((summary.unassigned, summary.exceptions.len()), (0, 0), "{backend}: its office is settled");

        // The territory's inspections, paged: every one once, the city's a part of the province's.
        let first = app.inspections(&office, &client, 1).await.unwrap();
        let pages = (first.total + app::enforcement::INSPECTIONS_PER_PAGE - 1) / app::enforcement::INSPECTIONS_PER_PAGE;
        let mut listed = std::collections::BTreeSet::new();
        for page in 1..=pages {
            let got = app.inspections(&office, &client, page).await.unwrap();
            assert!(got.items.len() as i64 <= app::enforcement::INSPECTIONS_PER_PAGE, "{backend}");
            listed.extend(got.items.into_iter().map(|i| i.id));
        }
        assert!(pages >= 2, "{backend}: the demo records inspections over more than one page ({})", first.total);
        assert_eq!(listed.len() as i64, first.total, "{backend}: every inspection on one page, once");
        assert_eq!(app.inspections(&office, &client, pages + 3).await.unwrap().page, pages.max(1), "{backend}: past the last page");
        assert!(app.inspections(&changchun, &client, 1).await.unwrap().total < first.total, "{backend}");
        assert!(matches!(app.inspections(&enterprise, &client, 1).await, Err(AppError::NotFound)), "{backend}");

        // One process of several takes a periodic job.
        assert!(db.store.claim_job_lease("test.job", "a", 60_000).await.unwrap());
        assert!(!db.store.claim_job_lease("test.job", "b", 60_000).await.unwrap());
        assert!(db.store.claim_job_lease("test.job", "a", 60_000).await.unwrap(), "the holder renews");
    }
}

async fn stored_draw_input(store: &store::Store, plan_id: i64) -> String {
    store.inspection_plan(plan_id).await.unwrap().draw_input
}

async fn summary_enterprise(app: &App, office: &Actor) -> i64 {
    app.list_enterprises(office, &Client::cli(), &Default::default(), 1, 1).await.unwrap().items[0].id
}
