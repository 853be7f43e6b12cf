//! The monitoring rules' tests: parsing, checks, the rule engine, grades and escalation.

use super::*;
use proptest::prelude::*;

#[test]
fn unacknowledged_alarms_go_up_tier_by_tier() {
    let rules = EscalationRules::default();
    let minutes = |m: i64| m * 60_000;
    assert_eq!(rules.due_tier(minutes(14) + 59_999), EscalationTier::Enterprise);
    assert_eq!(rules.due_tier(minutes(15)), EscalationTier::County);
    assert_eq!(rules.due_tier(minutes(30)), EscalationTier::City);
    assert_eq!(rules.due_tier(minutes(60)), EscalationTier::Province);
    assert_eq!(rules.due_tier(-5), EscalationTier::Enterprise);
    assert!(rules.check().is_ok());
    assert!(EscalationRules { county_after_min: 30, city_after_min: 30, province_after_min: 60 }.check().is_err());
    assert!(EscalationRules { county_after_min: 0, ..rules }.check().is_err());
    assert!(EscalationTier::ALL.iter().all(|t| EscalationTier::parse(t.as_str()) == Some(*t)));
}

const LEVELS: Thresholds = Thresholds { low_low: Some(10.0), low: Some(20.0), high: Some(80.0), high_high: Some(90.0) };

fn rules(on_delay_ms: u32, off_delay_ms: u32, deadband: f64) -> RuleSettings {
    RuleSettings { on_delay_ms, off_delay_ms, deadband, rate_per_min: None, offline_after_intervals: 3, stuck_after_ms: None }
}

/// A level sensor over 0–100 % reporting every 10 s.
fn level(thresholds: Thresholds, rules: RuleSettings) -> SensorSpec {
    SensorSpec::new(SensorKind::Level, "%", 0.0, 100.0, thresholds, 10, rules).expect("a valid test spec")
}

/// `+high:warning@10` raised, `^high:critical@20` worsened, `-high@30` cleared.
fn describe(event: &AlarmEvent) -> String {
    match *event {
        AlarmEvent::Raised { kind, severity, ts_ms, .. } => format!("+{}:{}@{ts_ms}", kind.as_str(), severity.as_str()),
        AlarmEvent::Worsened { kind, severity, ts_ms, .. } => format!("^{}:{}@{ts_ms}", kind.as_str(), severity.as_str()),
        AlarmEvent::Cleared { kind, ts_ms } => format!("-{}@{ts_ms}", kind.as_str()),
    }
}

fn feed(state: &mut RuleState, spec: &SensorSpec, readings: &[(i64, f64)]) -> Vec<String> {
    let mut events = Vec::new();
    for &(ts_ms, value) in readings {
        state.observe(spec, value, ts_ms, &mut events);
    }
    events.iter().map(describe).collect()
}

fn run(spec: &SensorSpec, readings: &[(i64, f64)]) -> Vec<String> {
    feed(&mut RuleState::default(), spec, readings)
}

