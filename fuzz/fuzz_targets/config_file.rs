//! Fuzzes the configuration file: any text gives a validated configuration or an error naming
//! the problem, never a panic. `config.rs` is compiled in from the binary crate, with the crates
//! whose settings it holds (`app`, `web`, `mqtt`).

#![no_main]

#[path = "../../crates/anwei/src/config.rs"]
#[allow(dead_code)]
mod config;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(config) = config::Config::parse(text)
    {
        // A configuration that passed validation gives the settings the server starts from.
        let _ = config.monitoring.settings();
        let _ = config.redacted_database_url();
    }
});
