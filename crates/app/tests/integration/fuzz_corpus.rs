//! Replays the fuzzers' committed corpora (`fuzz/corpus/`) through the readers they fuzz, on the
//! stable toolchain: every input a fuzzer kept, because it reached new code, is read or refused
//! without a panic, within the readers' bounds. The fuzzers themselves run on nightly (fuzz/).

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 2, "the {target} corpus is there");
    files
}

#[test]
fn spreadsheet_corpora_are_read_or_refused() {
    use app::spreadsheet::{IMPORT_ROWS_MAX, SpreadsheetFormat, read_enterprise_rows};
    for (format, target) in [(SpreadsheetFormat::Csv, "spreadsheet_csv"), (SpreadsheetFormat::Xlsx, "spreadsheet_xlsx")] {
        let mut read = 0;
        for (name, bytes) in corpus(target) {
            if let Ok(parsed) = read_enterprise_rows(format, &bytes) {
                assert!(parsed.rows.len() <= IMPORT_ROWS_MAX, "{name}");
                read += 1;
            }
        }
        assert!(read > 0, "some of the {target} corpus is readable (its seeds are)");
    }
}

#[test]
fn document_corpus_is_read_or_refused() {
    for (_, bytes) in corpus("docx_text") {
        let _ = app::documents::document_text("plan.docx", &bytes);
        let _ = app::documents::document_text("plan.txt", &bytes);
    }
}

#[test]
fn telemetry_corpus_is_read_or_refused() {
    for (name, bytes) in corpus("telemetry_payload") {
        if let Ok(entries) = domain::monitoring::parse_payload(&bytes, 1_000) {
            assert!(entries.len() <= 1_000, "{name}");
            assert!(entries.iter().flatten().all(|reading| reading.value.is_finite()), "{name}");
        }
    }
}

#[test]
fn reporter_file_corpus_is_stripped_or_refused() {
    let mut kinds = std::collections::BTreeSet::new();
    for (name, bytes) in corpus("tip_file") {
        if let Ok((content_type, out)) = app::reporter_files::stripped_file(&bytes) {
            if content_type.starts_with("image/") {
                assert!(app::reporter_files::holds_no_metadata(&out), "{name}: metadata left");
            }
            kinds.insert(content_type);
        }
    }
    assert!(kinds.len() >= 3, "the seeds are photos and documents: {kinds:?}");
}
