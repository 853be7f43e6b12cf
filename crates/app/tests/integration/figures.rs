//! Figures kept in memory (app::figures) on the real store: the home page's overview counts what
//! the caller sees, all of it (not a capped list); a change made through this process shows at
//! the next view; a change made by another process of the same database shows once the figure
//! has aged past `FRESH_FOR`, and not before (so the figure is indeed kept, not recomputed).

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::hidden_dangers::DangerInput;
use app::{App, Client};

use crate::support::actor;

fn danger(enterprise_id: i64, text: &str) -> DangerInput {
    DangerInput {
        enterprise_id,
        location: "罐区".into(),
        description: text.into(),
        source: "self_check".into(),
        grade: "major".into(),
        responsible_person: "张工".into(),
        ..Default::default()
    }
}

fn reported(figures: &app::figures::HomeFigures) -> i64 {
    figures.dangers.by_state.iter().find(|(state, _)| state == "reported").map_or(0, |(_, count)| *count)
}

#[tokio::test]
async fn figures_follow_changes_here_at_once_and_elsewhere_within_their_freshness_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (office, chaoyang, jilinshi, enterprise) =
            (actor(&app, "office").await, actor(&app, "chaoyang").await, actor(&app, "jilinshi").await, actor(&app, "enterprise").await);

        // The overview counts every danger the caller sees, in the database.
        let size = app.store.data_set_size().await.unwrap();
        let before = app.home_figures(&office, &client, Some("220000")).await.unwrap();
        assert_eq!(before.dangers.by_state.iter().map(|(_, count)| count).sum::<i64>(), size.hidden_dangers, "{backend}");
        assert_eq!(before.enterprises, size.enterprises, "{backend}");
        assert_eq!(before.enterprises_by_region.iter().map(|r| r.count).sum::<i64>(), size.enterprises, "{backend}: the cities add up");
        let jilinshi_before = app.home_figures(&jilinshi, &client, None).await.unwrap();
        assert!(jilinshi_before.enterprises < before.enterprises, "{backend}: a city sees its own");

        // A change made here shows at the next view, in the scopes it belongs to only.
        let enterprise_id = enterprise.enterprise_id.unwrap();
        app.report_danger(&enterprise, &client, &danger(enterprise_id, "看板测试:此进程")).await.unwrap();
        let after = app.home_figures(&office, &client, Some("220000")).await.unwrap();
        assert_eq!(reported(&after), reported(&before) + 1, "{backend}");
        assert_eq!(after.dangers.major_open, before.dangers.major_open + 1, "{backend}");
        assert!(app.home_figures(&chaoyang, &client, None).await.unwrap().dangers.major_open >= 1, "{backend}");
        assert_eq!(reported(&app.home_figures(&jilinshi, &client, None).await.unwrap()), reported(&jilinshi_before), "{backend}: another city");

        // Another process of the same database: its change shows here once the figure has aged.
        let elsewhere = App::new(store::Store::connect(&db.url).await.unwrap(), Default::default());
        let enterprise_elsewhere = actor(&elsewhere, "enterprise").await;
        elsewhere.report_danger(&enterprise_elsewhere, &client, &danger(enterprise_id, "看板测试:另一进程")).await.unwrap();
        let kept = app.home_figures(&office, &client, Some("220000")).await.unwrap();
        assert_eq!(reported(&kept), reported(&after), "{backend}: kept, not recomputed on every view");
        tokio::time::sleep(app::figures::FRESH_FOR + std::time::Duration::from_millis(200)).await;
        let aged = app.home_figures(&office, &client, Some("220000")).await.unwrap();
        assert_eq!(reported(&aged), reported(&after) + 1, "{backend}: shown within FRESH_FOR");
        elsewhere.store.close().await;
    }
}
