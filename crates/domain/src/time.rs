//! The one clock: China Standard Time (UTC+8 all year, no daylight saving), in which dates are
//! entered, deadlines fall due and times are shown; "now", "today" and "this year" by it; and the
//! bounds of a day. Every layer asks here, so that a test can set the clock (`set_now_for_thread`)
//! and every reading of it moves together.

use std::cell::Cell;

use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::{Timestamp, ToSpan};

/// China Standard Time's offset from UTC, in hours.
pub const CHINA_OFFSET_HOURS: i8 = 8;

/// China Standard Time.
pub fn china() -> Offset {
    jiff::tz::offset(CHINA_OFFSET_HOURS)
}

thread_local! {
    /// A time this thread's clock is set to (epoch ms), for tests; `None` reads the system clock.
    static SET_NOW_MS: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Sets this thread's clock to `epoch_ms` (or back to the system clock with `None`). Only the
/// calling thread sees it, so tests running side by side do not disturb each other.
pub fn set_now_for_thread(epoch_ms: Option<i64>) {
    SET_NOW_MS.with(|cell| cell.set(epoch_ms));
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    SET_NOW_MS.with(Cell::get).unwrap_or_else(|| Timestamp::now().as_millisecond())
}

/// Now, as a timestamp.
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(now_ms()).unwrap_or_else(|_| Timestamp::now())
}

/// Today's date in China.
pub fn today() -> Date {
    date_of_ms(now_ms())
}

/// This year in China.
pub fn this_year() -> i16 {
    today().year()
}

/// The date in China of an epoch-millisecond time (the epoch's date for a time out of range).
pub fn date_of_ms(epoch_ms: i64) -> Date {
    let timestamp = Timestamp::from_millisecond(epoch_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    china().to_datetime(timestamp).date()
}

/// The epoch milliseconds at which `date` starts in China.
pub fn day_start_ms(date: Date) -> i64 {
    china().to_timestamp(date.to_datetime(Time::midnight())).map(|t| t.as_millisecond()).unwrap_or(i64::MIN)
}

/// The epoch milliseconds of `date`'s first moment and of the next day's (a half-open range).
pub fn day_bounds_ms(date: Date) -> (i64, i64) {
    let next = date.checked_add(1.day()).unwrap_or(date);
    (day_start_ms(date), day_start_ms(next))
}

/// An epoch-millisecond time as `YYYY-MM-DD HH:MM:SS` in China (empty when out of range).
pub fn local_text(epoch_ms: i64) -> String {
    Timestamp::from_millisecond(epoch_ms).map(|t| china().to_datetime(t).strftime("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_midnight_in_china_not_in_utc() {
        // 2026-12-31 16:00 UTC is 2027-01-01 00:00 in China.
        let new_year = 1_798_732_800_000;
        set_now_for_thread(Some(new_year - 1));
        assert_eq!((today().to_string(), this_year()), ("2026-12-31".into(), 2026));
        set_now_for_thread(Some(new_year));
        assert_eq!((today().to_string(), this_year()), ("2027-01-01".into(), 2027));
        assert_eq!(local_text(now_ms()), "2027-01-01 00:00:00");
        assert_eq!(day_bounds_ms(today()), (new_year, new_year + 86_400_000));
        set_now_for_thread(None);
        assert!(this_year() >= 2026, "back on the system clock");
    }

    #[test]
    fn a_set_clock_is_seen_by_its_thread_only() {
        set_now_for_thread(Some(0));
        let other = std::thread::spawn(now_ms).join().unwrap_or_default();
        assert_eq!(now_ms(), 0);
        assert!(other > 1_700_000_000_000, "another thread reads the system clock: {other}");
        set_now_for_thread(None);
    }
}