/// (what the case shows, thresholds, rules, readings (ts, value), events as `describe` writes them)
type EngineCase<'a> = (&'a str, Thresholds, RuleSettings, &'a [(i64, f64)], &'a [&'a str]);

#[test]
fn a_resumed_sensor_continues_its_order_and_silence() {
    let state = RuleState::resumed(10_000, 42.5, &[]);
    assert_eq!((state.last_ts_ms(), state.last_value()), (Some(10_000), Some(42.5)));
    assert_eq!(state.admit(10_000), Err(RejectReason::Duplicate));
    assert_eq!(state.admit(9_000), Err(RejectReason::OutOfOrder));
    assert_eq!(state.admit(11_000), Ok(()));
    assert!(AlarmKind::ALL.iter().all(|kind| state.active(*kind).is_none()));
    // A high alarm live before the restart clears once its condition is seen gone.
    let spec = SensorSpec::new(
        SensorKind::Pressure,
        "MPa",
        0.0,
        10.0,
        Thresholds { high: Some(6.0), ..Default::default() },
        10,
        RuleSettings { on_delay_ms: 0, off_delay_ms: 0, deadband: 0.5, rate_per_min: None, offline_after_intervals: 3, stuck_after_ms: None },
    )
    .unwrap();
    let mut state = RuleState::resumed(10_000, 7.0, &[(AlarmKind::High, Severity::Critical)]);
    assert_eq!(state.active(AlarmKind::High), Some(Severity::Critical));
    let mut out = Vec::new();
    state.observe(&spec, 2.0, 20_000, &mut out);
    assert_eq!(out, [AlarmEvent::Cleared { kind: AlarmKind::High, ts_ms: 20_000 }]);
}

#[test]
fn rule_engine_table() {
    let high_high_only = Thresholds { high_high: Some(90.0), ..Thresholds::default() };
    #[rustfmt::skip]
    let cases: &[EngineCase] = &[
        ("no delay: raised on the first reading, cleared below the deadband", LEVELS, rules(0, 0, 2.0),
            &[(0, 50.0), (10, 80.0), (20, 79.0), (30, 77.9)], &["+high:warning@10", "-high@30"]),
        ("inside the range and the thresholds: nothing", LEVELS, rules(0, 0, 0.0),
            &[(0, 50.0), (10, 21.0), (20, 79.0)], &[]),
        ("on-delay: a reading out of the condition restarts the wait", LEVELS, rules(30_000, 0, 0.0),
            &[(0, 85.0), (10_000, 85.0), (20_000, 50.0), (30_000, 85.0), (40_000, 85.0), (50_000, 85.0), (60_000, 85.0)],
            &["+high:warning@60000"]),
        ("off-delay: the condition returning restarts the wait", LEVELS, rules(0, 30_000, 0.0),
            &[(0, 85.0), (10_000, 50.0), (20_000, 85.0), (30_000, 50.0), (40_000, 50.0), (50_000, 50.0), (60_000, 50.0)],
            &["+high:warning@0", "-high@60000"]),
        ("worsening: high-high held for the on-delay", LEVELS, rules(20_000, 0, 0.0),
            &[(0, 85.0), (10_000, 95.0), (20_000, 95.0), (30_000, 95.0), (40_000, 95.0)],
            &["+high:warning@20000", "^high:critical@30000"]),
        ("critical from the start when high-high held the whole on-delay", LEVELS, rules(20_000, 0, 0.0),
            &[(0, 95.0), (10_000, 95.0), (20_000, 95.0)], &["+high:critical@20000"]),
        ("no delay: straight to critical", LEVELS, rules(0, 0, 0.0),
            &[(0, 95.0), (10, 50.0)], &["+high:critical@0", "-high@10"]),
        ("no delay: warning, then worsened on the next reading", LEVELS, rules(0, 0, 0.0),
            &[(0, 85.0), (10, 95.0)], &["+high:warning@0", "^high:critical@10"]),
        ("a short visit to high-high does not worsen", LEVELS, rules(20_000, 0, 0.0),
            &[(0, 85.0), (10_000, 85.0), (20_000, 85.0), (30_000, 95.0), (40_000, 85.0), (50_000, 95.0)],
            &["+high:warning@20000"]),
        ("severity never drops; high-high back after easing announces the standing alarm again", LEVELS, rules(0, 0, 0.0),
            &[(0, 95.0), (10, 85.0), (20, 95.0), (30, 70.0)], &["+high:critical@0", "^high:critical@20", "-high@30"]),
        ("easing needs the deadband below high-high; a return needs the on-delay", LEVELS, rules(20_000, 0, 2.0),
            &[(0, 95.0), (10_000, 95.0), (20_000, 95.0), (30_000, 89.0), (40_000, 95.0), (50_000, 95.0), (60_000, 95.0),
              (70_000, 87.0), (80_000, 95.0), (90_000, 95.0), (100_000, 95.0)],
            &["+high:critical@20000", "^high:critical@100000"]),
        ("only high-high configured: critical", high_high_only, rules(0, 0, 0.0),
            &[(0, 85.0), (10, 91.0), (20, 89.0)], &["+high:critical@10", "-high@20"]),
        ("low mirrors high", LEVELS, rules(0, 0, 2.0),
            &[(0, 15.0), (10, 5.0), (20, 21.0), (30, 22.5)], &["+low:warning@0", "^low:critical@10", "-low@30"]),
        ("the threshold itself is in the condition", LEVELS, rules(0, 0, 0.0),
            &[(0, 20.0), (10, 80.0)], &["+low:warning@0", "-low@10", "+high:warning@10"]),
        ("no thresholds: never raises", Thresholds::default(), rules(0, 0, 0.0),
            &[(0, 100.0), (10, 0.0)], &[]),
    ];
    for (name, thresholds, rules, readings, expected) in cases {
        assert_eq!(run(&level(*thresholds, *rules), readings), *expected, "{name}");
    }
}

#[test]
fn deadband_suppresses_chattering() {
    // A signal dithering ±0.5 around the high set-point of 80.
    let dither: Vec<(i64, f64)> = (0..100).map(|i| (i * 10_000, if i % 2 == 0 { 80.5 } else { 79.5 })).collect();
    assert_eq!(run(&level(LEVELS, rules(0, 0, 2.0)), &dither), ["+high:warning@0"], "deadband 2");
    assert_eq!(run(&level(LEVELS, rules(0, 60_000, 0.0)), &dither), ["+high:warning@0"], "off-delay 60 s");
    // Without either, every crossing is an alarm: the suppression above is real.
    assert_eq!(run(&level(LEVELS, rules(0, 0, 0.0)), &dither).len(), 100);
}

#[test]
fn rate_of_change() {
    let spec = level(Thresholds::default(), RuleSettings { rate_per_min: Some(5.0), ..rules(0, 120_000, 0.0) });
    let minute = |m: i64| m * 60_000;
    let events = run(&spec, &[(minute(0), 50.0), (minute(1), 52.0), (minute(2), 60.0), (minute(3), 61.0), (minute(4), 62.0), (minute(5), 63.0)]);
    assert_eq!(events, ["+rate_of_change:warning@120000", "-rate_of_change@300000"]);
    // Half a minute: 3 units are 6 per minute.
    assert_eq!(run(&spec, &[(0, 50.0), (30_000, 53.0)]), ["+rate_of_change:warning@30000"]);
    // A fast rise again during the off-delay keeps it active and raises nothing new.
    let events =
        run(&spec, &[(minute(0), 50.0), (minute(1), 60.0), (minute(2), 61.0), (minute(3), 70.0), (minute(4), 70.0), (minute(5), 70.0), (minute(6), 70.0)]);
    assert_eq!(events, ["+rate_of_change:warning@60000", "-rate_of_change@360000"]);
}

#[test]
fn rate_is_not_measured_across_an_out_of_range_reading() {
    let spec = level(Thresholds::default(), RuleSettings { rate_per_min: Some(5.0), ..rules(60_000, 0, 0.0) });
    let mut state = RuleState::default();
    let mut events = Vec::new();
    state.observe(&spec, 10.0, 0, &mut events);
    state.observe_out_of_range(&spec, 60_000, &mut events);
    state.observe(&spec, 90.0, 120_000, &mut events);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn stuck_value() {
    let spec = level(Thresholds::default(), RuleSettings { stuck_after_ms: Some(60_000), ..rules(0, 0, 0.0) });
    let steady: Vec<(i64, f64)> = (0..=8).map(|i| (i * 10_000, 42.0)).collect();
    let mut state = RuleState::default();
    assert_eq!(feed(&mut state, &spec, &steady), ["+stuck:warning@60000"]);
    assert_eq!(feed(&mut state, &spec, &[(90_000, 42.1), (100_000, 42.1)]), ["-stuck@90000"]);
    // A changing value never sticks.
    let moving: Vec<(i64, f64)> = (0..100).map(|i| (i * 10_000, 40.0 + (i % 3) as f64)).collect();
    assert!(run(&spec, &moving).is_empty());
    // Gas detectors sit at 0 for days: no stuck rule by default.
    assert_eq!(RuleSettings::default_for(SensorKind::CombustibleGas, 10).stuck_after_ms, None);
}

#[test]
fn no_data() {
    let spec = level(LEVELS, rules(0, 0, 0.0)); // 3 intervals of 10 s
    let mut state = RuleState::default();
    let mut events = Vec::new();
    state.check_silence(&spec, 1_000, &mut events); // starts the count for a silent sensor
    state.check_silence(&spec, 31_000, &mut events);
    assert!(events.is_empty());
    state.check_silence(&spec, 31_001, &mut events);
    state.check_silence(&spec, 40_000, &mut events); // raised once only
    state.observe(&spec, 50.0, 45_000, &mut events);
    state.check_silence(&spec, 75_000, &mut events);
    state.check_silence(&spec, 75_001, &mut events);
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+no_data:warning@31001", "-no_data@45000", "+no_data:warning@75001"]);
    assert!(matches!(events[0], AlarmEvent::Raised { value, .. } if value.is_nan()));

    let mut registered = RuleState::watching_since(0);
    let mut events = Vec::new();
    registered.check_silence(&spec, 30_001, &mut events);
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+no_data:warning@30001"]);
    assert_eq!(registered.last_ts_ms(), None);
}

#[test]
fn out_of_range_fault() {
    let spec = level(LEVELS, rules(20_000, 20_000, 0.0));
    let mut state = RuleState::default();
    let mut events = Vec::new();
    state.observe_out_of_range(&spec, 0, &mut events);
    state.observe_out_of_range(&spec, 10_000, &mut events);
    state.observe(&spec, 50.0, 15_000, &mut events); // a valid reading breaks the run
    state.observe_out_of_range(&spec, 20_000, &mut events);
    state.observe_out_of_range(&spec, 30_000, &mut events);
    state.observe_out_of_range_value(&spec, 140.0, 40_000, &mut events);
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+out_of_range:warning@40000"]);
    assert!(matches!(events[0], AlarmEvent::Raised { value, .. } if value == 140.0));
    state.observe(&spec, 50.0, 50_000, &mut events);
    state.observe(&spec, 120.0, 55_000, &mut events); // observe hands a bad value over: restarts the off-delay
    for ts_ms in [60_000, 70_000, 80_000] {
        state.observe(&spec, 50.0, ts_ms, &mut events);
    }
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+out_of_range:warning@40000", "-out_of_range@80000"]);
    assert_eq!(state.last_ts_ms(), Some(80_000));
}

#[test]
fn out_of_range_readings_count_for_no_data_and_order_only() {
    let spec = level(LEVELS, rules(0, 0, 0.0));
    let mut state = RuleState::default();
    let mut events = Vec::new();
    state.observe(&spec, 85.0, 0, &mut events);
    state.check_silence(&spec, 40_000, &mut events);
    state.observe_out_of_range(&spec, 50_000, &mut events);
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+high:warning@0", "+no_data:warning@40000", "-no_data@50000", "+out_of_range:warning@50000"]);
    assert_eq!((state.last_ts_ms(), state.last_value()), (Some(50_000), Some(85.0)));
    assert_eq!(state.admit(50_000), Err(RejectReason::Duplicate));
    assert_eq!(state.active(AlarmKind::High), Some(Severity::Warning), "an out-of-range reading does not clear High");
}

#[test]
fn admit_orders_readings_and_observe_ignores_the_refused() {
    let spec = level(LEVELS, rules(0, 0, 0.0));
    let mut state = RuleState::default();
    assert_eq!(state.admit(i64::MIN), Ok(()));
    let mut events = Vec::new();
    state.observe(&spec, 50.0, 1_000, &mut events);
    assert_eq!(state.admit(1_000), Err(RejectReason::Duplicate));
    assert_eq!(state.admit(999), Err(RejectReason::OutOfOrder));
    assert_eq!(state.admit(1_001), Ok(()));
    let before = state.clone();
    state.observe(&spec, 95.0, 999, &mut events);
    state.observe_out_of_range(&spec, 1_000, &mut events);
    assert_eq!(state, before);
    assert!(events.is_empty());
}

#[test]
fn a_rule_removed_from_the_spec_clears_its_alarm() {
    let mut state = RuleState::default();
    let mut events = Vec::new();
    state.observe(&level(LEVELS, rules(0, 0, 0.0)), 95.0, 0, &mut events);
    state.observe(&level(Thresholds::default(), rules(0, 0, 0.0)), 95.0, 10, &mut events);
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+high:critical@0", "-high@10"]);
}

#[test]
fn extreme_timestamps_do_not_panic() {
    let spec = level(LEVELS, RuleSettings { rate_per_min: Some(1.0), stuck_after_ms: Some(u32::MAX), ..rules(u32::MAX, u32::MAX, 0.0) });
    let mut state = RuleState::default();
    let mut events = Vec::new();
    state.check_silence(&spec, i64::MIN, &mut events);
    state.observe(&spec, 95.0, i64::MIN, &mut events);
    state.observe(&spec, 95.0, i64::MAX, &mut events);
    state.check_silence(&spec, i64::MAX, &mut events);
    // u32::MAX ms have certainly passed between the two readings.
    assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), [format!("+high:critical@{}", i64::MAX), format!("+stuck:warning@{}", i64::MAX)]);
}

