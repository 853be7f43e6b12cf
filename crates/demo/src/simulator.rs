//! The telemetry simulator: plausible readings for a set of sensors under a documented fault
//! model, with injected true incidents whose ground truth it records; the scoring of alarm
//! quality (recall on incidents, detection delay, alarm count against naive threshold alarming on
//! the same data); and the live feed the demo province runs.
//!
//! The fault model, per sensor:
//! - **noise**: normally distributed, standard deviation `noise_share` of the range, quantised to
//!   the instrument's resolution (0.01, or 0.001 for ranges of 10 or less);
//! - **spikes**: with chance `spike_chance` per reading, one sample off by up to `spike_share` of
//!   the range (clamped to the range: the transmitter saturates);
//! - **flapping**: a share `flapping_share` of the sensors with a high threshold runs close to it,
//!   so that noise alone carries it back and forth across;
//! - **stuck**: with chance `stuck_per_hour` a sensor freezes at its value for `stuck_minutes`;
//! - **dropouts**: with chance `dropout_per_hour` a sensor sends nothing for `dropout_minutes`.
//!
//! True incidents, each recorded with its start, end and the moment its noiseless signal crossed
//! the high threshold: a slow gas leak (combustible or toxic detector: up to 1.3 × high-high over
//! 10 minutes, held 10, gone in 5), a tank overfill (level: to halfway between high-high and the
//! top of the range over 30 minutes, held 10, drained in 10) and a pressure excursion (to
//! 1.08 × high-high over 2 minutes, held 5, relieved in 2). No fault touches a sensor during its
//! incident, so the ground truth stays clean.

