//! The per-sensor alarm rule engine (`RuleState`: high/low with on-delay, off-delay and deadband,
//! rate of change, stuck value, no data, out of range) in 48 bytes of state.

use serde::Serialize;

use super::*;

/// What an alarm is about. High and Low cover both levels (high / high-high); the level is the
/// alarm's [`Severity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    High,
    Low,
    RateOfChange,
    NoData,
    Stuck,
    OutOfRange,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 6] = [Self::High, Self::Low, Self::RateOfChange, Self::NoData, Self::Stuck, Self::OutOfRange];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Low => "low",
            Self::RateOfChange => "rate_of_change",
            Self::NoData => "no_data",
            Self::Stuck => "stuck",
            Self::OutOfRange => "out_of_range",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::High => "高报",
            Self::Low => "低报",
            Self::RateOfChange => "变化率",
            Self::NoData => "数据中断",
            Self::Stuck => "数值不变",
            Self::OutOfRange => "超量程",
        }
    }

    /// A fault of the sensor or its data rather than of the process.
    pub fn is_fault(self) -> bool {
        matches!(self, Self::NoData | Self::Stuck | Self::OutOfRange)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Low/High = Warning, LowLow/HighHigh = Critical; rate of change, faults and no data = Warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 2] = [Self::Warning, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|severity| severity.as_str() == text)
    }
}

/// A transition of one sensor's alarm of one kind. Per kind the events of a sensor always run
/// `Raised (Worsened)* Cleared`, and `ts_ms` is the time of the reading (or of the silence check)
/// that caused the transition; of the events one reading causes, the Cleared ones come first. `value` is that reading's value; it is NaN when there is none: for
/// NoData, and for OutOfRange raised through [`RuleState::observe_out_of_range`], which is not
/// given the value (use [`RuleState::observe_out_of_range_value`] to carry it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum AlarmEvent {
    Raised {
        kind: AlarmKind,
        severity: Severity,
        value: f64,
        ts_ms: i64,
    },
    /// The severity rose while active (the high-high or low-low level held for the on-delay).
    Worsened {
        kind: AlarmKind,
        severity: Severity,
        value: f64,
        ts_ms: i64,
    },
    Cleared {
        kind: AlarmKind,
        ts_ms: i64,
    },
}

impl AlarmEvent {
    pub fn kind(&self) -> AlarmKind {
        match *self {
            Self::Raised { kind, .. } | Self::Worsened { kind, .. } | Self::Cleared { kind, .. } => kind,
        }
    }

    pub fn ts_ms(&self) -> i64 {
        match *self {
            Self::Raised { ts_ms, .. } | Self::Worsened { ts_ms, .. } | Self::Cleared { ts_ms, .. } => ts_ms,
        }
    }
}

/// The stopwatches of the rule engine. Each measures, on reading timestamps, how long a condition
/// has held; which condition depends on the alarm's state (see `RuleState`).
#[derive(Clone, Copy)]
enum Timer {
    /// High not active: how long the value has been at or above the entry level; active: how long
    /// it has been below the deadband.
    High,
    /// The mirror image for Low.
    Low,
    /// How long the value has been at the critical level (high-high or low-low, the side in
    /// `CRITICAL_LOW`), both before a High/Low alarm is raised and while it is active.
    Critical,
    /// Rate alarm active: how long the rate has been within its limit.
    Rate,
    /// How long the value has been exactly the same.
    Stuck,
    /// Not active: how long readings have been out of range; active: how long they have been valid.
    OutOfRange,
}

const TIMERS: usize = 6;

/// `RuleState::flags`: a reading (valid or out of range) has been taken in; `last_ts_ms` is its time.
const HEARD: u8 = 1;
/// No reading yet, but silence is being measured from `last_ts_ms`.
const WATCHING: u8 = 1 << 1;
/// `last_value` holds the latest valid value.
const HAS_VALUE: u8 = 1 << 2;
/// The latest reading taken in was valid, so the next one can be compared with it for the rate.
const RATE_BASE: u8 = 1 << 3;
/// The critical-level timer runs for the low side (else for the high side).
const CRITICAL_LOW: u8 = 1 << 4;
/// A critical High (Low) alarm whose value has since fallen back below its critical level by
/// the deadband: the critical level held again announces it again.
const EASED_HIGH: u8 = 1 << 5;
const EASED_LOW: u8 = 1 << 6;

