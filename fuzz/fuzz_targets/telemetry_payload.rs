//! Fuzzes the telemetry payloads as HTTP and MQTT deliver them (text lines, JSON arrays, and the
//! MQTT path that tells them apart): any bytes give a batch of at most `max` entries or an error,
//! never a panic, and every accepted reading is finite with a valid code.

#![no_main]

use domain::monitoring::{parse_json, parse_lines, parse_payload};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 1_000;

fuzz_target!(|data: &[u8]| {
    for batch in [parse_payload(data, MAX), parse_json(data, MAX)].into_iter().chain(std::str::from_utf8(data).ok().map(|text| parse_lines(text, MAX))) {
        if let Ok(entries) = batch {
            assert!(entries.len() <= MAX);
            for reading in entries.into_iter().flatten() {
                assert!(reading.value.is_finite());
                assert!(!reading.code.is_empty() && reading.code.len() <= 64);
            }
        }
    }
});
