//! The inbox on the real store: a hidden danger reported in a county waits in that county
//! regulator's inbox (and not in another city's) until it is confirmed; a report waits for its
//! reviewer; what waits names the page that lists it.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::hidden_dangers::DangerInput;
use app::{Actor, App, Client};

async fn actor(app: &App, name: &str) -> Actor {
    app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap()
}

async fn waiting(app: &App, who: &Actor, kind: &str) -> usize {
    let inbox = app.inbox(who, &Client::cli()).await.unwrap();
    inbox.waiting.iter().find(|w| w.kind == kind).map_or(0, |w| w.count)
}

#[tokio::test]
async fn what_waits_on_each_user_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (chaoyang, jilinshi, enterprise) = (actor(&app, "chaoyang").await, actor(&app, "jilinshi").await, actor(&app, "enterprise").await);
        let (chaoyang_before, jilinshi_before) = (waiting(&app, &chaoyang, "dangers_to_confirm").await, waiting(&app, &jilinshi, "dangers_to_confirm").await);
        let input = DangerInput {
            enterprise_id: enterprise.enterprise_id.unwrap(),
            location: "罐区".into(),
            description: "收件箱测试:储罐液位计失灵".into(),
            source: "self_check".into(),
            grade: "general".into(),
            responsible_person: "张工".into(),
            ..Default::default()
        };
        let danger = app.report_danger(&enterprise, &client, &input).await.unwrap();
        assert_eq!(waiting(&app, &chaoyang, "dangers_to_confirm").await, chaoyang_before + 1, "{backend}: the county regulator is waited on");
        assert_eq!(waiting(&app, &jilinshi, "dangers_to_confirm").await, jilinshi_before, "{backend}: another city is not");
        let inbox = app.inbox(&chaoyang, &client).await.unwrap();
        assert_eq!(inbox.waiting.iter().find(|w| w.kind == "dangers_to_confirm").unwrap().link, "/dangers?state=reported");
        let confirm = app::hidden_dangers::DangerActionInput { action: "confirm".into(), ..Default::default() };
        app.act_on_danger(&chaoyang, &client, danger.id, &confirm).await.unwrap();
        assert_eq!(waiting(&app, &chaoyang, "dangers_to_confirm").await, chaoyang_before, "{backend}: confirmed, no longer waiting");
        assert!(waiting(&app, &enterprise, "dangers_to_rectify").await >= 1, "{backend}: the enterprise now has it to rectify");
        // Nothing of the kind for an account with no reach (the auditor).
        let auditor = actor(&app, "auditor").await;
        assert!(app.inbox(&auditor, &client).await.unwrap().waiting.is_empty());
    }
}