#[test]
fn rule_state_is_small() {
    assert!(std::mem::size_of::<RuleState>() <= 64, "{} bytes", std::mem::size_of::<RuleState>());
}

#[test]
fn check_reading_reasons() {
    let spec = level(LEVELS, rules(0, 0, 0.0));
    let window = TimeWindow { max_past_ms: 1_000, max_future_ms: 100 };
    let now = 10_000;
    let check = |value: f64, ts_ms: i64| check_reading(&spec, value, ts_ms, now, window);
    assert_eq!(check(50.0, now), Ok(()));
    assert_eq!(check(0.0, 9_000), Ok(()), "range and window bounds are included");
    assert_eq!(check(100.0, 10_100), Ok(()));
    assert_eq!(check(f64::NAN, now), Err(RejectReason::NotFinite));
    assert_eq!(check(f64::INFINITY, now), Err(RejectReason::NotFinite));
    assert_eq!(check(100.01, now), Err(RejectReason::OutOfRange));
    assert_eq!(check(-0.01, now), Err(RejectReason::OutOfRange));
    assert_eq!(check(50.0, 8_999), Err(RejectReason::TooOld));
    assert_eq!(check(50.0, 10_101), Err(RejectReason::InFuture));
    assert_eq!(check(500.0, 8_999), Err(RejectReason::TooOld), "only timely readings are fault evidence");
    let wide = TimeWindow { max_past_ms: i64::MAX, max_future_ms: i64::MAX };
    assert_eq!(check_reading(&spec, 1.0, i64::MIN, i64::MIN + 5, wide), Ok(()));
    assert_eq!(check_reading(&spec, 1.0, i64::MAX, i64::MAX, wide), Ok(()));
}

