//! Accountability measures on the real store, and the interview suggestions computed from
//! fixture accident records through the `AccidentSource` interface.

use app::accountability::{AccidentSource, MeasureInput};
use app::{App, AppError, Client};
use domain::accidents::AccidentLevel;
use domain::accountability::{AccidentFact, MeasureKind};

struct Fixture(Vec<AccidentFact>);

impl AccidentSource for Fixture {
    async fn accident_facts(&self) -> app::Result<Vec<AccidentFact>> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn measures_and_suggestions_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 5).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let office = actor("office").await;
        let changchun = actor("changchun").await;
        let city = app.resolve_unit("长春市人民政府").await.unwrap().unwrap();
        let input = MeasureInput {
            kind: "interview".into(),
            target_unit_id: city.id,
            target_person: "市政府主要负责人".into(),
            reason: "6个月内发生3起较大事故".into(),
            decided_on: "2026-03-01".into(),
            public: true,
        };
        let yjt = actor("yjt").await;
        assert!(matches!(app.record_measure(&yjt, &client, &input).await, Err(AppError::NotFound)), "only an office decides");
        assert!(matches!(app.record_measure(&changchun, &client, &input).await, Err(AppError::Invalid(_))), "a city does not act against its own government");
        let county = app.resolve_unit("长春市朝阳区人民政府").await.unwrap().unwrap();
        let on_county = MeasureInput { target_unit_id: county.id, kind: "reminder".into(), ..input.clone() };
        let county_measure = app.record_measure(&changchun, &client, &on_county).await.unwrap();
        assert!(matches!(app.follow_up_measure(&office, &client, county_measure, "省级跟踪", "").await, Ok(())), "the province oversees the county too");
        let bad = MeasureInput { kind: "scold".into(), reason: " ".into(), decided_on: "March".into(), target_unit_id: 999_999, ..input.clone() };
        match app.record_measure(&office, &client, &bad).await {
            Err(AppError::Invalid(fields)) => {
                assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["kind", "target_unit_id", "reason", "decided_on"])
            }
            other => panic!("every problem at once, got {other:?}"),
        }
        let id = app.record_measure(&office, &client, &input).await.unwrap();
        app.follow_up_measure(&office, &client, id, "已约谈,责令制定整改方案", "整改完成").await.unwrap();
        let listed = app.measures(&office, &client).await.unwrap();
        assert_eq!(listed.len(), 2);
        let city_measure = listed.iter().find(|m| m.id == id).unwrap();
        assert_eq!((city_measure.outcome.as_str(), city_measure.target_unit_name.as_str()), ("整改完成", "长春市人民政府"));
        let city_list = app.measures(&changchun, &client).await.unwrap();
        assert!(city_list.iter().all(|m| m.target_unit_name.starts_with("长春市")), "a city lists measures within its territory");
        assert!(matches!(app.measures(&yjt, &client).await, Err(AppError::NotFound)));

        // Suggestions from fixture accidents: three 较大 in 长春 within 6 months.
        let today = domain::time::today();
        let days_ago = |n: i64| today.checked_sub(jiff::Span::new().days(n)).unwrap();
        let source = Fixture(vec![
            AccidentFact { city_code: "220100".into(), occurred_on: days_ago(100), grade: AccidentLevel::Larger },
            AccidentFact { city_code: "220100".into(), occurred_on: days_ago(60), grade: AccidentLevel::Larger },
            AccidentFact { city_code: "220100".into(), occurred_on: days_ago(10), grade: AccidentLevel::Larger },
            AccidentFact { city_code: "220200".into(), occurred_on: days_ago(10), grade: AccidentLevel::General },
        ]);
        let suggested = app.measure_suggestions(&office, &client, &source).await.unwrap();
        assert_eq!(suggested.iter().map(|s| (s.kind, s.target.as_str())).collect::<Vec<_>>(), [(MeasureKind::Interview, "220100")]);
        assert!(app.measure_suggestions(&office, &client, &app::accountability::NoAccidentRecords).await.unwrap().is_empty());
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}