use app::App;
use domain::monitoring::{AlarmEvent, AlarmKind, RuleState, SensorKind, SensorSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaultModel {
    pub noise_share: f64,
    pub spike_chance: f64,
    pub spike_share: f64,
    pub flapping_share: f64,
    pub stuck_per_hour: f64,
    pub stuck_minutes: u32,
    pub dropout_per_hour: f64,
    pub dropout_minutes: u32,
}

impl Default for FaultModel {
    fn default() -> Self {
        Self {
            noise_share: 0.004,
            spike_chance: 0.000_5,
            spike_share: 0.3,
            flapping_share: 0.05,
            stuck_per_hour: 0.002,
            stuck_minutes: 120,
            dropout_per_hour: 0.01,
            dropout_minutes: 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    SlowGasLeak,
    TankOverfill,
    PressureExcursion,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 3] = [IncidentKind::SlowGasLeak, IncidentKind::TankOverfill, IncidentKind::PressureExcursion];

    fn fits(self, spec: &SensorSpec) -> bool {
        let kind_fits = match self {
            IncidentKind::SlowGasLeak => matches!(spec.kind, SensorKind::CombustibleGas | SensorKind::ToxicGas),
            IncidentKind::TankOverfill => spec.kind == SensorKind::Level,
            IncidentKind::PressureExcursion => spec.kind == SensorKind::Pressure,
        };
        kind_fits && spec.thresholds.high.is_some()
    }

    /// Ramp up, hold and ramp down, in milliseconds.
    fn phases_ms(self) -> (i64, i64, i64) {
        const MINUTE: i64 = 60_000;
        match self {
            IncidentKind::SlowGasLeak => (10 * MINUTE, 10 * MINUTE, 5 * MINUTE),
            IncidentKind::TankOverfill => (30 * MINUTE, 10 * MINUTE, 10 * MINUTE),
            IncidentKind::PressureExcursion => (2 * MINUTE, 5 * MINUTE, 2 * MINUTE),
        }
    }

    fn peak(self, spec: &SensorSpec) -> f64 {
        let high = spec.thresholds.high.unwrap_or(spec.range_max);
        let high_high = spec.thresholds.high_high.unwrap_or(high);
        let peak = match self {
            IncidentKind::SlowGasLeak => high_high * 1.3,
            IncidentKind::TankOverfill => high_high + (spec.range_max - high_high) / 2.0,
            IncidentKind::PressureExcursion => high_high * 1.08,
        };
        peak.min(spec.range_max)
    }
}

/// A true incident and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub kind: IncidentKind,
    pub sensor: usize,
    pub code: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// When the noiseless signal first reached the high threshold.
    pub crossed_ms: Option<i64>,
}

/// A sensor the simulator feeds.
#[derive(Debug, Clone)]
pub struct SimSensor {
    pub code: String,
    pub enterprise_id: i64,
    pub spec: SensorSpec,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimReading {
    pub sensor: usize,
    pub value: f64,
    pub ts_ms: i64,
}

#[derive(Debug, Clone)]
struct Track {
    baseline: f64,
    next_ts_ms: i64,
    stuck: Option<(i64, f64)>,
    silent_until_ms: i64,
    incident: Option<usize>,
}

pub struct Simulator {
    sensors: Vec<SimSensor>,
    tracks: Vec<Track>,
    model: FaultModel,
    rng: ChaCha8Rng,
    incidents: Vec<Incident>,
}

/// A normal operating point: inside the thresholds with room to spare, or close below the high
/// threshold for a flapping sensor.
fn baseline(spec: &SensorSpec, flapping: bool, rng: &mut ChaCha8Rng) -> f64 {
    let span = spec.range_max - spec.range_min;
    if flapping && let Some(high) = spec.thresholds.high {
        return high - span * 0.002;
    }
    let (low, high) = match spec.kind {
        SensorKind::CombustibleGas | SensorKind::ToxicGas => (spec.range_min, spec.range_min + span * 0.02),
        _ => {
            let floor = spec.thresholds.low.unwrap_or(spec.range_min).max(spec.range_min + span * 0.2);
            let ceiling = spec.thresholds.high.unwrap_or(spec.range_max).min(spec.range_max - span * 0.2);
            if floor < ceiling { (floor + (ceiling - floor) * 0.2, ceiling - (ceiling - floor) * 0.2) } else { (floor, floor) }
        }
    };
    if high > low { rng.random_range(low..high) } else { low }
}

fn quantise(spec: &SensorSpec, value: f64) -> f64 {
    let scale = if spec.range_max - spec.range_min <= 10.0 { 1000.0 } else { 100.0 };
    (value.clamp(spec.range_min, spec.range_max) * scale).round() / scale
}

/// One standard normal sample (Box–Muller).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

impl Simulator {
    /// A simulator whose first readings fall at `start_ms`, deterministic for a given seed.
    pub fn new(sensors: Vec<SimSensor>, model: FaultModel, seed: u64, start_ms: i64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tracks = sensors
            .iter()
            .map(|sensor| {
                let flapping = rng.random_bool(model.flapping_share.clamp(0.0, 1.0));
                let offset = rng.random_range(0..i64::from(sensor.spec.interval_s) * 1000);
                Track {
                    baseline: baseline(&sensor.spec, flapping, &mut rng),
                    next_ts_ms: start_ms + offset,
                    stuck: None,
                    silent_until_ms: i64::MIN,
                    incident: None,
                }
            })
            .collect();
        Self { sensors, tracks, model, rng, incidents: Vec::new() }
    }

    pub fn sensors(&self) -> &[SimSensor] {
        &self.sensors
    }

    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// Injects an incident of `kind` at `sensor` from `start_ms`; false when the sensor does not
    /// fit the kind or already has one under way.
    pub fn inject(&mut self, kind: IncidentKind, sensor: usize, start_ms: i64) -> bool {
        let Some(target) = self.sensors.get(sensor) else { return false };
        if !kind.fits(&target.spec) || self.tracks[sensor].incident.is_some() {
            return false;
        }
        let (up, hold, down) = kind.phases_ms();
        self.tracks[sensor].incident = Some(self.incidents.len());
        self.tracks[sensor].stuck = None;
        self.tracks[sensor].silent_until_ms = i64::MIN;
        self.incidents.push(Incident { kind, sensor, code: target.code.clone(), start_ms, end_ms: start_ms + up + hold + down, crossed_ms: None });
        true
    }

    /// Injects `count` incidents of random kinds at random fitting sensors, starting within
    /// `[from_ms, to_ms)`; returns how many found a sensor.
    pub fn inject_random(&mut self, count: usize, from_ms: i64, to_ms: i64) -> usize {
        let mut injected = 0;
        for _ in 0..count {
            let kind = IncidentKind::ALL[self.rng.random_range(0..IncidentKind::ALL.len())];
            let candidates: Vec<usize> = (0..self.sensors.len()).filter(|&i| kind.fits(&self.sensors[i].spec) && self.tracks[i].incident.is_none()).collect();
            if candidates.is_empty() || to_ms <= from_ms {
                continue;
            }
            let sensor = candidates[self.rng.random_range(0..candidates.len())];
            let start = self.rng.random_range(from_ms..to_ms);
            injected += usize::from(self.inject(kind, sensor, start));
        }
        injected
    }

    /// The noiseless value of an incident at `ts_ms`, if it is under way.
    fn incident_value(&self, index: usize, baseline: f64, ts_ms: i64) -> Option<f64> {
        let incident = &self.incidents[index];
        if ts_ms < incident.start_ms || ts_ms >= incident.end_ms {
            return None;
        }
        let spec = &self.sensors[incident.sensor].spec;
        let (up, hold, down) = incident.kind.phases_ms();
        let elapsed = ts_ms - incident.start_ms;
        let share = if elapsed < up {
            elapsed as f64 / up as f64
        } else if elapsed < up + hold {
            1.0
        } else {
            1.0 - (elapsed - up - hold) as f64 / down as f64
        };
        Some(baseline + (incident.kind.peak(spec) - baseline) * share)
    }

    /// Appends every reading due up to and including `until_ms`, each sensor's in time order.
    pub fn readings_until(&mut self, until_ms: i64, out: &mut Vec<SimReading>) {
        for sensor in 0..self.sensors.len() {
            let interval_ms = i64::from(self.sensors[sensor].spec.interval_s) * 1000;
            let per_hour = 3_600_000.0 / interval_ms as f64;
            while self.tracks[sensor].next_ts_ms <= until_ms {
                let ts_ms = self.tracks[sensor].next_ts_ms;
                self.tracks[sensor].next_ts_ms += interval_ms;
                let track = self.tracks[sensor].clone();
                let spec = &self.sensors[sensor].spec;
                let span = spec.range_max - spec.range_min;
                let incident_value = match track.incident {
                    Some(index) => {
                        let value = self.incident_value(index, track.baseline, ts_ms);
                        if value.is_none() && ts_ms >= self.incidents[index].end_ms {
                            self.tracks[sensor].incident = None;
                        }
                        value
                    }
                    None => None,
                };
                let noise = standard_normal(&mut self.rng) * span * self.model.noise_share;
                if let Some(value) = incident_value {
                    let index = track.incident.unwrap_or_default();
                    if spec.thresholds.high.is_some_and(|high| value >= high) && self.incidents[index].crossed_ms.is_none() {
                        self.incidents[index].crossed_ms = Some(ts_ms);
                    }
                    out.push(SimReading { sensor, value: quantise(spec, value + noise), ts_ms });
                    continue;
                }
                // Faults, outside incidents.
                if ts_ms < track.silent_until_ms {
                    continue;
                }
                if self.rng.random_bool((self.model.dropout_per_hour / per_hour).clamp(0.0, 1.0)) {
                    self.tracks[sensor].silent_until_ms = ts_ms + i64::from(self.model.dropout_minutes) * 60_000;
                    continue;
                }
                if let Some((until, value)) = track.stuck {
                    if ts_ms < until {
                        out.push(SimReading { sensor, value, ts_ms });
                        continue;
                    }
                    self.tracks[sensor].stuck = None;
                }
                let mut value = quantise(spec, track.baseline + noise);
                if self.rng.random_bool((self.model.stuck_per_hour / per_hour).clamp(0.0, 1.0)) {
                    self.tracks[sensor].stuck = Some((ts_ms + i64::from(self.model.stuck_minutes) * 60_000, value));
                }
                if self.rng.random_bool(self.model.spike_chance.clamp(0.0, 1.0)) {
                    let spike = span * self.model.spike_share * self.rng.random_range(-1.0..1.0);
                    value = quantise(spec, value + spike);
                }
                out.push(SimReading { sensor, value, ts_ms });
            }
        }
    }
}

/// Alarm quality on simulated data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub sensors: usize,
    pub hours: u32,
    pub readings: u64,
    pub incidents: usize,
    pub detected: usize,
    pub recall: f64,
    /// From the noiseless signal crossing the high threshold to the alarm.
    pub mean_delay_s: f64,
    pub max_delay_s: f64,
    /// High, low and rate-of-change announcements by the rule engine: alarms raised, and alarms
    /// standing that turned or returned critical (each is pushed to the people on duty).
    pub process_alarms: u64,
    /// Threshold crossings (into high or into low) of the raw readings: what alarming without
    /// on-delay, off-delay or deadband would raise.
    pub naive_alarms: u64,
    /// 1 − process_alarms / naive_alarms.
    pub reduction: f64,
    pub fault_alarms: u64,
    pub no_data_alarms: u64,
    /// The incidents no alarm told of.
    pub missed: Vec<Incident>,
}

/// Runs `hours` of simulated time through the rule engine and through naive threshold alarming,
/// with `incident_count` true incidents, and scores both.
pub fn score(sensors: Vec<SimSensor>, model: FaultModel, seed: u64, hours: u32, incident_count: usize) -> Score {
    const START_MS: i64 = 1_700_000_000_000;
    let end_ms = START_MS + i64::from(hours) * 3_600_000;
    let mut simulator = Simulator::new(sensors, model, seed, START_MS);
    // Incidents start after the first hour's settling and end before the run does.
    simulator.inject_random(incident_count, START_MS + 3_600_000, (end_ms - 3_600_000).max(START_MS + 3_600_001));
    let count = simulator.sensors().len();
    let mut rules: Vec<RuleState> = (0..count).map(|_| RuleState::watching_since(START_MS)).collect();
    let mut naive_above = vec![false; count];
    let mut naive_below = vec![false; count];
    let mut high_raised_at: Vec<Vec<i64>> = vec![Vec::new(); count];
    let (mut readings, mut process_alarms, mut naive_alarms, mut fault_alarms, mut no_data_alarms) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut batch = Vec::new();
    let mut events = Vec::new();
    let mut count_events = |events: &[AlarmEvent], sensor: usize, high_raised_at: &mut Vec<Vec<i64>>| {
        for event in events {
            match *event {
                AlarmEvent::Raised { kind, ts_ms, .. } => {
                    match kind {
                        AlarmKind::High | AlarmKind::Low | AlarmKind::RateOfChange => process_alarms += 1,
                        AlarmKind::NoData => no_data_alarms += 1,
                        AlarmKind::Stuck | AlarmKind::OutOfRange => fault_alarms += 1,
                    }
                    if kind == AlarmKind::High {
                        high_raised_at[sensor].push(ts_ms);
                    }
                }
                // A high alarm already standing (a sensor run close to its threshold) tells of
                // the incident by turning critical, or by returning to critical after it eased.
                AlarmEvent::Worsened { kind, ts_ms, .. } => {
                    process_alarms += 1;
                    if kind == AlarmKind::High {
                        high_raised_at[sensor].push(ts_ms);
                    }
                }
                _ => {}
            }
        }
    };
    let mut now = START_MS;
    while now < end_ms {
        now = (now + 60_000).min(end_ms);
        batch.clear();
        simulator.readings_until(now, &mut batch);
        for reading in &batch {
            readings += 1;
            let spec = &simulator.sensors()[reading.sensor].spec;
            let above = spec.thresholds.high.is_some_and(|h| reading.value >= h);
            let below = spec.thresholds.low.is_some_and(|l| reading.value <= l);
            naive_alarms += u64::from(above && !naive_above[reading.sensor]) + u64::from(below && !naive_below[reading.sensor]);
            naive_above[reading.sensor] = above;
            naive_below[reading.sensor] = below;
            let state = &mut rules[reading.sensor];
            if state.admit(reading.ts_ms).is_err() {
                continue;
            }
            events.clear();
            state.observe(spec, reading.value, reading.ts_ms, &mut events);
            count_events(&events, reading.sensor, &mut high_raised_at);
        }
        for (sensor, state) in rules.iter_mut().enumerate() {
            events.clear();
            state.check_silence(&simulator.sensors()[sensor].spec, now, &mut events);
            count_events(&events, sensor, &mut high_raised_at);
        }
    }
    let mut delays = Vec::new();
    let mut missed = Vec::new();
    for incident in simulator.incidents() {
        let raised = high_raised_at[incident.sensor].iter().find(|&&ts| ts >= incident.start_ms && ts <= incident.end_ms);
        match raised {
            Some(&raised) => delays.push((raised - incident.crossed_ms.unwrap_or(incident.start_ms)).max(0) as f64 / 1000.0),
            None => missed.push(incident.clone()),
        }
    }
    let incidents = simulator.incidents().len();
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Score {
        sensors: count,
        hours,
        readings,
        incidents,
        detected: delays.len(),
        recall: ratio(delays.len() as f64, incidents as f64),
        mean_delay_s: ratio(delays.iter().sum(), delays.len() as f64),
        max_delay_s: delays.iter().copied().fold(0.0, f64::max),
        process_alarms,
        naive_alarms,
        reduction: if naive_alarms > 0 { 1.0 - process_alarms as f64 / naive_alarms as f64 } else { 0.0 },
        fault_alarms,
        no_data_alarms,
        missed,
    }
}

/// The demo's sensor templates, `per_kind` of each, for scoring without a database.
pub fn template_sensors(count: usize) -> Vec<SimSensor> {
    use domain::monitoring::{RuleSettings, Thresholds};
    type Template = (SensorKind, f64, f64, [Option<f64>; 4], u32);
    const TEMPLATES: [Template; 6] = [
        (SensorKind::Level, 0.0, 100.0, [Some(5.0), Some(10.0), Some(85.0), Some(95.0)], 10),
        (SensorKind::Temperature, -40.0, 80.0, [None, None, Some(40.0), Some(50.0)], 10),
        (SensorKind::Pressure, 0.0, 2.5, [None, Some(0.1), Some(1.6), Some(2.0)], 5),
        (SensorKind::Flow, 0.0, 50.0, [None, None, Some(40.0), Some(45.0)], 5),
        (SensorKind::CombustibleGas, 0.0, 100.0, [None, None, Some(25.0), Some(50.0)], 5),
        (SensorKind::ToxicGas, 0.0, 200.0, [None, None, Some(28.0), Some(56.0)], 5),
    ];
    (0..count)
        .filter_map(|i| {
            let (kind, min, max, [low_low, low, high, high_high], interval_s) = TEMPLATES[i % TEMPLATES.len()];
            let rules = RuleSettings::for_range(kind, interval_s, min, max);
            let spec = SensorSpec::new(kind, kind.default_unit(), min, max, Thresholds { low_low, low, high, high_high }, interval_s, rules).ok()?;
            Some(SimSensor { code: format!("SIM{i:06}"), enterprise_id: (i / TEMPLATES.len()) as i64 + 1, spec })
        })
        .collect()
}

/// How often the live feed sends what has fallen due, and how often it starts a new incident.
const LIVE_STEP_MS: u64 = 2_000;
const LIVE_INCIDENT_EVERY_MS: i64 = 10 * 60_000;

/// Streams the simulator live into the monitor for every stored sensor, as the demo province
/// does: first an hour of history (with incidents, one of them under way now at the first
/// enterprise's pressure sensor), then readings as they fall due, with a new incident
/// somewhere every ten minutes. Runs until the process ends; ingest failures are logged.
pub async fn run_live(app: App, seed: u64) -> app::Result<()> {
    // Only the demo's own sensors: readings simulated into a sensor someone registered would
    // make it refuse its gateway's real readings as out of order.
    let rows = app.store.simulated_sensors().await?;
    let sensors: Vec<SimSensor> =
        rows.iter().filter_map(|row| Some(SimSensor { code: row.code.clone(), enterprise_id: row.enterprise_id, spec: monitor::spec_of(row).ok()? })).collect();
    let Some(first_enterprise) = sensors.first().map(|s| s.enterprise_id) else { return Ok(()) };
    let now = store::now_ms();
    let mut simulator = Simulator::new(sensors, FaultModel::default(), seed, now - 3_600_000);
    let at = |simulator: &Simulator, kind: SensorKind, enterprise: Option<i64>| {
        simulator.sensors().iter().position(|s| s.spec.kind == kind && enterprise.is_none_or(|e| s.enterprise_id == e))
    };
    // Under way now at the showcase enterprise; over and awaiting acknowledgement elsewhere.
    if let Some(sensor) = at(&simulator, SensorKind::Pressure, Some(first_enterprise)) {
        simulator.inject(IncidentKind::PressureExcursion, sensor, now - 4 * 60_000);
    }
    if let Some(sensor) = at(&simulator, SensorKind::CombustibleGas, Some(first_enterprise)) {
        simulator.inject(IncidentKind::SlowGasLeak, sensor, now - 40 * 60_000);
    }
    let others: Vec<usize> = (0..simulator.sensors().len())
        .filter(|&i| simulator.sensors()[i].enterprise_id != first_enterprise && simulator.sensors()[i].spec.kind == SensorKind::Level)
        .collect();
    if let Some(&sensor) = others.first() {
        simulator.inject(IncidentKind::TankOverfill, sensor, now - 55 * 60_000);
    }
    simulator.inject_random(3, now - 3_000_000, now - 600_000);
    let mut next_incident_ms = now + LIVE_INCIDENT_EVERY_MS;
    let mut readings = Vec::new();
    loop {
        let now = store::now_ms();
        if now >= next_incident_ms {
            simulator.inject_random(1, now, now + LIVE_INCIDENT_EVERY_MS);
            next_incident_ms = now + LIVE_INCIDENT_EVERY_MS;
        }
        readings.clear();
        simulator.readings_until(now, &mut readings);
        let mut by_enterprise: std::collections::BTreeMap<i64, Vec<std::result::Result<domain::monitoring::RawReading<'_>, domain::monitoring::RejectReason>>> =
            Default::default();
        for reading in &readings {
            let sensor = &simulator.sensors()[reading.sensor];
            by_enterprise.entry(sensor.enterprise_id).or_default().push(Ok(domain::monitoring::RawReading {
                code: &sensor.code,
                value: reading.value,
                ts_ms: reading.ts_ms,
            }));
        }
        for (enterprise_id, batch) in by_enterprise {
            for part in batch.chunks(app::monitoring::BATCH_READINGS_MAX) {
                if let Err(error) = app.ingest(enterprise_id, part, now).await {
                    tracing::warn!(%error, enterprise_id, "simulated readings were not taken in");
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(LIVE_STEP_MS)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_readings_in_time_order_within_the_range() {
        let run = || {
            let mut simulator = Simulator::new(template_sensors(12), FaultModel::default(), 7, 0);
            let mut out = Vec::new();
            simulator.readings_until(600_000, &mut out);
            out
        };
        let (first, second) = (run(), run());
        assert_eq!(first, second);
        assert!(first.len() > 12 * 50, "{} readings", first.len());
        for sensor in 0..12 {
            let times: Vec<i64> = first.iter().filter(|r| r.sensor == sensor).map(|r| r.ts_ms).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]), "sensor {sensor} in time order");
        }
        let specs = template_sensors(12);
        assert!(first.iter().all(|r| r.value >= specs[r.sensor].spec.range_min && r.value <= specs[r.sensor].spec.range_max));
    }

    #[test]
    fn incidents_cross_their_threshold_and_are_recorded() {
        let sensors = template_sensors(6);
        let mut simulator = Simulator::new(
            sensors,
            FaultModel { spike_chance: 0.0, dropout_per_hour: 0.0, stuck_per_hour: 0.0, flapping_share: 0.0, ..Default::default() },
            1,
            0,
        );
        assert!(!simulator.inject(IncidentKind::TankOverfill, 1, 0), "a temperature sensor cannot overfill");
        assert!(simulator.inject(IncidentKind::PressureExcursion, 2, 60_000));
        assert!(!simulator.inject(IncidentKind::PressureExcursion, 2, 60_000), "one at a time");
        let mut out = Vec::new();
        simulator.readings_until(20 * 60_000, &mut out);
        let incident = &simulator.incidents()[0];
        let crossed = incident.crossed_ms.expect("the excursion reaches the high threshold");
        assert!(crossed > incident.start_ms && crossed < incident.start_ms + 120_000);
        let peak = out.iter().filter(|r| r.sensor == 2).map(|r| r.value).fold(f64::MIN, f64::max);
        assert!(peak > 2.0, "above high-high: {peak}");
    }

    #[test]
    fn scoring_finds_every_incident_with_far_fewer_alarms_than_naive_thresholds() {
        let score = score(template_sensors(60), FaultModel::default(), 42, 6, 12);
        assert_eq!(score.incidents, 12);
        assert_eq!(score.recall, 1.0, "{score:?}");
        assert!(score.naive_alarms > score.process_alarms, "{score:?}");
        assert!(score.readings > 60 * 6 * 360, "{score:?}");
    }
}