#[test]
fn parse_lines_entries() {
    let body = "\u{feff}LT-101 42.5 1700000000000\r\n\n  \t \r\nTT.1\t-3\t-5\nPT_1 1e3 7\n";
    let entries = parse_lines(body, 10).unwrap();
    assert_eq!(
        entries,
        [
            Ok(RawReading { code: "LT-101", value: 42.5, ts_ms: 1_700_000_000_000 }),
            Ok(RawReading { code: "TT.1", value: -3.0, ts_ms: -5 }),
            Ok(RawReading { code: "PT_1", value: 1000.0, ts_ms: 7 }),
        ]
    );
    assert_eq!(parse_lines("", 0), Ok(vec![]));
    assert_eq!(parse_lines("\n\r\n \n", 0), Ok(vec![]));
}

#[test]
fn parse_lines_bad_lines_are_rejected_one_by_one() {
    use RejectReason::{Malformed, NotFinite};
    let code_65 = "A".repeat(65);
    let code_64 = "A".repeat(64);
    #[rustfmt::skip]
    let cases: &[(&str, Result<(), RejectReason>)] = &[
        ("A 1", Err(Malformed)),                          // too few fields
        ("A 1 2 3", Err(Malformed)),                      // too many
        ("A 1,5 2", Err(Malformed)),                      // decimal comma
        ("A 0x10 2", Err(Malformed)),
        ("A 1 2.0", Err(Malformed)),                      // ts not an integer
        ("A 1 1e3", Err(Malformed)),
        ("A 1 99999999999999999999", Err(Malformed)),     // ts beyond i64
        ("A 1 -9223372036854775808", Ok(())),            // i64::MIN is an integer
        ("液位1 1 2", Err(Malformed)),                     // unicode code
        ("A\u{3000}1 2", Err(Malformed)),                 // ideographic space is no separator
        (&code_65, Err(Malformed)),
        ("A NaN 2", Err(NotFinite)),
        ("A nan 2", Err(NotFinite)),
        ("A -inf 2", Err(NotFinite)),
        ("A infinity 2", Err(NotFinite)),
        ("A 1e400 2", Err(NotFinite)),                    // beyond f64
        ("A 1e-400 2", Ok(())),                           // underflows to 0
        ("A 123456789012345678901234567890 2", Ok(())),  // huge but finite
    ];
    for (line, expected) in cases {
        let body = format!("{line}\nOK 1 2\n");
        let entries = parse_lines(&body, 10).unwrap();
        assert_eq!(entries.len(), 2, "{line}");
        assert_eq!(entries[0].map(|_| ()), *expected, "{line}");
        assert_eq!(entries[1], Ok(RawReading { code: "OK", value: 1.0, ts_ms: 2 }), "{line}");
    }
    assert!(parse_lines(&format!("{code_64} 1 2"), 1).unwrap()[0].is_ok());
    assert_eq!(parse_lines(&format!("{code_65} 1 2"), 1).unwrap(), [Err(Malformed)]);
}

