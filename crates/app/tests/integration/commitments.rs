//! Daily commitments on the real store: the regulator's overview counts every enterprise due in
//! its territory per subdivision (the rows add up to the list's total), pages the missing list
//! through all of it, narrows it to a region of the territory only, follows a commitment filed
//! today, and shows the last seven days.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use app::commitments::{CommitmentInput, MISSING_PER_PAGE, TREND_DAYS};
use app::{App, AppError, Client};

use crate::support::actor;

#[tokio::test]
async fn the_overview_adds_up_pages_through_everything_and_stays_in_the_territory_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 400).await.unwrap();
        let client = Client::cli();
        let (office, changchun, chaoyang, enterprise) =
            (actor(&app, "office").await, actor(&app, "changchun").await, actor(&app, "chaoyang").await, actor(&app, "enterprise").await);

        // The province's cities add up to the list's total, and the pages hold each missing
        // enterprise once.
        let overview = app.commitment_overview(&office, &client, None, 1).await.unwrap();
        assert_eq!(overview.regions.len(), 9, "{backend}: the nine cities of the province");
        let (due, filed) = overview.regions.iter().fold((0, 0), |(d, f), r| (d + r.required, f + r.filed));
        assert!(due > 0 && filed > 0 && filed < due, "{backend}: the demo has filed and missing commitments ({filed} of {due})");
        assert_eq!(overview.missing_total, due - filed, "{backend}");
        let pages = (overview.missing_total + MISSING_PER_PAGE - 1) / MISSING_PER_PAGE;
        let mut seen = BTreeSet::new();
        for page in 1..=pages {
            let listed = app.commitment_overview(&office, &client, None, page).await.unwrap().missing;
            assert!(listed.len() as i64 <= MISSING_PER_PAGE, "{backend}");
            seen.extend(listed.into_iter().map(|m| m.enterprise_id));
        }
        assert_eq!(seen.len() as i64, overview.missing_total, "{backend}: every page, none twice");
        assert_eq!(app.commitment_overview(&office, &client, None, pages + 5).await.unwrap().page, pages.max(1), "{backend}: past the last page");

        // Narrowed to a city: its row's figure, and only its enterprises.
        let changchun_row = overview.regions.iter().find(|r| r.code == "220100").unwrap().clone();
        let city = app.commitment_overview(&office, &client, Some("220100"), 1).await.unwrap();
        assert_eq!(city.missing_total, changchun_row.required - changchun_row.filed, "{backend}");
        assert!(city.missing.iter().all(|m| m.region_code.starts_with("2201")), "{backend}");
        assert_eq!(city.chosen.as_ref().map(|(code, _)| code.as_str()), Some("220100"));

        // A city's regulator sees its districts; a county's, itself; neither another territory.
        let own = app.commitment_overview(&changchun, &client, None, 1).await.unwrap();
        assert_eq!(own.regions.iter().map(|r| r.required).sum::<i64>(), changchun_row.required, "{backend}");
        assert!(own.regions.iter().all(|r| r.code.starts_with("2201")), "{backend}");
        let county = app.commitment_overview(&chaoyang, &client, None, 1).await.unwrap();
        assert_eq!(county.regions.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["220104"], "{backend}");
        for (who, region) in [(&changchun, "220200"), (&chaoyang, "220102"), (&chaoyang, "220000")] {
            assert!(matches!(app.commitment_overview(who, &client, Some(region), 1).await, Err(AppError::NotFound)), "{backend}: {region}");
            assert!(matches!(app.missing_commitments(who, &client, Some(region)).await, Err(AppError::NotFound)), "{backend}: {region}");
        }
        assert!(matches!(app.commitment_overview(&enterprise, &client, None, 1).await, Err(AppError::NotFound)), "{backend}");

        // The showcase enterprise has not filed today; once it has, its city counts it.
        let input = CommitmentInput { principal: "王建国".into(), statement: "今日各装置运行正常。".into(), exceptions: String::new() };
        app.file_commitment(&enterprise, &client, &input).await.unwrap();
        let after = app.commitment_overview(&office, &client, None, 1).await.unwrap();
        let row = |o: &app::commitments::CommitmentOverview| o.regions.iter().find(|r| r.code == "220100").unwrap().filed;
        assert_eq!(row(&after), row(&overview) + 1, "{backend}");
        assert_eq!(after.missing_total, overview.missing_total - 1, "{backend}");

        // The last seven days, today last, today's filed as the table's.
        assert_eq!(after.trend.len() as i64, TREND_DAYS, "{backend}");
        assert_eq!(after.trend.last().map(|(day, n)| (day.clone(), *n)), Some((after.day.clone(), filed + 1)), "{backend}");
        assert!(after.trend.iter().take(6).all(|(_, n)| *n > 0), "{backend}: the demo's week of commitments");
        db.store.close().await;
    }
}