/// Per-sensor rule state: 48 bytes (the platform keeps one per sensor for 440,000 sensors).
///
/// Semantics, per kind of alarm (one live alarm per kind; a kind raises again only after it
/// cleared):
/// - High: condition `value >= high` (Warning) or `>= high_high` (Critical); with only
///   `high_high` configured the alarm is Critical from the start. The condition must hold on every
///   reading for `on_delay_ms` (reading timestamps) before it is raised; it is raised Critical when
///   the critical level has also held that long. While active, the critical level held for the
///   on-delay emits Worsened; the severity never drops. A critical alarm whose value has since
///   fallen below the critical level by more than the deadband is announced again (Worsened,
///   Critical) when the critical level holds for the on-delay once more, so that an alarm
///   standing since an earlier excursion still tells of a new one. It clears after every reading for
///   `off_delay_ms` was below `entry - deadband` (entry = `high`, else `high_high`); a reading back
///   within the deadband restarts that wait, which is what keeps a signal dithering around its
///   set-point from chattering. Low is the mirror image.
/// - RateOfChange: |Δvalue| / Δminutes between consecutive valid readings above `rate_per_min`
///   raises at once; it clears after the rate stayed within the limit for `off_delay_ms`. An
///   out-of-range reading in between breaks the pair: the next valid reading is not compared.
/// - Stuck: a valid value exactly equal to the first one of its run for `stuck_after_ms` raises; the
///   next different valid value clears it.
/// - OutOfRange: out-of-range readings for `on_delay_ms` raise it; valid readings for
///   `off_delay_ms` clear it (an out-of-range reading restarts that wait). Out-of-range readings
///   count for nothing else: they neither hold nor break a High/Low/Stuck condition.
/// - NoData: see [`RuleState::check_silence`]; any reading, valid or out of range, clears it at
///   the reading's time (the sensor is talking again; a bad value is the OutOfRange fault's business).
/// - A rule switched off in the spec (no threshold, no rate limit, no stuck time) clears its live
///   alarm on the next valid reading.
///
/// The stopwatches are held as ages (ms, saturating at u32::MAX, which is the longest delay)
/// relative to `last_ts_ms`, to keep the state small.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleState {
    last_ts_ms: i64,
    last_value: f64,
    ages_ms: [u32; TIMERS],
    running: u8,
    active: u8,
    critical: u8,
    flags: u8,
}

/// The two sides of the level alarms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    High,
    Low,
}

impl Side {
    fn kind(self) -> AlarmKind {
        match self {
            Self::High => AlarmKind::High,
            Self::Low => AlarmKind::Low,
        }
    }

    fn timer(self) -> Timer {
        match self {
            Self::High => Timer::High,
            Self::Low => Timer::Low,
        }
    }

    /// The level that raises the alarm, and the critical level.
    fn levels(self, thresholds: &Thresholds) -> (Option<f64>, Option<f64>) {
        match self {
            Self::High => (thresholds.high.or(thresholds.high_high), thresholds.high_high),
            Self::Low => (thresholds.low.or(thresholds.low_low), thresholds.low_low),
        }
    }

    fn reaches(self, value: f64, level: f64) -> bool {
        match self {
            Self::High => value >= level,
            Self::Low => value <= level,
        }
    }

    fn eased_flag(self) -> u8 {
        match self {
            Self::High => EASED_HIGH,
            Self::Low => EASED_LOW,
        }
    }

    fn beyond_deadband(self, value: f64, entry: f64, deadband: f64) -> bool {
        match self {
            Self::High => value < entry - deadband,
            Self::Low => value > entry + deadband,
        }
    }
}

impl RuleState {
    /// The state of a sensor that has not reported yet, with silence counted from `since_ms`
    /// (for example when it was registered), as if `check_silence` had first been called then.
    pub fn watching_since(since_ms: i64) -> Self {
        Self { last_ts_ms: since_ms, flags: WATCHING, ..Self::default() }
    }