#[test]
fn parse_lines_too_many() {
    let body = "A 1 1\n\nA 1 2\nA 1 3\n";
    assert_eq!(parse_lines(body, 3).map(|e| e.len()), Ok(3));
    assert_eq!(parse_lines(body, 2), Err(BatchError::TooMany { max: 2 }));
    assert_eq!(parse_lines("bad\n", 0), Err(BatchError::TooMany { max: 0 }));
    // A huge body with a small max allocates no more than max entries.
    let body = "A 1 1\n".repeat(100_000);
    let entries = parse_lines(&body[..body.len() - 6 * 99_000], 1_000).unwrap();
    assert!(entries.capacity() <= 1_000, "{}", entries.capacity());
    assert_eq!(parse_lines(&body, 1_000), Err(BatchError::TooMany { max: 1_000 }));
}

fn json(body: &str, max: usize) -> Result<Vec<Result<RawReading<'_>, RejectReason>>, BatchError> {
    parse_json(body.as_bytes(), max)
}

#[test]
fn parse_json_entries() {
    let body = r#"[{"sensor": "LT-101", "value": 42.5, "ts": 1700000000000}, {"ts": -5, "value": -3, "sensor": "TT.1", "quality": {"x": [1]}},
        {"sensor": "PT_1", "value": 18446744073709551615, "ts": 7}]"#;
    assert_eq!(
        json(body, 10).unwrap(),
        [
            Ok(RawReading { code: "LT-101", value: 42.5, ts_ms: 1_700_000_000_000 }),
            Ok(RawReading { code: "TT.1", value: -3.0, ts_ms: -5 }),
            Ok(RawReading { code: "PT_1", value: 18_446_744_073_709_551_615.0, ts_ms: 7 }),
        ]
    );
    assert_eq!(json("[]", 0), Ok(vec![]));
    assert_eq!(json("\u{feff} [ ] ", 0), Ok(vec![]));
    // The code is borrowed from the body.
    let body = r#"[{"sensor":"A","value":1,"ts":2}]"#;
    let code = json(body, 1).unwrap()[0].unwrap().code;
    assert!(body.as_bytes().as_ptr_range().contains(&code.as_ptr()));
}

