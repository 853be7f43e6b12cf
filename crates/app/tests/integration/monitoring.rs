//! Major hazard sources and live monitoring on the real store: grading at registration, ingest
//! with every kind of bad reading rejected one by one, durable chunks and history, the alarm
//! lifecycle, scoping, and a restart that keeps the history.

use app::hazard_sources::{HazardSourceInput, SensorInput};
use app::{App, AppError, Client};
use domain::monitoring::{RawReading, RejectReason, RuleSettings, Thresholds};

const NOW: i64 = 1_790_000_000_000;

fn reading(code: &str, value: f64, ts_ms: i64) -> Result<RawReading<'_>, RejectReason> {
    Ok(RawReading { code, value, ts_ms })
}

#[tokio::test]
async fn sources_sensors_ingest_and_alarms_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 10).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (enterprise, chaoyang, jilinshi, expert) = (actor("enterprise").await, actor("chaoyang").await, actor("jilinshi").await, actor("expert").await);
        let own = enterprise.enterprise_id.unwrap();
        let loaded = app.start_monitoring().await.unwrap();
        assert!(loaded >= 6, "the demo's sensors are monitored: {loaded}");

        // The demo gives the showcase enterprise a graded source with a sensor of every kind.
        let sources = app.hazard_sources(&enterprise, &client, None).await.unwrap();
        assert_eq!(sources.len(), 1, "an enterprise sees only its own sources");
        assert_eq!(
            (sources[0].name.as_str(), sources[0].level, sources[0].is_major),
            ("液氨储罐区", Some(3), true),
            "氨 60 t (Q 10, β 2), 120 people (α 2): R = 24"
        );
        let kinds: std::collections::BTreeSet<String> = app.sensors(&enterprise, &client, Some(own), None).await.unwrap().into_iter().map(|s| s.kind).collect();
        assert_eq!(kinds.len(), 6, "every kind: {kinds:?}");
        assert!(matches!(app.hazard_sources(&expert, &client, None).await, Err(AppError::NotFound)));

        // Registering: graded from the chemicals, refused outside one's scope, validated.
        let input = HazardSourceInput {
            enterprise_id: own,
            name: "二氧化硫储罐".into(),
            unit_kind: "storage".into(),
            people_nearby: 60,
            principal_person: "王总".into(),
            technical_person: "李工".into(),
            operating_person: "赵班长".into(),
            chemicals: vec!["二氧化硫=200".into()],
        };
        assert!(matches!(app.add_hazard_source(&jilinshi, &client, &input).await, Err(AppError::NotFound)));
        let source_id = app.add_hazard_source(&enterprise, &client, &input).await.unwrap();
        let (source, chemicals, _) = app.hazard_source(&chaoyang, &client, source_id).await.unwrap();
        assert_eq!((source.s_value, source.r_value, source.level), (10.0, 30.0, Some(3)), "the worked example");
        assert_eq!(chemicals.len(), 1);
        assert!(matches!(app.hazard_source(&jilinshi, &client, source_id).await, Err(AppError::NotFound)));
        assert!(matches!(app.add_hazard_source(&enterprise, &client, &input).await, Err(AppError::Conflict(_))), "one name per enterprise");

        let rules = RuleSettings { on_delay_ms: 0, off_delay_ms: 0, deadband: 1.0, rate_per_min: None, offline_after_intervals: 3, stuck_after_ms: None };
        let sensor = SensorInput {
            code: "TEST-PT-1".into(),
            name: "储罐压力".into(),
            kind: "pressure".into(),
            unit: Some("MPa".into()),
            range_min: 0.0,
            range_max: 100.0,
            thresholds: Thresholds { low_low: None, low: None, high: Some(60.0), high_high: Some(80.0) },
            interval_s: 10,
            rules: Some(rules),
        };
        match app
            .add_sensors(&enterprise, &client, source_id, &[SensorInput { code: "bad code!".into(), range_min: 5.0, range_max: 1.0, ..sensor.clone() }])
            .await
        {
            Err(AppError::Invalid(fields)) => assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["code", "spec"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(app.add_sensors(&jilinshi, &client, source_id, std::slice::from_ref(&sensor)).await, Err(AppError::NotFound)));
        app.add_sensors(&enterprise, &client, source_id, std::slice::from_ref(&sensor)).await.unwrap();
        // The demo's simulator feeds the demo's sensors only, never one someone registered, and
        // marking old demo provinces' sensors again marks nothing new.
        let simulated: Vec<String> = app.store.simulated_sensors().await.unwrap().into_iter().map(|s| s.code).collect();
        assert!(simulated.len() >= 6 && !simulated.contains(&sensor.code), "{simulated:?}");
        assert_eq!(demo::mark_legacy_sensors(&app).await.unwrap(), 0);
        app.store.execute_raw_for_tests("UPDATE sensors SET simulated = FALSE").await.unwrap();
        assert_eq!(demo::mark_legacy_sensors(&app).await.unwrap() as usize, simulated.len(), "an older demo's sensors are found by their codes");
        assert!(!app.store.simulated_sensors().await.unwrap().iter().any(|s| s.code == sensor.code));
        assert!(
            matches!(app.add_sensors(&enterprise, &client, source_id, std::slice::from_ref(&sensor)).await, Err(AppError::Conflict(_))),
            "codes are unique"
        );

        // A sensor of another enterprise, which this enterprise must not be able to write.
        let others = app.sensors(&actor("office").await, &client, None, None).await.unwrap();
        let foreign = others.iter().find(|s| s.enterprise_id != own).expect("the demo has sensors at other enterprises").code.clone();

        let batch = vec![
            reading("TEST-PT-1", 50.0, NOW - 30_000),
            reading("TEST-PT-1", 70.0, NOW - 20_000),
            reading("NO-SUCH", 1.0, NOW),
            reading(&foreign, 1.0, NOW),
            reading("TEST-PT-1", f64::NAN, NOW - 15_000),
            reading("TEST-PT-1", 150.0, NOW - 14_000),
            reading("TEST-PT-1", 71.0, NOW - 20_000),
            reading("TEST-PT-1", 72.0, NOW - 40_000),
            reading("TEST-PT-1", 10.0, NOW - 30 * 24 * 3600 * 1000),
            reading("TEST-PT-1", 10.0, NOW + 3600 * 1000),
            Err(RejectReason::Malformed),
            reading("TEST-PT-1", 85.0, NOW - 10_000),
        ];
        let outcome = app.ingest(own, &batch, NOW).await.unwrap();
        assert_eq!(outcome.accepted, 3);
        let reasons: Vec<(usize, &str)> = outcome.rejected.iter().map(|r| (r.index, r.reason)).collect();
        assert_eq!(
            reasons,
            [
                (2, "unknown_sensor"),
                (3, "unknown_sensor"),
                (4, "not_finite"),
                (5, "out_of_range"),
                (6, "duplicate"),
                (7, "out_of_order"),
                (8, "too_old"),
                (9, "in_future"),
                (10, "malformed")
            ]
        );
        assert_eq!(app.monitor.latest("TEST-PT-1").await, Some((NOW - 10_000, 85.0)));

        // 70 crossed H and 85 HH: one live high alarm, now critical, with its peak.
        let active = app
            .alarms(&enterprise, &client, &store::AlarmFilter { state: Some("active".into()), source_id: Some(source_id), ..Default::default() }, 100)
            .await
            .unwrap();
        let high: Vec<_> = active.iter().filter(|a| a.kind == "high").collect();
        assert_eq!(high.len(), 1, "{active:?}");
        let alarm = high[0].clone();
        assert_eq!((alarm.severity.as_str(), alarm.state.as_str(), alarm.first_value, alarm.peak_value), ("critical", "raised", Some(70.0), Some(85.0)));
        assert!(matches!(app.alarm(&jilinshi, &client, alarm.id).await, Err(AppError::NotFound)), "outside the territory");
        // The source's early-warning grade: one critical process alarm at a level-3 source is orange.
        let warnings = app.source_warnings(&enterprise, &client).await.unwrap();
        let graded = warnings.iter().find(|w| w.source.id == source_id).unwrap();
        assert_eq!(graded.grade, Some(domain::monitoring::WarningGrade::Orange), "{graded:?}");
        let cities = app.region_warnings(&actor("office").await, &client, "220000").await.unwrap();
        let changchun = cities.iter().find(|c| c.code == "220100").unwrap();
        assert!(changchun.orange >= 1 && changchun.highest >= Some(domain::monitoring::WarningGrade::Orange), "{changchun:?}");
        assert!(cities.iter().filter(|c| c.code != "220100").all(|c| c.highest.is_none() || c.sources > 0));
        assert!(matches!(app.acknowledge_alarm(&expert, &client, alarm.id).await, Err(AppError::NotFound)));
        assert!(
            matches!(app.close_alarm(&enterprise, &client, alarm.id, "real", None).await, Err(AppError::IllegalTransition(_))),
            "not while the condition holds"
        );
        // Left unacknowledged, it goes up to the county, then the province, and each tier's
        // emergency bureau is told in its inbox.
        app::inbox::spawn_alarm_escalation_messages(app.clone());
        assert_eq!(app.monitor.escalate_alarms(alarm.raised_at + 14 * 60_000).await.unwrap(), 0);
        assert!(app.monitor.escalate_alarms(alarm.raised_at + 16 * 60_000).await.unwrap() >= 1);
        assert_eq!(app.alarm(&enterprise, &client, alarm.id).await.unwrap().escalation_tier, "county");
        app.monitor.escalate_alarms(alarm.raised_at + 61 * 60_000).await.unwrap();
        let escalated = app.alarms(&actor("office").await, &client, &store::AlarmFilter { escalated: true, ..Default::default() }, 100).await.unwrap();
        assert!(escalated.iter().any(|a| a.id == alarm.id && a.escalation_tier == "province"));
        // The count agrees with the list, for each filter and reader.
        for (who, filter) in [
            ("office", store::AlarmFilter { escalated: true, ..Default::default() }),
            ("office", store::AlarmFilter { state: Some("raised".into()), ..Default::default() }),
            ("chaoyang", store::AlarmFilter { state: Some("active".into()), ..Default::default() }),
            ("enterprise", store::AlarmFilter { source_id: Some(source_id), ..Default::default() }),
            ("jilinshi", store::AlarmFilter::default()),
        ] {
            let reader = actor(who).await;
            let listed = app.alarms(&reader, &client, &filter, 1000).await.unwrap().len() as i64;
            assert_eq!(app.alarm_total(&reader, &client, &filter).await.unwrap(), listed, "{backend}: {who} {filter:?}");
        }
        let link = format!("/alarms/{}", alarm.id);
        for (who, tier) in [("chaoyang", "county"), ("yjt", "province")] {
            let person = actor(who).await;
            let mut told = None;
            for _ in 0..100 {
                let inbox = app.inbox(&person, &client, false, 1, 50).await.unwrap();
                told = inbox.messages.items.into_iter().find(|m| m.link == link);
                if told.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let told = told.unwrap_or_else(|| panic!("{backend}: {who} is told the alarm went up to the {tier}"));
            assert!(told.urgent && told.message.render(domain::message::Lang::En).contains(tier), "{backend}: {told:?}");
        }
        assert!(
            app.inbox(&jilinshi, &client, false, 1, 50).await.unwrap().messages.items.iter().all(|m| m.link != link),
            "{backend}: another city is not told"
        );
        assert_eq!(app.acknowledge_alarm(&enterprise, &client, alarm.id).await.unwrap().state, "acknowledged");
        assert!(matches!(app.acknowledge_alarm(&chaoyang, &client, alarm.id).await, Err(AppError::IllegalTransition(_))), "only once");

        // Back inside the deadband clears it; then it closes with a disposition.
        app.ingest(own, &[reading("TEST-PT-1", 59.5, NOW - 5_000)], NOW).await.unwrap();
        assert_eq!(app.alarm(&enterprise, &client, alarm.id).await.unwrap().state, "acknowledged", "59.5 is within the 1.0 deadband below H 60");
        app.ingest(own, &[reading("TEST-PT-1", 40.0, NOW - 4_000)], NOW).await.unwrap();
        let cleared = app.alarm(&enterprise, &client, alarm.id).await.unwrap();
        assert_eq!((cleared.state.as_str(), cleared.condition_active), ("cleared", false));
        assert!(matches!(app.close_alarm(&enterprise, &client, alarm.id, "maybe", None).await, Err(AppError::Invalid(_))));
        let closed = app.close_alarm(&chaoyang, &client, alarm.id, "real", Some("已泄压,检查安全阀")).await.unwrap();
        assert_eq!((closed.state.as_str(), closed.disposition.as_deref()), ("closed", Some("real")));
        assert_eq!(app.store.alarm_comments(alarm.id).await.unwrap().len(), 1);

        // Alarm and data quality: what was raised in the hour around the readings, what was closed
        // (in real time) with which disposition, and who sees which enterprises.
        let kpis = app.monitoring_kpis_at(&enterprise, &client, 1, NOW + 60_000).await.unwrap();
        assert_eq!(kpis.len(), 1, "an enterprise sees its own figures");
        assert_eq!(kpis[0].sensors, 7);
        assert!(kpis[0].alarms_per_hour >= 1.0 && kpis[0].completeness > 0.0, "{:?}", kpis[0]);
        let today = app.monitoring_kpis_at(&chaoyang, &client, 24, store::now_ms()).await.unwrap();
        let own_today = today.iter().find(|k| k.enterprise_id == own).unwrap();
        assert_eq!((own_today.closed_real, own_today.false_share), (1, 0.0));
        assert!(app.monitoring_kpis_at(&jilinshi, &client, 24, store::now_ms()).await.unwrap().iter().all(|k| k.enterprise_id != own));
        assert!(matches!(app.monitoring_kpis_at(&enterprise, &client, 0, NOW).await, Err(AppError::BadRequest(_))));
        assert!(matches!(app.monitoring_kpis_at(&expert, &client, 24, NOW).await, Err(AppError::NotFound)));

        // A new excursion opens a new alarm, since the old one is closed.
        app.ingest(own, &[reading("TEST-PT-1", 65.0, NOW - 3_000)], NOW).await.unwrap();
        let again = app
            .alarms(&enterprise, &client, &store::AlarmFilter { state: Some("active".into()), source_id: Some(source_id), ..Default::default() }, 100)
            .await
            .unwrap();
        assert!(again.iter().any(|a| a.kind == "high" && a.id != alarm.id && a.severity == "warning"));

        // History: every accepted reading, raw and in buckets; bad ranges refused.
        let history = app.sensor_history(&chaoyang, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await.unwrap();
        let app::monitoring::History::Raw { points } = history else { panic!("raw") };
        assert_eq!(points, [(NOW - 30_000, 50.0), (NOW - 20_000, 70.0), (NOW - 10_000, 85.0), (NOW - 5_000, 59.5), (NOW - 4_000, 40.0), (NOW - 3_000, 65.0)]);
        let app::monitoring::History::Buckets { buckets } =
            app.sensor_history(&enterprise, &client, "TEST-PT-1", NOW - 60_000, NOW, Some(3_600_000)).await.unwrap()
        else {
            panic!("buckets")
        };
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u32>(), 6);
        assert!(matches!(app.sensor_history(&enterprise, &client, "TEST-PT-1", NOW, NOW - 1, None).await, Err(AppError::BadRequest(_))));
        assert!(matches!(app.sensor_history(&jilinshi, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await, Err(AppError::NotFound)));

        // A compaction step interrupted after storing a chunk (its log entries still there) shows
        // no reading twice, and redone it replaces that chunk with the whole one.
        let sensor_id = db.store.sensor_by_code("TEST-PT-1", &domain::access::Visibility::Everything).await.unwrap().id;
        let (ts_bytes, value_bytes) = monitor::codec::encode(&[NOW - 30_000, NOW - 20_000], &[50.0, 70.0]).unwrap();
        let partial = store::NewChunk { sensor_id, start_ms: NOW - 30_000, end_ms: NOW - 20_000, reading_count: 2, timestamps: ts_bytes, vals: value_bytes };
        db.store.store_chunks(&[partial], &[], None).await.unwrap();
        let app::monitoring::History::Raw { points: half_done } = app.sensor_history(&chaoyang, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await.unwrap()
        else {
            panic!("raw")
        };
        assert_eq!(half_done, points);

        // Compaction moves the log into per-sensor chunks; the history reads the same before and after.
        assert!(app.store.log_backlog().await.unwrap().0 >= 6, "accepted readings wait in the log");
        let moved = app.monitor.compact_all_telemetry().await.unwrap();
        assert!(moved >= 6, "{moved}");
        assert_eq!(app.store.log_backlog().await.unwrap().0, 0);
        let app::monitoring::History::Raw { points: compacted } = app.sensor_history(&chaoyang, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await.unwrap()
        else {
            panic!("raw")
        };
        assert_eq!(compacted, points);
        assert_eq!(app.monitor.compact_all_telemetry().await.unwrap(), 0, "nothing left");
        assert_eq!(db.store.chunks(sensor_id, NOW - 60_000, NOW).await.unwrap().len(), 1, "the redone chunk replaced the partial one");

        // A restart keeps the stored history and monitors the same sensors.
        let restarted = App::new(db.store.clone(), Default::default());
        assert_eq!(restarted.start_monitoring().await.unwrap(), loaded + 1);
        let app::monitoring::History::Raw { points: kept } =
            restarted.sensor_history(&enterprise, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await.unwrap()
        else {
            panic!("raw")
        };
        assert_eq!(kept.len(), 6);
        let replay = restarted.ingest(own, &[reading("TEST-PT-1", 65.0, NOW - 3_000)], NOW).await.unwrap();
        assert_eq!((replay.accepted, replay.rejected[0].reason), (0, "duplicate"), "order continues from the stored readings");
        restarted.ingest(own, &[reading("TEST-PT-1", 40.0, NOW - 2_000)], NOW).await.unwrap();
        let live = restarted.alarms(&enterprise, &client, &store::AlarmFilter { source_id: Some(source_id), ..Default::default() }, 100).await.unwrap();
        let second = live.iter().find(|a| a.kind == "high" && a.id != alarm.id).unwrap();
        assert!(!second.condition_active, "the alarm live before the restart clears when its condition goes: {second:?}");

        // A second compaction makes a second small chunk; merging joins them, and the history
        // reads the same.
        restarted.monitor.compact_all_telemetry().await.unwrap();
        assert_eq!(db.store.chunks(sensor_id, NOW - 60_000, NOW).await.unwrap().len(), 2);
        let app::monitoring::History::Raw { points: unmerged } =
            restarted.sensor_history(&enterprise, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await.unwrap()
        else {
            panic!("raw")
        };
        assert_eq!(unmerged.len(), 7);
        assert!(restarted.monitor.merge_chunks().await.unwrap() >= 2);
        assert_eq!(db.store.chunks(sensor_id, NOW - 60_000, NOW).await.unwrap().len(), 1);
        let app::monitoring::History::Raw { points: merged } =
            restarted.sensor_history(&enterprise, &client, "TEST-PT-1", NOW - 60_000, NOW, None).await.unwrap()
        else {
            panic!("raw")
        };
        assert_eq!(merged, unmerged);
        assert_eq!(restarted.monitor.merge_chunks().await.unwrap(), 0, "nothing left to merge");

        // Silent sensors raise no-data alarms once their limit has passed.
        let later = store::now_ms() + 3_600_000;
        let raised = app.monitor.check_silent_sensors(later).await;
        assert!(raised >= loaded, "every silent sensor: {raised}");
        let no_data = app.alarms(&enterprise, &client, &store::AlarmFilter { state: Some("raised".into()), ..Default::default() }, 1000).await.unwrap();
        assert!(no_data.iter().any(|a| a.kind == "no_data"));
        assert_eq!(app.monitor.check_silent_sensors(later).await, 0, "raised once, not again");
    }
}

#[tokio::test]
async fn shelving_and_maintenance_windows_on_every_configured_backend() {
    use app::alarm_suppressions::SuppressionInput;
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 10).await.unwrap();
        app.start_monitoring().await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (enterprise, chaoyang, inspector, jilinshi) =
            (actor("enterprise").await, actor("chaoyang").await, actor("inspector").await, actor("jilinshi").await);
        let own = enterprise.enterprise_id.unwrap();
        let code = app.sensors(&enterprise, &client, Some(own), None).await.unwrap().into_iter().find(|s| s.kind == "pressure").unwrap().code;
        let now = store::now_ms();
        let input = SuppressionInput { kind: "maintenance".into(), reason: "更换压力变送器".into(), starts_at: None, minutes: 30 };

        match app
            .request_suppression(
                &enterprise,
                &client,
                &code,
                &SuppressionInput { kind: "nap".into(), reason: " ".into(), starts_at: Some(now - 3_600_000), minutes: 0 },
                now,
            )
            .await
        {
            Err(AppError::Invalid(fields)) => assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["kind", "reason", "starts_at"]),
            other => panic!("{other:?}"),
        }
        match app.request_suppression(&enterprise, &client, &code, &SuppressionInput { kind: "shelve".into(), minutes: 9 * 60, ..input.clone() }, now).await {
            Err(AppError::Invalid(fields)) => assert_eq!(fields[0].field, "minutes", "a shelving lasts at most a shift"),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(app.request_suppression(&chaoyang, &client, &code, &input, now).await, Err(AppError::NotFound)),
            "the enterprise asks, the regulator decides"
        );
        assert!(matches!(app.request_suppression(&jilinshi, &client, &code, &input, now).await, Err(AppError::NotFound)));
        let id = app.request_suppression(&enterprise, &client, &code, &input, now).await.unwrap();
        assert!(matches!(app.decide_suppression(&enterprise, &client, id, true, None).await, Err(AppError::NotFound)), "never one's own approval");
        assert!(matches!(app.decide_suppression(&inspector, &client, id, true, None).await, Err(AppError::NotFound)));
        assert!(matches!(app.decide_suppression(&jilinshi, &client, id, true, None).await, Err(AppError::NotFound)));
        assert!(
            app.suppressions(&chaoyang, &client, None).await.unwrap().iter().any(|w| w.id == id && w.state == "requested"),
            "the regulator sees the request"
        );
        assert_eq!(app.decide_suppression(&chaoyang, &client, id, true, Some("同意,注意现场监护")).await.unwrap().state, "approved");
        assert!(matches!(app.decide_suppression(&chaoyang, &client, id, false, None).await, Err(AppError::IllegalTransition(_))), "decided once");

        // During the window a pressure excursion raises nothing; it is counted against the window.
        let high = |from: i64| (0..13).map(move |i| (from + i * 10_000, 2.4));
        let batch: Vec<(i64, f64)> = high(now + 1_000).collect();
        let readings: Vec<_> = batch.iter().map(|&(ts_ms, value)| Ok(domain::monitoring::RawReading { code: &code, value, ts_ms })).collect();
        assert_eq!(app.ingest(own, &readings, now + 130_000).await.unwrap().accepted, 13);
        let raised = |app: App| {
            let (enterprise, code) = (enterprise.clone(), code.clone());
            async move {
                let alarms =
                    app.alarms(&enterprise, &Client::cli(), &store::AlarmFilter { state: Some("active".into()), ..Default::default() }, 100).await.unwrap();
                alarms.iter().filter(|a| a.sensor_code == code).count()
            }
        };
        assert_eq!(raised(app.clone()).await, 0, "maintenance holds the alarm back");
        let window = app.suppression(&enterprise, &client, id).await.unwrap();
        assert!(window.suppressed_events >= 1, "{window:?}");

        // Ended early, the persisting excursion is raised again after its on-delay.
        let ended = app.end_suppression(&enterprise, &client, id).await.unwrap();
        assert!(ended.ends_at <= store::now_ms());
        assert!(matches!(app.end_suppression(&chaoyang, &client, id).await, Err(AppError::IllegalTransition(_))), "already over");
        let batch: Vec<(i64, f64)> = high(now + 200_000).collect();
        let readings: Vec<_> = batch.iter().map(|&(ts_ms, value)| Ok(domain::monitoring::RawReading { code: &code, value, ts_ms })).collect();
        assert_eq!(app.ingest(own, &readings, now + 330_000).await.unwrap().accepted, 13);
        assert_eq!(raised(app.clone()).await, 1, "the condition outlasting the window is alarmed");

        // A window that runs out ends by itself.
        let short = app
            .request_suppression(&enterprise, &client, &code, &SuppressionInput { kind: "shelve".into(), minutes: 1, ..input.clone() }, store::now_ms())
            .await
            .unwrap();
        app.decide_suppression(&chaoyang, &client, short, true, None).await.unwrap();
        assert_eq!(app.monitor.expire_suppressions(store::now_ms()).await.unwrap(), 0);
        assert_eq!(app.monitor.expire_suppressions(store::now_ms() + 61_000).await.unwrap(), 1);
        let refused = app.request_suppression(&enterprise, &client, &code, &input, store::now_ms()).await.unwrap();
        assert_eq!(app.decide_suppression(&chaoyang, &client, refused, false, Some("检修方案未报备")).await.unwrap().state, "rejected");
    }
}