    /// The state of a sensor whose latest stored reading was `value` at `ts_ms`, as after a
    /// restart: ordering and silence continue from that reading; no alarm condition is assumed
    /// (the alarms themselves are stored, and a condition that still holds is found again by the
    /// next readings). `active` are the alarms still live with their condition present: they stay
    /// active, so that they clear when their condition is seen to be gone. The next reading is not
    /// compared with this one for the rate.
    pub fn resumed(ts_ms: i64, value: f64, active: &[(AlarmKind, Severity)]) -> Self {
        let has_value = if value.is_finite() { HAS_VALUE } else { 0 };
        let mut state = Self { last_ts_ms: ts_ms, last_value: if value.is_finite() { value } else { 0.0 }, flags: HEARD | has_value, ..Self::default() };
        for (kind, severity) in active {
            state.active |= kind.bit();
            if *severity == Severity::Critical {
                state.critical |= kind.bit();
            }
        }
        state
    }

    /// Order check: Err(Duplicate) if ts_ms equals the last admitted reading's ts, Err(OutOfOrder)
    /// if older. Does not change state on error. Out-of-range readings taken in by
    /// `observe_out_of_range` count as readings here too: a sensor's readings form one stream.
    pub fn admit(&self, ts_ms: i64) -> Result<(), RejectReason> {
        if self.flags & HEARD == 0 {
            return Ok(());
        }
        match ts_ms.cmp(&self.last_ts_ms) {
            std::cmp::Ordering::Equal => Err(RejectReason::Duplicate),
            std::cmp::Ordering::Less => Err(RejectReason::OutOfOrder),
            std::cmp::Ordering::Greater => Ok(()),
        }
    }

    /// Feeds one valid, admitted reading; pushes alarm transitions to `out`. Clears an active
    /// NoData alarm (Cleared at ts) and, after the off-delay, an OutOfRange fault. A reading that
    /// `admit` refuses is ignored; a value that `check_reading` would refuse as NotFinite or
    /// OutOfRange is handed to [`RuleState::observe_out_of_range_value`], so a bad value is never
    /// taken for a process value.
    pub fn observe(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.admit(ts_ms).is_err() {
            return;
        }
        if !value.is_finite() || !spec.in_range(value) {
            self.observe_out_of_range_value(spec, value, ts_ms, out);
            return;
        }
        let first_event = out.len();
        let previous_value = self.last_value();
        let rate_base = (self.flags & RATE_BASE != 0).then_some(self.last_ts_ms).zip(previous_value);
        self.take_in(ts_ms);
        self.clear_no_data(ts_ms, out);

        if self.is_active(AlarmKind::OutOfRange) {
            if self.start(Timer::OutOfRange) >= spec.rules.off_delay_ms {
                self.stop(Timer::OutOfRange);
                self.clear(AlarmKind::OutOfRange, ts_ms, out);
            }
        } else {
            self.stop(Timer::OutOfRange);
        }

        self.track_critical_level(&spec.thresholds, value);
        for side in [Side::High, Side::Low] {
            self.observe_side(side, spec, value, ts_ms, out);
        }
        self.observe_rate(spec, value, ts_ms, rate_base, out);
        self.observe_stuck(spec, value, ts_ms, previous_value, out);
        // Within one reading, what ended is told before what began (a stable sort of a few events).
        out[first_event..].sort_by_key(|event| !matches!(event, AlarmEvent::Cleared { .. }));

        self.last_value = value;
        self.flags |= HAS_VALUE | RATE_BASE;
    }

    /// A reading outside the physical range (rejected for storage) still counts as evidence of a
    /// sensor fault: raise OutOfRange after the on-delay. The event's value is NaN, since the
    /// value is not given; see [`RuleState::observe_out_of_range_value`].
    pub fn observe_out_of_range(&mut self, spec: &SensorSpec, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        self.observe_out_of_range_value(spec, f64::NAN, ts_ms, out);
    }

    /// As [`RuleState::observe_out_of_range`], with the rejected value carried into the Raised
    /// event. A reading that `admit` refuses is ignored.
    pub fn observe_out_of_range_value(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.admit(ts_ms).is_err() {
            return;
        }
        self.take_in(ts_ms);
        self.flags &= !RATE_BASE;
        self.clear_no_data(ts_ms, out);
        if self.is_active(AlarmKind::OutOfRange) {
            self.stop(Timer::OutOfRange);
        } else if self.start(Timer::OutOfRange) >= spec.rules.on_delay_ms {
            self.stop(Timer::OutOfRange);
            self.raise(AlarmKind::OutOfRange, Severity::Warning, value, ts_ms, out);
        }
    }

