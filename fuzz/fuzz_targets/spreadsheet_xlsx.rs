//! Fuzzes the XLSX import reader with workbooks: any bytes give rows or an error naming the
//! problem, never a panic or an unbounded allocation (libFuzzer's `-rss_limit_mb` catches those).

#![no_main]

#[path = "../../crates/app/src/spreadsheet.rs"]
#[allow(dead_code)]
mod spreadsheet;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = spreadsheet::read_enterprise_rows(spreadsheet::SpreadsheetFormat::Xlsx, data) {
        assert!(parsed.rows.len() <= spreadsheet::IMPORT_ROWS_MAX);
    }
});
