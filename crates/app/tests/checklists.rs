//! Checklists and campaigns on the real store: failed items become hidden dangers of the item's
//! grade, every item must be answered, only targets are checked in a campaign, and the
//! campaign's coverage and rectification rate follow the checks.

use app::checklists::{CampaignInput, ItemAnswer};
use app::{App, AppError, Client};

#[tokio::test]
async fn checklists_and_campaigns_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 30).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (enterprise, changchun, inspector, jilinshi) =
            (actor("enterprise").await, actor("changchun").await, actor("inspector").await, actor("jilinshi").await);
        let library = app.checklist_library(&enterprise, &client).await.unwrap();
        let sysadmin = app.actor_for_user(&app.store.user_by_username("sysadmin").await.unwrap().unwrap()).await.unwrap();
        assert!(matches!(app.checklist_library(&sysadmin, &client).await, Err(app::AppError::NotFound)), "administrators see no business data");
        let chemical = library.iter().find(|c| c.code == "chemical-major").unwrap();
        let (_, items) = app.checklist_with_items(chemical.id).await.unwrap();
        assert_eq!(items.len(), 20);
        let own = enterprise.enterprise_id.unwrap();
        let answers = |failed: &[&str]| {
            items.iter().map(|i| ItemAnswer { item_id: i.id, passed: !failed.contains(&i.code.as_str()), note: String::new() }).collect::<Vec<_>>()
        };

        // A self-check with two failed items reports two 重大 dangers linked to their items.
        let (_, dangers) = app.run_checklist(&enterprise, &client, chemical.id, own, "self_check", None, &answers(&["5", "12"])).await.unwrap();
        assert_eq!(dangers.len(), 2);
        let danger = app.danger_view(&enterprise, &client, dangers[0]).await.unwrap().danger;
        assert_eq!(
            (danger.grade.as_str(), danger.source.as_str(), danger.source_ref.as_deref()),
            ("major", "self_check", Some("chemical-major/5").map(|r| format!("checklist:{r}")).as_deref())
        );
        let mut partial = answers(&[]);
        partial.pop();
        assert!(
            matches!(app.run_checklist(&enterprise, &client, chemical.id, own, "self_check", None, &partial).await, Err(AppError::Invalid(_))),
            "every item needs an answer"
        );
        assert!(
            matches!(app.run_checklist(&enterprise, &client, chemical.id, own, "inspection", None, &answers(&[])).await, Err(AppError::NotFound)),
            "an enterprise does not inspect itself"
        );
        assert!(
            matches!(app.run_checklist(&jilinshi, &client, chemical.id, own, "inspection", None, &answers(&[])).await, Err(AppError::NotFound)),
            "outside the territory"
        );

        // A city's fire-lane campaign: targets are its enterprises; coverage follows the checks.
        let lanes = library.iter().find(|c| c.code == "fire-lanes").unwrap();
        let (_, lane_items) = app.checklist_with_items(lanes.id).await.unwrap();
        let input = CampaignInput {
            name: "长春消防车通道整治".into(),
            checklist_id: lanes.id,
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
            ..Default::default()
        };
        assert!(matches!(app.create_campaign(&inspector, &client, &input).await, Err(AppError::NotFound)), "an inspector does not set up campaigns");
        assert!(matches!(
            app.create_campaign(&changchun, &client, &CampaignInput { ends_on: "2025-01-01".into(), ..input.clone() }).await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.create_campaign(&changchun, &client, &CampaignInput { min_risk: "severe".into(), ..input.clone() }).await,
            Err(AppError::Invalid(_))
        ));
        let risky = app.create_campaign(&changchun, &client, &CampaignInput { min_risk: "larger".into(), ..input.clone() }).await.unwrap();
        let all = app.create_campaign(&changchun, &client, &input).await.unwrap();
        let (risky_targets, all_targets) = (
            app.campaign_progress(&changchun, &client, risky).await.unwrap().totals.targets,
            app.campaign_progress(&changchun, &client, all).await.unwrap().totals.targets,
        );
        assert!(risky_targets > 0 && risky_targets < all_targets, "the risk filter narrows the targets: {risky_targets} of {all_targets}");
        let campaign = app.create_campaign(&changchun, &client, &input).await.unwrap();
        let before = app.campaign_progress(&changchun, &client, campaign).await.unwrap();
        assert!(before.totals.targets > 0 && before.totals.checked == 0 && before.totals.coverage == 0.0);
        assert_eq!((before.totals.rectification_rate, before.totals.rectification_text().as_str()), (None, "—"), "nothing found, no rate");
        let lane_answers = |blocked: bool| {
            lane_items.iter().map(|i| ItemAnswer { item_id: i.id, passed: !(blocked && i.code == "2"), note: "现场检查".into() }).collect::<Vec<_>>()
        };
        let (_, found) = app.run_checklist(&inspector, &client, lanes.id, own, "campaign", Some(campaign), &lane_answers(true)).await.unwrap();
        assert_eq!(found.len(), 1);
        let after = app.campaign_progress(&changchun, &client, campaign).await.unwrap();
        assert_eq!((after.totals.checked, after.totals.findings, after.totals.closed), (1, 1, 0));
        assert_eq!((after.totals.rectification_rate, after.totals.rectification_text().as_str()), (Some(0.0), "0.0%"));
        assert!(after.totals.coverage > 0.0 && after.totals.coverage <= 1.0);
        let jilin_enterprise = app.list_enterprises(&jilinshi, &client, &Default::default(), 1, 1).await.unwrap().items[0].id;
        assert!(
            matches!(
                app.run_checklist(&jilinshi, &client, lanes.id, jilin_enterprise, "campaign", Some(campaign), &lane_answers(false)).await,
                Err(AppError::NotFound)
            ),
            "not a target of 长春's campaign"
        );
        assert!(matches!(app.campaign_progress(&jilinshi, &client, campaign).await, Err(AppError::NotFound)));
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}