#[test]
fn parse_json_bad_elements_are_rejected_one_by_one() {
    use RejectReason::Malformed;
    let code_65 = "A".repeat(65);
    let long_code = format!(r#"{{"sensor":"{code_65}","value":1,"ts":2}}"#);
    #[rustfmt::skip]
    let cases: &[&str] = &[
        r#"{"value":1,"ts":2}"#,                                  // missing sensor
        r#"{"sensor":"A","ts":2}"#,                               // missing value
        r#"{"sensor":"A","value":1}"#,                            // missing ts
        r#"{"sensor":"A","value":"1","ts":2}"#,                   // value as a string
        r#"{"sensor":"A","value":null,"ts":2}"#,
        r#"{"sensor":"A","value":1,"ts":2.5}"#,                   // ts not an integer
        r#"{"sensor":"A","value":1,"ts":2.0}"#,
        r#"{"sensor":"A","value":1,"ts":1e30}"#,
        r#"{"sensor":"A","value":1,"ts":9223372036854775808}"#,   // ts beyond i64
        r#"{"sensor":"A","value":1,"ts":"2"}"#,
        r#"{"sensor":1,"value":1,"ts":2}"#,
        r#"{"sensor":"液位","value":1,"ts":2}"#,                  // unicode code
        r#"{"sensor":"A B","value":1,"ts":2}"#,
        r#"{"sensor":"\u0041","value":1,"ts":2}"#,                // escaped code
        r#"{"sensor":"A","value":[1],"ts":2}"#,                   // extra nesting
        r#"{"sensor":{"code":"A"},"value":1,"ts":2}"#,
        r#"{"sensor":"A","value":{"v":[[{"a":[]}]]},"ts":2}"#,    // nested garbage
        r#"{"sensor":"A","sensor":"B","value":1,"ts":2}"#,        // a field twice
        r#"[{"sensor":"A","value":1,"ts":2}]"#,                   // an array, not an object
        r#""A 1 2""#,
        "42",
        "true",
        "null",
        "{}",
        &long_code,
    ];
    for element in cases {
        let body = format!(r#"[{element}, {{"sensor":"OK","value":1,"ts":2}}]"#);
        let entries = json(&body, 10).unwrap_or_else(|error| panic!("{element}: {error}"));
        assert_eq!(entries, [Err(Malformed), Ok(RawReading { code: "OK", value: 1.0, ts_ms: 2 })], "{element}");
    }
}

#[test]
fn parse_json_bad_bodies() {
    for body in ["{}", r#"{"sensor":"A","value":1,"ts":2}"#, "42", r#""text""#, "null", "", "  \n"] {
        assert_eq!(json(body, 10), Err(BatchError::NotAnArray), "{body:?}");
    }
    let Err(BatchError::Json { line, column, detail }) = json("[\n {\"sensor\": \"A\", \"value\": 1,, \"ts\": 2}]", 10) else {
        panic!("syntax error expected")
    };
    assert_eq!((line, column), (2, 29));
    assert!(!detail.contains("line"), "{detail}");
    for body in ["[", "[1,]", "[1] [2]", "[1] x", "nonsense", r#"[{"sensor":"A","value":1e400,"ts":2}]"#, &"[".repeat(200)] {
        assert!(matches!(json(body, 10), Err(BatchError::Json { .. })), "{body:?}: {:?}", json(body, 10));
    }
    assert_eq!(parse_json(b"[{\"sensor\":\"A\xff\"}]", 10), Err(BatchError::NotUtf8 { byte_offset: 13 }));
    let body = r#"[{"sensor":"A","value":1,"ts":1}, 2, 3]"#;
    assert_eq!(json(body, 3).map(|e| e.len()), Ok(3));
    assert_eq!(json(body, 2), Err(BatchError::TooMany { max: 2 }));
    assert_eq!(json("[1]", 0), Err(BatchError::TooMany { max: 0 }));
    let many = format!("[{}1]", "1,".repeat(100_000));
    assert_eq!(json(&many, 1_000), Err(BatchError::TooMany { max: 1_000 }));
    assert!(json(&many[..1_000], 1_000).unwrap_err().to_string().contains("line 1"), "a cut body is a syntax error");
}

#[test]
fn errors_name_the_field_in_both_languages() {
    let base = || (Thresholds::default(), rules(0, 0, 0.0));
    let new = |unit: &str, min: f64, max: f64, thresholds: Thresholds, interval_s: u32, rules: RuleSettings| {
        SensorSpec::new(SensorKind::Pressure, unit, min, max, thresholds, interval_s, rules).map(|_| ())
    };
    let (t, r) = base();
    assert_eq!(new("MPa", 0.0, 2.5, LEVELS.with_scale(0.025), 5, r), Ok(()));
    #[rustfmt::skip]
    let cases: Vec<(Result<(), SensorSpecError>, &str)> = vec![
        (new("", 0.0, 1.0, t, 5, r), "unit"),
        (new("  ", 0.0, 1.0, t, 5, r), "unit"),
        (new("MPa\n", 0.0, 1.0, t, 5, r), "unit"),
        (new(&"m".repeat(17), 0.0, 1.0, t, 5, r), "unit"),
        (new("MPa", f64::NAN, 1.0, t, 5, r), "range_min"),
        (new("MPa", 0.0, f64::INFINITY, t, 5, r), "range_max"),
        (new("MPa", 1.0, 1.0, t, 5, r), "range_min"),
        (new("MPa", 0.0, 1.0, Thresholds { high: Some(f64::NAN), ..t }, 5, r), "thresholds.high"),
        (new("MPa", 0.0, 1.0, Thresholds { high: Some(1.5), ..t }, 5, r), "thresholds.high"),
        (new("MPa", 0.0, 1.0, Thresholds { low_low: Some(-0.1), ..t }, 5, r), "thresholds.low_low"),
        (new("MPa", 0.0, 1.0, Thresholds { low: Some(0.5), high: Some(0.5), ..t }, 5, r), "thresholds.low"),
        (new("MPa", 0.0, 1.0, Thresholds { high: Some(0.9), high_high: Some(0.8), ..t }, 5, r), "thresholds.high_high"),
        (new("MPa", 0.0, 1.0, Thresholds { low_low: Some(0.9), high_high: Some(0.8), ..t }, 5, r), "thresholds.low_low"),
        (new("MPa", 0.0, 1.0, t, 0, r), "interval_s"),
        (new("MPa", 0.0, 1.0, t, 86_401, r), "interval_s"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { deadband: -0.1, ..r }), "rules.deadband"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { deadband: 1.0, ..r }), "rules.deadband"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { deadband: f64::NAN, ..r }), "rules.deadband"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { rate_per_min: Some(0.0), ..r }), "rules.rate_per_min"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { rate_per_min: Some(f64::INFINITY), ..r }), "rules.rate_per_min"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { offline_after_intervals: 1, ..r }), "rules.offline_after_intervals"),
        (new("MPa", 0.0, 1.0, t, 5, RuleSettings { stuck_after_ms: Some(0), ..r }), "rules.stuck_after_ms"),
    ];
    for (index, (result, field)) in cases.into_iter().enumerate() {
        let message = result.expect_err(field).message();
        let (zh, en) = (message.render(crate::message::Lang::Zh), message.render(crate::message::Lang::En));
        assert!(zh.contains(field) && en.contains(field) && zh != en, "case {index}: {zh} | {en}");
    }
    let error = SensorCode::parse("液位 101").unwrap_err().to_string();
    assert!(error.contains("液位 101") && error.contains("sensor code"), "{error}");
    assert_eq!(SensorCode::parse(&"x".repeat(100)).unwrap_err().to_string().matches('x').count(), 70, "the code is echoed, up to 70 characters");
    assert_eq!(SensorCode::parse("JL00001-LT101").map(|c| c.to_string()), Ok("JL00001-LT101".to_owned()));
}

impl Thresholds {
    fn with_scale(self, factor: f64) -> Self {
        let scale = |v: Option<f64>| v.map(|v| v * factor);
        Self { low_low: scale(self.low_low), low: scale(self.low), high: scale(self.high), high_high: scale(self.high_high) }
    }
}

#[test]
fn default_rules_make_valid_specs() {
    for kind in SensorKind::ALL {
        for interval_s in [1, 10, 3_600, MAX_INTERVAL_S] {
            for rules in [RuleSettings::default_for(kind, interval_s), RuleSettings::for_range(kind, interval_s, -40.0, 100.0)] {
                let spec = SensorSpec::new(kind, kind.default_unit(), -40.0, 100.0, LEVELS, interval_s, rules);
                assert!(spec.is_ok(), "{kind:?} {interval_s}: {spec:?}");
            }
        }
    }
    assert_eq!(RuleSettings::default_for(SensorKind::Level, 10).stuck_after_ms, Some(24 * 3_600_000));
    assert_eq!(RuleSettings::default_for(SensorKind::Level, MAX_INTERVAL_S).stuck_after_ms, Some(u32::MAX));
    assert_eq!(RuleSettings::default_for(SensorKind::Flow, 10).stuck_after_ms, None);
    assert_eq!(RuleSettings::default_for(SensorKind::ToxicGas, 10).on_delay_ms, 0);
    assert_eq!(RuleSettings::for_range(SensorKind::Pressure, 5, 0.0, 2.5).deadband, 0.05);
}

