//! A 重大 hidden danger through the whole loop on the real store, with every shortcut refused,
//! scoping, listed supervision and the list filters.

use app::hidden_dangers::{DangerActionInput, DangerInput};
use app::{App, AppError, Client};
use domain::hidden_dangers::PlanInput;

fn act(action: &str) -> DangerActionInput {
    DangerActionInput { action: action.into(), ..Default::default() }
}

#[tokio::test]
async fn the_major_loop_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 10).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (enterprise, chaoyang, changchun, jilinshi, expert) =
            (actor("enterprise").await, actor("chaoyang").await, actor("changchun").await, actor("jilinshi").await, actor("expert").await);
        let own = enterprise.enterprise_id.unwrap();
        let input = DangerInput {
            enterprise_id: own,
            location: "储罐区".into(),
            description: "液化气储罐未设置紧急切断阀".into(),
            source: "self_check".into(),
            grade: "major".into(),
            deadline: Some("2026-12-31".into()),
            responsible_person: "张工".into(),
            ..Default::default()
        };
        assert!(matches!(app.report_danger(&jilinshi, &client, &input).await, Err(AppError::NotFound)), "outside the territory");
        assert!(matches!(app.report_danger(&expert, &client, &input).await, Err(AppError::NotFound)));
        match app.report_danger(&enterprise, &client, &DangerInput { grade: "huge".into(), location: " ".into(), ..input.clone() }).await {
            Err(AppError::Invalid(fields)) => assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["location", "grade"]),
            other => panic!("{other:?}"),
        }
        let danger = app.report_danger(&enterprise, &client, &input).await.unwrap();
        assert_eq!(danger.state, "reported");
        let id = danger.id;

        let illegal = |r: app::Result<store::DangerRow>| matches!(r, Err(AppError::IllegalTransition(_)));
        assert!(illegal(app.act_on_danger(&chaoyang, &client, id, &act("accept")).await), "no acceptance before rectification");
        assert!(
            matches!(app.act_on_danger(&enterprise, &client, id, &act("confirm")).await, Err(AppError::NotFound)),
            "an enterprise does not confirm its own danger"
        );
        assert!(matches!(app.act_on_danger(&jilinshi, &client, id, &act("confirm")).await, Err(AppError::NotFound)));
        assert_eq!(app.act_on_danger(&chaoyang, &client, id, &act("confirm")).await.unwrap().state, "confirmed");
        let partial = DangerActionInput {
            action: "plan".into(),
            plan: PlanInput { goal: "消除".into(), measures: "加装切断阀".into(), deadline: "2026-12-20".into(), ..Default::default() },
            ..Default::default()
        };
        match app.act_on_danger(&enterprise, &client, id, &partial).await {
            Err(AppError::Invalid(fields)) => {
                assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["funds", "organization", "safety_measures", "emergency_plan"])
            }
            other => panic!("a 重大 plan needs all seven elements: {other:?}"),
        }
        let full = DangerActionInput {
            plan: PlanInput {
                funds: "30万元".into(),
                organization: "设备部".into(),
                safety_measures: "停用储罐".into(),
                emergency_plan: "泄漏专项预案".into(),
                ..partial.plan.clone()
            },
            ..partial.clone()
        };
        let planned = app.act_on_danger(&enterprise, &client, id, &full).await.unwrap();
        assert_eq!((planned.state.key(), planned.deadline.as_deref()), ("planned", Some("2026-12-20")), "the plan's deadline becomes the danger's");
        app.act_on_danger(&enterprise, &client, id, &act("start")).await.unwrap();
        app.act_on_danger(&enterprise, &client, id, &DangerActionInput { action: "submit".into(), note: "已加装并试验".into(), ..Default::default() })
            .await
            .unwrap();
        assert!(
            matches!(app.act_on_danger(&enterprise, &client, id, &act("accept")).await, Err(AppError::NotFound)),
            "a 重大 danger is accepted only by a regulator, never by its own rectifier"
        );
        assert!(matches!(app.act_on_danger(&chaoyang, &client, id, &act("reject")).await, Err(AppError::Invalid(_))), "a rejection needs a reason");
        let rejected = app
            .act_on_danger(&chaoyang, &client, id, &DangerActionInput { action: "reject".into(), reason: "未提供检测报告".into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(rejected.state, "rectifying");
        app.act_on_danger(&enterprise, &client, id, &act("submit")).await.unwrap();
        assert_eq!(app.act_on_danger(&chaoyang, &client, id, &act("accept")).await.unwrap().state, "closed");
        assert!(illegal(app.act_on_danger(&chaoyang, &client, id, &act("submit")).await));
        assert!(matches!(app.act_on_danger(&chaoyang, &client, id, &act("dance")).await, Err(AppError::Invalid(_))));
        let reopened = app
            .act_on_danger(&changchun, &client, id, &DangerActionInput { action: "reopen".into(), reason: "回访发现阀门失效".into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(reopened.state, "rectifying");
        let view = app.danger_view(&enterprise, &client, id).await.unwrap();
        assert_eq!(
            view.history.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["report", "confirm", "plan", "start", "submit", "reject", "submit", "accept", "reopen"]
        );
        assert_eq!(view.allowed_actions, ["submit"]);

        // The same rectifier submitting cannot accept a 一般 danger either; another regulator can.
        let general = app
            .report_danger(
                &chaoyang,
                &client,
                &DangerInput { grade: "general".into(), source: "inspection".into(), deadline: Some(domain::time::today().to_string()), ..input.clone() },
            )
            .await
            .unwrap();
        for step in ["confirm", "plan", "start", "submit"] {
            app.act_on_danger(&chaoyang, &client, general.id, &act(step)).await.unwrap();
        }
        assert!(
            matches!(app.act_on_danger(&chaoyang, &client, general.id, &act("accept")).await, Err(AppError::NotFound)),
            "no one accepts their own rectification"
        );
        assert_eq!(
            app.act_on_danger(&enterprise, &client, general.id, &act("accept")).await.unwrap().state,
            "closed",
            "the enterprise may accept a 一般 danger a regulator rectified"
        );

        // Listed supervision and lists.
        assert!(
            matches!(app.list_danger(&chaoyang, &client, general.id, "2026-12-01", "公告").await, Err(AppError::Invalid(_))),
            "only 重大 dangers are listed"
        );
        assert!(matches!(app.list_danger(&enterprise, &client, id, "2026-12-01", "公告").await, Err(AppError::NotFound)));
        app.list_danger(&changchun, &client, id, "2026-12-15", "挂牌督办:储罐区紧急切断阀缺失").await.unwrap();
        let listed = app.danger_list(&changchun, &client, &store::DangerFilter { listed: Some(true), ..Default::default() }, false).await.unwrap();
        assert!(listed.iter().any(|d| d.id == id) && listed.iter().all(|d| d.listed_by_unit_id.is_some() && d.grade == "major"));
        let majors = app
            .danger_list(
                &changchun,
                &client,
                &store::DangerFilter {
                    grade: Some("major".into()),
                    state: Some("rectifying".into()),
                    region_code: Some("220100".into()),
                    ..Default::default()
                },
                false,
            )
            .await
            .unwrap();
        assert!(majors.iter().any(|d| d.id == id) && majors.iter().all(|d| d.grade == "major" && d.state == "rectifying" && d.region_code.starts_with("2201")));
        assert!(
            app.danger_list(&jilinshi, &client, &Default::default(), false).await.unwrap().iter().all(|d| d.region_code.starts_with("2202")),
            "another city sees only its own"
        );
        let overdue = app.danger_list(&changchun, &client, &Default::default(), true).await.unwrap();
        assert!(overdue.iter().all(|d| d.state != "closed"), "closed dangers are never overdue");
        let assigned = db.store.expert_assignments(expert.user_id).await.unwrap().0;
        assert_eq!(
            app.danger_list(&expert, &client, &Default::default(), false).await.unwrap().iter().map(|d| d.id).collect::<Vec<_>>(),
            assigned,
            "an expert sees only what it is assigned"
        );
        assert!(!assigned.contains(&id));

        // Experts: the office keeps the pool; a regulator assigns an expert, who verifies a 重大
        // rectification; the service is recorded. An unassigned expert sees nothing.
        let office = actor("office").await;
        assert!(matches!(app.set_expert_profile(&chaoyang, &client, expert.user_id, "危险化学品", "220000").await, Err(AppError::NotFound)));
        assert!(
            matches!(app.set_expert_profile(&office, &client, enterprise.user_id, "危险化学品", "220000").await, Err(AppError::Invalid(_))),
            "only expert accounts join the pool"
        );
        app.set_expert_profile(&office, &client, expert.user_id, "危险化学品,消防", "220000").await.unwrap();
        let second = app.report_danger(&enterprise, &client, &input).await.unwrap().id;
        for step in ["confirm"] {
            app.act_on_danger(&chaoyang, &client, second, &act(step)).await.unwrap();
        }
        app.act_on_danger(&enterprise, &client, second, &full).await.unwrap();
        app.act_on_danger(&enterprise, &client, second, &act("start")).await.unwrap();
        app.act_on_danger(&enterprise, &client, second, &act("submit")).await.unwrap();
        assert!(matches!(app.act_on_danger(&expert, &client, second, &act("accept")).await, Err(AppError::NotFound)), "not assigned yet");
        assert!(matches!(app.assign_expert_to_danger(&enterprise, &client, second, expert.user_id).await, Err(AppError::NotFound)));
        // A second expert of the same panel, who is not assigned and so not told.
        let (sysadmin, secadmin) = (actor("sysadmin").await, actor("secadmin").await);
        let colleague = app::accounts::NewAccount {
            username: format!("expert-colleague-{backend}"),
            display_name: "同库专家".into(),
            unit_id: expert.unit_id,
            password: "another long passphrase".into(),
        };
        let colleague = app.create_account(&sysadmin, &client, &colleague).await.unwrap();
        app.administer_account(&secadmin, &client, colleague, app::accounts::AccountOperation::GrantRole(domain::role::Role::Expert)).await.unwrap();
        let colleague = app.actor_for_user(&db.store.user(colleague).await.unwrap()).await.unwrap();
        app.assign_expert_to_danger(&chaoyang, &client, second, expert.user_id).await.unwrap();
        assert!(app.danger_list(&expert, &client, &Default::default(), false).await.unwrap().iter().any(|d| d.id == second));
        // The expert is told by name, and no one else of the panel is.
        let told = |messages: Vec<app::inbox::InboxMessage>| messages.into_iter().find(|m| m.link == format!("/dangers/{second}"));
        let message = told(app.messages(&expert, false, 1, 200).await.unwrap().items).unwrap_or_else(|| panic!("{backend}: the expert is told"));
        assert!(message.message.render(domain::message::Lang::Zh).contains("您被指派核查隐患"), "{backend}: {message:?}");
        assert!(told(app.messages(&colleague, false, 1, 200).await.unwrap().items).is_none(), "{backend}: the panel's other expert is not told");
        assert_eq!(
            app.act_on_danger(&expert, &client, second, &act("accept")).await.unwrap().state,
            "closed",
            "an assigned expert accepts a 重大 rectification"
        );
        let (profile, services) = app.expert_services(&changchun, &client, expert.user_id).await.unwrap();
        assert_eq!(
            (profile.services, services[0].kind.as_str(), services[0].reference.clone()),
            (services.len() as i64, "verification", format!("hidden_danger:{second}"))
        );
        assert!(app.expert_services(&jilinshi, &client, expert.user_id).await.is_ok(), "a provincial expert serves every city");

        // Photos: JPEG or PNG by their bytes, at most ten; others are refused with the reason.
        let photo = |name: &str, bytes: &[u8]| app::workplans::UploadedFile { file_name: name.into(), bytes: bytes.to_vec() };
        match app.add_danger_photos(&enterprise, &client, id, vec![photo("fake.jpg", b"<script>")]).await {
            Err(AppError::Invalid(fields)) => assert!(fields[0].message.to_string().contains("fake.jpg")),
            other => panic!("a disguised file is refused: {other:?}"),
        }
        let jpeg = photo("a.jpg", b"\xFF\xD8\xFF\xE0 jpeg");
        app.add_danger_photos(&enterprise, &client, id, vec![jpeg.clone(); 10]).await.unwrap();
        assert!(matches!(app.add_danger_photos(&enterprise, &client, id, vec![jpeg.clone()]).await, Err(AppError::Invalid(_))), "at most ten");
        assert!(matches!(app.add_danger_photos(&jilinshi, &client, id, vec![jpeg]).await, Err(AppError::NotFound)));
        let photos = app.danger_photos(&enterprise, &client, id).await.unwrap();
        assert_eq!(app.danger_photo(&chaoyang, &client, photos[0].id).await.unwrap().0, "image/jpeg");
        assert!(matches!(app.danger_photo(&jilinshi, &client, photos[0].id).await, Err(AppError::NotFound)));

        // A deadline before today is refused by field (it would start overdue).
        let past = DangerInput { grade: "general".into(), source: "inspection".into(), deadline: Some("2020-01-01".into()), ..input.clone() };
        assert!(
            matches!(app.report_danger(&chaoyang, &client, &past).await, Err(AppError::Invalid(problems)) if problems.iter().map(|p| p.field).collect::<Vec<_>>() == ["deadline"]),
            "a past deadline is refused by field"
        );

        // Deadline notices: the 一般 danger reported with today's deadline is closed; a new open one
        // past its deadline escalates to 朝阳区's 应急管理局, once.
        let deadline = domain::time::today().saturating_add(jiff::ToSpan::days(10));
        let late = app
            .report_danger(
                &chaoyang,
                &client,
                &DangerInput { grade: "general".into(), source: "inspection".into(), deadline: Some(deadline.to_string()), ..input.clone() },
            )
            .await
            .unwrap();
        let after = deadline.saturating_add(jiff::ToSpan::days(10));
        let sent = app.send_danger_notices(after).await.unwrap();
        assert!(sent >= 1);
        assert_eq!(app.send_danger_notices(after).await.unwrap(), 0, "each notice goes out once");
        let notices = app.danger_notices(&chaoyang).await.unwrap();
        assert!(notices.iter().any(|n| n.danger_id == late.id && n.kind == "escalation"), "the county regulator is told");
        let reminders = app.send_danger_notices(deadline.saturating_sub(jiff::ToSpan::days(5))).await.unwrap();
        assert!(
            reminders >= 1 && app.danger_notices(&enterprise).await.unwrap().iter().any(|n| n.danger_id == late.id && n.kind == "reminder"),
            "the enterprise is reminded the week before"
        );
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}