    /// Whether `check_silence` at `now_ms` would raise the no-data alarm (the only change it makes
    /// besides starting to watch a sensor never heard from).
    pub fn silence_due(&self, spec: &SensorSpec, now_ms: i64) -> bool {
        let limit_ms = i64::from(spec.rules.offline_after_intervals).saturating_mul(i64::from(spec.interval_s)).saturating_mul(1000);
        self.flags & (HEARD | WATCHING) != 0 && !self.is_active(AlarmKind::NoData) && now_ms.saturating_sub(self.last_ts_ms) > limit_ms
    }

    /// Called periodically: raises NoData (at `now_ms`, once) when
    /// `now_ms - last reading ts > offline_after_intervals * interval_s * 1000`. For a sensor that
    /// never reported, the first call only starts the count: silence is measured from the `now_ms`
    /// of that first call (or from the `since_ms` of [`RuleState::watching_since`]).
    pub fn check_silence(&mut self, spec: &SensorSpec, now_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.flags & (HEARD | WATCHING) == 0 {
            self.flags |= WATCHING;
            self.last_ts_ms = now_ms;
            return;
        }
        if self.is_active(AlarmKind::NoData) {
            return;
        }
        let limit_ms = i64::from(spec.rules.offline_after_intervals).saturating_mul(i64::from(spec.interval_s)).saturating_mul(1000);
        if now_ms.saturating_sub(self.last_ts_ms) > limit_ms {
            self.raise(AlarmKind::NoData, Severity::Warning, f64::NAN, now_ms, out);
        }
    }

    /// The time of the latest reading taken in, valid or out of range.
    pub fn last_ts_ms(&self) -> Option<i64> {
        (self.flags & HEARD != 0).then_some(self.last_ts_ms)
    }

    /// The latest valid value.
    pub fn last_value(&self) -> Option<f64> {
        (self.flags & HAS_VALUE != 0).then_some(self.last_value)
    }

    pub fn active(&self, kind: AlarmKind) -> Option<Severity> {
        self.is_active(kind).then(|| if self.critical & kind.bit() != 0 { Severity::Critical } else { Severity::Warning })
    }

    fn is_active(&self, kind: AlarmKind) -> bool {
        self.active & kind.bit() != 0
    }

    fn raise(&mut self, kind: AlarmKind, severity: Severity, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        self.active |= kind.bit();
        if severity == Severity::Critical {
            self.critical |= kind.bit();
        }
        out.push(AlarmEvent::Raised { kind, severity, value, ts_ms });
    }

    fn clear(&mut self, kind: AlarmKind, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        self.active &= !kind.bit();
        self.critical &= !kind.bit();
        match kind {
            AlarmKind::High => self.flags &= !EASED_HIGH,
            AlarmKind::Low => self.flags &= !EASED_LOW,
            _ => {}
        }
        out.push(AlarmEvent::Cleared { kind, ts_ms });
    }

    fn clear_no_data(&mut self, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.is_active(AlarmKind::NoData) {
            self.clear(AlarmKind::NoData, ts_ms, out);
        }
    }

    /// Moves the state to a new reading's time: every running stopwatch ages by the gap.
    fn take_in(&mut self, ts_ms: i64) {
        let gap_ms = u32::try_from(ts_ms.saturating_sub(self.last_ts_ms).max(0)).unwrap_or(u32::MAX);
        for (index, age) in self.ages_ms.iter_mut().enumerate() {
            if self.running & (1 << index) != 0 {
                *age = age.saturating_add(gap_ms);
            }
        }
        self.last_ts_ms = ts_ms;
        self.flags = (self.flags | HEARD) & !WATCHING;
    }

    /// Starts a stopwatch at the current reading unless it runs already; returns its age.
    fn start(&mut self, timer: Timer) -> u32 {
        let bit = 1 << timer as u8;
        if self.running & bit == 0 {
            self.running |= bit;
            self.ages_ms[timer as usize] = 0;
        }
        self.ages_ms[timer as usize]
    }

    fn restart(&mut self, timer: Timer) {
        self.stop(timer);
        self.start(timer);
    }

    fn stop(&mut self, timer: Timer) {
        self.running &= !(1 << timer as u8);
        self.ages_ms[timer as usize] = 0;
    }

    fn age(&self, timer: Timer) -> Option<u32> {
        (self.running & (1 << timer as u8) != 0).then_some(self.ages_ms[timer as usize])
    }