#[test]
fn names_round_trip() {
    for kind in SensorKind::ALL {
        assert_eq!(SensorKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    for kind in AlarmKind::ALL {
        assert_eq!(AlarmKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    assert_eq!(AlarmKind::ALL.iter().filter(|k| k.is_fault()).count(), 3);
    for severity in Severity::ALL {
        assert_eq!(Severity::parse(severity.as_str()), Some(severity));
    }
    for reason in RejectReason::ALL {
        assert_eq!(RejectReason::parse(reason.as_str()), Some(reason));
        assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        let message = reason.message();
        assert!(message.render(crate::message::Lang::En) != message.code && message.render(crate::message::Lang::Zh) != message.code, "{reason:?}");
    }
    for grade in WarningGrade::ALL {
        assert_eq!(WarningGrade::parse(grade.as_str()), Some(grade));
        assert_eq!(serde_json::to_value(grade).unwrap(), grade.as_str());
    }
    assert_eq!(WarningGrade::Red.label_zh(), "红色");
    assert!(WarningGrade::Red > WarningGrade::Orange && WarningGrade::Yellow > WarningGrade::Blue);
    assert_eq!(SensorKind::parse("Level"), None);
}

/// (source level, active alarms, expected grade)
type GradeCase<'a> = (Option<u8>, &'a [(AlarmKind, Severity)], Option<WarningGrade>);

#[test]
fn warning_grades() {
    use AlarmKind::*;
    use Severity::*;
    let rules = WarningRules::default();
    #[rustfmt::skip]
    let cases: &[GradeCase] = &[
        (Some(1), &[], None),
        (Some(1), &[(High, Critical)], Some(WarningGrade::Red)),
        (Some(2), &[(RateOfChange, Critical)], Some(WarningGrade::Red)),
        (Some(3), &[(High, Critical)], Some(WarningGrade::Orange)),
        (None, &[(Low, Critical)], Some(WarningGrade::Orange)),
        (Some(4), &[(High, Critical), (Low, Critical)], Some(WarningGrade::Red)),
        (Some(1), &[(High, Warning), (Low, Warning), (RateOfChange, Warning)], Some(WarningGrade::Orange)),
        (Some(3), &[(High, Warning), (Low, Warning), (RateOfChange, Warning)], Some(WarningGrade::Yellow)),
        (Some(2), &[(High, Warning), (Low, Warning), (NoData, Warning)], Some(WarningGrade::Yellow)),
        (Some(1), &[(NoData, Warning), (Stuck, Warning), (OutOfRange, Critical)], Some(WarningGrade::Blue)),
        (Some(4), &[(High, Warning), (Stuck, Warning)], Some(WarningGrade::Yellow)),
    ];
    for (level, active, expected) in cases {
        assert_eq!(warning_grade(*level, active, &rules), *expected, "{level:?} {active:?}");
    }
    let strict = WarningRules { strict_level_max: 4, red_critical_alarms: 0, orange_warning_alarms_strict: 1 };
    assert_eq!(warning_grade(Some(4), &[(High, Critical)], &strict), Some(WarningGrade::Red));
    assert_eq!(warning_grade(Some(4), &[(High, Warning)], &strict), Some(WarningGrade::Orange));
    assert_eq!(warning_grade(Some(4), &[(Stuck, Warning)], &strict), Some(WarningGrade::Blue));
    let parsed: WarningRules = toml::from_str("red_critical_alarms = 3").unwrap();
    assert_eq!(parsed, WarningRules { red_critical_alarms: 3, ..WarningRules::default() });
    assert!(toml::from_str::<WarningRules>("red = 3").is_err());
}

// ---- properties ----

fn any_thresholds() -> impl Strategy<Value = Thresholds> {
    (1u32..20, 1u32..25, 1u32..25, 1u32..25, prop::array::uniform4(any::<bool>())).prop_map(|(low_low, g1, g2, g3, present)| {
        let low = low_low + g1;
        let high = low + g2;
        let high_high = high + g3;
        let pick = |on: bool, v: u32| on.then_some(f64::from(v));
        Thresholds { low_low: pick(present[0], low_low), low: pick(present[1], low), high: pick(present[2], high), high_high: pick(present[3], high_high) }
    })
}

fn any_rules() -> impl Strategy<Value = RuleSettings> {
    (
        prop::sample::select(vec![0u32, 5_000, 20_000, 60_000]),
        prop::sample::select(vec![0u32, 5_000, 20_000, 60_000]),
        prop::sample::select(vec![0.0, 0.5, 2.0]),
        prop::sample::select(vec![None, Some(1.0), Some(10.0)]),
        prop::sample::select(vec![None, Some(30_000u32)]),
    )
        .prop_map(|(on_delay_ms, off_delay_ms, deadband, rate_per_min, stuck_after_ms)| RuleSettings {
            on_delay_ms,
            off_delay_ms,
            deadband,
            rate_per_min,
            offline_after_intervals: 3,
            stuck_after_ms,
        })
}

#[derive(Clone, Debug)]
enum Step {
    Reading { gap_ms: i64, value: f64 },
    OutOfRange { gap_ms: i64 },
    Silence { gap_ms: i64 },
}

fn any_step() -> impl Strategy<Value = Step> {
    // Gaps of 0 and below test refused readings; values cluster on the set-points.
    let gap = prop_oneof![Just(0i64), Just(-1_000i64), 1i64..20_000, 20_000i64..200_000];
    let value = prop_oneof![prop::sample::select(vec![0.0, 5.0, 15.0, 21.0, 40.0, 60.0, 80.0, 95.0, 100.0]), 0.0..=100.0f64, -20.0..120.0f64];
    prop_oneof![
        6 => (gap.clone(), value).prop_map(|(gap_ms, value)| Step::Reading { gap_ms, value }),
        1 => gap.clone().prop_map(|gap_ms| Step::OutOfRange { gap_ms }),
        1 => gap.prop_map(|gap_ms| Step::Silence { gap_ms }),
    ]
}

proptest! {
    /// Random specs and steps never panic; per kind the events run Raised (Worsened)* Cleared,
    /// Worsened always to Critical, and `active` always agrees with the events.
    #[test]
    fn events_alternate_per_kind(thresholds in any_thresholds(), rules in any_rules(), steps in prop::collection::vec(any_step(), 0..120)) {
        let spec = level(thresholds, rules);
        let mut state = RuleState::default();
        let mut live: [Option<Severity>; 6] = [None; 6];
        let mut now_ms = 0i64;
        for step in steps {
            let mut events = Vec::new();
            match step {
                Step::Reading { gap_ms, value } => { now_ms += gap_ms; state.observe(&spec, value, now_ms, &mut events) }
                Step::OutOfRange { gap_ms } => { now_ms += gap_ms; state.observe_out_of_range(&spec, now_ms, &mut events) }
                Step::Silence { gap_ms } => {
                    let due = state.silence_due(&spec, now_ms + gap_ms);
                    state.check_silence(&spec, now_ms + gap_ms, &mut events);
                    prop_assert_eq!(due, events.iter().any(|e| matches!(e, AlarmEvent::Raised { kind: AlarmKind::NoData, .. })), "silence_due tells what check_silence does");
                }
            }
            for event in &events {
                let slot = &mut live[event.kind() as usize];
                match *event {
                    AlarmEvent::Raised { severity, .. } => { prop_assert_eq!(*slot, None, "{:?}", event); *slot = Some(severity) }
                    AlarmEvent::Worsened { severity, .. } => {
                        // From Warning, or a critical alarm announced again.
                        prop_assert!(slot.is_some(), "{:?}", event);
                        prop_assert_eq!(severity, Severity::Critical);
                        *slot = Some(severity);
                    }
                    AlarmEvent::Cleared { .. } => { prop_assert!(slot.is_some(), "{:?}", event); *slot = None }
                }
            }
            for kind in AlarmKind::ALL {
                prop_assert_eq!(state.active(kind), live[kind as usize], "{:?}", kind);
            }
        }
    }

    /// A signal strictly inside (low + deadband, high - deadband) raises nothing but rate,
    /// stuck or no-data alarms.
    #[test]
    fn a_quiet_signal_raises_no_level_alarm(thresholds in any_thresholds(), rules in any_rules(), signal in prop::collection::vec((1i64..60_000, 0.0..1.0f64), 1..100)) {
        let spec = level(thresholds, rules);
        let lower = thresholds.low.or(thresholds.low_low).map_or(spec.range_min, |low| low + rules.deadband);
        let upper = thresholds.high.or(thresholds.high_high).map_or(spec.range_max, |high| high - rules.deadband);
        prop_assume!(lower < upper);
        let mut state = RuleState::default();
        let mut events = Vec::new();
        let mut ts_ms = 0;
        for (gap_ms, fraction) in signal {
            ts_ms += gap_ms;
            let value = lower + (upper - lower) * fraction;
            prop_assume!(value > lower && value < upper);
            state.observe(&spec, value, ts_ms, &mut events);
        }
        let level_events: Vec<&AlarmEvent> = events.iter().filter(|e| matches!(e.kind(), AlarmKind::High | AlarmKind::Low | AlarmKind::OutOfRange)).collect();
        prop_assert!(level_events.is_empty(), "{:?}", level_events);
    }

    /// parse_lines never panics and gives exactly one entry per non-blank line.
    #[test]
    fn parse_lines_one_entry_per_non_blank_line(text in prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(vec!['A', 'z', '1', '0', '.', '-', 'e', ' ', '\t', '\r', '\n', 'n', 'a', 'i', 'f', '液', '\u{feff}']), 0..300)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
    ]) {
        let expected = text.strip_prefix('\u{feff}').unwrap_or(&text).split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .filter(|line| !line.trim_matches([' ', '\t']).is_empty())
            .count();
        prop_assert_eq!(parse_lines(&text, usize::MAX).map(|entries| entries.len()), Ok(expected));
        if expected > 0 {
            prop_assert_eq!(parse_lines(&text, expected - 1), Err(BatchError::TooMany { max: expected - 1 }));
        }
    }

    /// parse_json never panics on arbitrary bytes, nor on arrays of arbitrary JSON-ish text.
    #[test]
    fn parse_json_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300), text in "\\[[\\[\\]{}\",:a-z0-9. -]{0,200}") {
        let _ = parse_json(&bytes, 100);
        let _ = parse_json(text.as_bytes(), 100);
    }
}
