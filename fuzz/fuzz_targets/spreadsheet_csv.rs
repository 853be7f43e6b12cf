//! Fuzzes the CSV import reader: any bytes give rows or an error naming the problem, never a
//! panic, within the import's row limit.

#![no_main]

#[path = "../../crates/app/src/spreadsheet.rs"]
#[allow(dead_code)]
mod spreadsheet;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = spreadsheet::read_enterprise_rows(spreadsheet::SpreadsheetFormat::Csv, data) {
        assert!(parsed.rows.len() + parsed.rejected.len() <= spreadsheet::IMPORT_ROWS_MAX);
    }
});