    /// Keeps the critical-level stopwatch running while the value stays at one side's critical
    /// level; a reading off it, or at the other side's, restarts or stops it.
    fn track_critical_level(&mut self, thresholds: &Thresholds, value: f64) {
        let side = [Side::High, Side::Low].into_iter().find(|side| side.levels(thresholds).1.is_some_and(|level| side.reaches(value, level)));
        match side {
            None => self.stop(Timer::Critical),
            Some(side) => {
                if self.age(Timer::Critical).is_none() || self.critical_side() != side {
                    self.restart(Timer::Critical);
                    self.flags = if side == Side::Low { self.flags | CRITICAL_LOW } else { self.flags & !CRITICAL_LOW };
                }
            }
        }
    }

    fn critical_side(&self) -> Side {
        if self.flags & CRITICAL_LOW != 0 { Side::Low } else { Side::High }
    }

    fn critical_held(&self, side: Side, delay_ms: u32) -> bool {
        self.critical_side() == side && self.age(Timer::Critical).is_some_and(|age| age >= delay_ms)
    }

    fn observe_side(&mut self, side: Side, spec: &SensorSpec, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        let (kind, timer) = (side.kind(), side.timer());
        let rules = &spec.rules;
        let Some(entry) = side.levels(&spec.thresholds).0 else {
            self.stop(timer);
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            return;
        };
        match self.active(kind) {
            None if side.reaches(value, entry) => {
                if self.start(timer) >= rules.on_delay_ms {
                    self.stop(timer);
                    let severity = if self.critical_held(side, rules.on_delay_ms) { Severity::Critical } else { Severity::Warning };
                    self.raise(kind, severity, value, ts_ms, out);
                }
            }
            None => self.stop(timer),
            Some(severity) => {
                // A deadband that is not a finite non-negative number (a spec built by hand) is 0.
                let deadband = if rules.deadband.is_finite() { rules.deadband.max(0.0) } else { 0.0 };
                let eased = side.eased_flag();
                if severity == Severity::Warning && self.critical_held(side, rules.on_delay_ms) {
                    self.critical |= kind.bit();
                    out.push(AlarmEvent::Worsened { kind, severity: Severity::Critical, value, ts_ms });
                } else if severity == Severity::Critical {
                    if self.flags & eased == 0 {
                        if side.levels(&spec.thresholds).1.is_some_and(|critical| side.beyond_deadband(value, critical, deadband)) {
                            self.flags |= eased;
                        }
                    } else if self.critical_held(side, rules.on_delay_ms) {
                        self.flags &= !eased;
                        out.push(AlarmEvent::Worsened { kind, severity: Severity::Critical, value, ts_ms });
                    }
                }
                if !side.beyond_deadband(value, entry, deadband) {
                    self.stop(timer);
                } else if self.start(timer) >= rules.off_delay_ms {
                    self.stop(timer);
                    self.clear(kind, ts_ms, out);
                }
            }
        }
    }

    fn observe_rate(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, base: Option<(i64, f64)>, out: &mut Vec<AlarmEvent>) {
        let kind = AlarmKind::RateOfChange;
        let Some(limit) = spec.rules.rate_per_min.filter(|limit| *limit > 0.0) else {
            self.stop(Timer::Rate);
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            return;
        };
        // Without a previous valid reading there is no rate: the rule keeps its state.
        let Some((base_ts_ms, base_value)) = base else { return };
        let minutes = ts_ms.abs_diff(base_ts_ms) as f64 / 60_000.0;
        let rate_per_min = (value - base_value).abs() / minutes;
        if rate_per_min > limit {
            self.stop(Timer::Rate);
            if !self.is_active(kind) {
                self.raise(kind, Severity::Warning, value, ts_ms, out);
            }
        } else if self.is_active(kind) && self.start(Timer::Rate) >= spec.rules.off_delay_ms {
            self.stop(Timer::Rate);
            self.clear(kind, ts_ms, out);
        }
    }

    fn observe_stuck(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, previous_value: Option<f64>, out: &mut Vec<AlarmEvent>) {
        let kind = AlarmKind::Stuck;
        let Some(after_ms) = spec.rules.stuck_after_ms else {
            self.stop(Timer::Stuck);
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            return;
        };
        if previous_value != Some(value) {
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            self.restart(Timer::Stuck);
        } else if self.start(Timer::Stuck) >= after_ms && !self.is_active(kind) {
            self.raise(kind, Severity::Warning, value, ts_ms, out);
        }
    }
}
