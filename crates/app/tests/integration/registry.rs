//! Enterprise registry use cases against a real database: imports with per-row reports, exports
//! that re-import cleanly, encodings, and the rule that lists never leave the caller's scope.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::enterprises::ListQuery;
use app::spreadsheet::{COLUMNS, SpreadsheetFormat, write_enterprise_rows};
use app::{App, Client};
use domain::CreditCode;
use domain::enterprises::EnterpriseInput;
use proptest::prelude::*;

async fn app_with_demo(backend: &str, enterprises: usize) -> (App, store::testing::TestDatabase) {
    let db = store::testing::fresh(backend).await.unwrap();
    let app = App::new(db.store.clone(), Default::default());
    demo::load_with(&app, enterprises).await.unwrap();
    (app, db)
}

use crate::support::actor;

fn row(i: usize) -> EnterpriseInput {
    let mut input = app::enterprises::sample_enterprise();
    input.credit_code = CreditCode::complete(&format!("91220104MA{i:07}")).unwrap().to_string();
    input.name = format!("导入测试{i}号有限公司");
    input
}

fn csv_of(rows: &[EnterpriseInput]) -> Vec<u8> {
    write_enterprise_rows(SpreadsheetFormat::Csv, rows, false).unwrap()
}

#[tokio::test]
async fn a_100_row_csv_with_3_bad_rows_stores_97_and_reports_3() {
    for backend in store::testing::backends() {
        let (app, _db) = app_with_demo(backend, 10).await;
        let office = actor(&app, "office").await;
        let mut rows: Vec<EnterpriseInput> = (0..100).map(row).collect();
        rows[9].credit_code = "91220104MA00000099".into(); // wrong check character: line 11
        rows[49].region_code = "229999".into(); // unknown region: line 51
        rows[99].credit_code = rows[0].credit_code.clone(); // duplicate of line 2: line 101
        let before = app.store.count_enterprises().await.unwrap();
        let report = app.import_enterprises(&office, &Client::cli(), SpreadsheetFormat::Csv, &csv_of(&rows)).await.unwrap();
        assert_eq!(report.imported, 97);
        assert_eq!(report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![11, 51, 101]);
        assert!(report.rejected[0].reason.to_string().contains("credit_code"), "{}", report.rejected[0].reason);
        assert!(report.rejected[1].reason.to_string().contains("229999"), "{}", report.rejected[1].reason);
        assert!(report.rejected[2].reason.to_string().contains("第2行") || report.rejected[2].reason.to_string().contains("line 2"));
        assert_eq!(app.store.count_enterprises().await.unwrap(), before + 97);
        assert!(app.store.verify_audit_chain().await.unwrap().is_ok());
    }
}

#[tokio::test]
async fn exports_reimport_cleanly_in_both_formats_and_gbk_is_read() {
    let (app, _db) = app_with_demo("sqlite", 60).await;
    let office = actor(&app, "office").await;
    let mut tricky = row(1);
    tricky.name = "=HYPERLINK(\"http://evil\")公司".into();
    tricky.address = "-1+1 <b>'; DROP TABLE enterprises;--".into();
    tricky.principal_phone = "+86 431 1234".into();
    app.create_enterprise(&office, &Client::cli(), &tricky).await.unwrap();
    let total = app.store.count_enterprises().await.unwrap() as usize;
    // In either language: the English file names its columns and words in English and comes
    // back in as well.
    for (format, english) in
        [(SpreadsheetFormat::Csv, false), (SpreadsheetFormat::Xlsx, false), (SpreadsheetFormat::Csv, true), (SpreadsheetFormat::Xlsx, true)]
    {
        let exported = app.export_enterprises(&office, &Client::cli(), &ListQuery::default(), format, english).await.unwrap();
        if english {
            let table = app::spreadsheet::read_table(format, &exported).unwrap();
            assert_eq!(&table.header[..2], ["Unified social credit code", "Enterprise name"]);
            let scale = table.column(&["Scale"]).unwrap();
            assert!(table.rows.iter().all(|(_, cells)| cells[scale].is_ascii()), "scales in English");
        }
        if format == SpreadsheetFormat::Csv && !english {
            let text = String::from_utf8(exported.clone()).unwrap();
            assert!(text.contains("'=HYPERLINK"), "formula cells are escaped");
            assert!(text.starts_with('\u{feff}'), "BOM for Excel");
        }
        let report = app.import_enterprises(&office, &Client::cli(), format, &exported).await.unwrap();
        assert_eq!((report.imported, report.created, report.rejected.len()), (total, 0, 0), "{format:?} english={english}: {:?}", report.rejected);
    }
    let id = app.store.enterprise_id_by_credit_code(&tricky.credit_code).await.unwrap().unwrap().0;
    let stored = app.enterprise(&office, &app::Client::cli(), id).await.unwrap();
    assert_eq!(stored.enterprise.name, tricky.name, "stored verbatim after two round trips");
    assert_eq!(stored.enterprise.address, tricky.address);

    // A GBK file, as Excel on Chinese Windows saves it, is decoded, not stored as mojibake.
    let utf8 = String::from_utf8(csv_of(&[row(500)])).unwrap();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(utf8.trim_start_matches('\u{feff}'));
    assert!(!unmappable);
    let report = app.import_enterprises(&office, &Client::cli(), SpreadsheetFormat::Csv, &gbk).await.unwrap();
    assert_eq!(report.imported, 1);
    let id = app.store.enterprise_id_by_credit_code(&row(500).credit_code).await.unwrap().unwrap().0;
    assert_eq!(app.enterprise(&office, &app::Client::cli(), id).await.unwrap().enterprise.name, "导入测试500号有限公司");

    // File-level problems are refused with the reason.
    let error = app.import_enterprises(&office, &Client::cli(), SpreadsheetFormat::Csv, &[0xff, 0xfe, 0x00, 0xd8, 0x41]).await.unwrap_err();
    assert!(matches!(error, app::AppError::BadRequest(_)), "{error:?}");
    let header_only = COLUMNS.iter().map(|(_, zh, _)| *zh).collect::<Vec<_>>().join(",");
    let report = app.import_enterprises(&office, &Client::cli(), SpreadsheetFormat::Csv, header_only.as_bytes()).await.unwrap();
    assert_eq!(report.imported, 0);
    let oversized = vec![b'a'; app::spreadsheet::IMPORT_BYTES_MAX + 1];
    assert!(app.import_enterprises(&office, &Client::cli(), SpreadsheetFormat::Csv, &oversized).await.is_err());

    // A regulator's import cannot place or take over records outside its territory.
    let chaoyang = actor(&app, "chaoyang").await;
    let mut elsewhere = row(600);
    elsewhere.region_code = "220202".into();
    let report = app.import_enterprises(&chaoyang, &Client::cli(), SpreadsheetFormat::Csv, &csv_of(&[elsewhere, row(601)])).await.unwrap();
    assert_eq!((report.imported, report.rejected.len()), (1, 1));
    let inspector = actor(&app, "inspector").await;
    assert!(app.import_enterprises(&inspector, &Client::cli(), SpreadsheetFormat::Csv, &csv_of(&[row(602)])).await.is_err());

    // A credit code registered elsewhere answers exactly as one registered in one's own
    // territory (where is not revealed), and the probe is recorded for the auditor.
    let office = actor(&app, "office").await;
    let mut jilin = row(700);
    jilin.region_code = "220202".into();
    app.create_enterprise(&office, &Client::cli(), &jilin).await.unwrap();
    let mut own = row(701);
    own.region_code = "220104".into();
    app.create_enterprise(&chaoyang, &Client::cli(), &own).await.unwrap();
    // Another city's county is refused by field for one who registers enterprises (region codes
    // are public), and the attempt is recorded.
    let jilinshi = actor(&app, "jilinshi").await;
    let mut across = row(702);
    across.region_code = "220104".into();
    match app.create_enterprise(&jilinshi, &Client::cli(), &across).await {
        Err(app::AppError::Invalid(fields)) => assert_eq!(fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["region_code"]),
        other => panic!("{other:?}"),
    }
    let counties = app.counties_for_registration(&jilinshi).await.unwrap();
    assert!(
        !counties.is_empty() && counties.iter().all(|r| r.path.starts_with(jilinshi.region_path.as_deref().unwrap())),
        "the picker offers its own counties"
    );
    let taken = |input: EnterpriseInput| {
        let app = app.clone();
        let chaoyang = chaoyang.clone();
        async move {
            match app.create_enterprise(&chaoyang, &Client::cli(), &EnterpriseInput { region_code: "220104".into(), ..input }).await {
                Err(app::AppError::Invalid(fields)) => fields[0].message.clone(),
                other => panic!("{other:?}"),
            }
        }
    };
    let elsewhere_answer = taken(jilin.clone()).await;
    assert_eq!(elsewhere_answer, taken(own.clone()).await, "the same answer wherever the code is registered");
    assert!(!elsewhere_answer.to_string().contains("220202") && !elsewhere_answer.to_string().contains(&jilin.name));
    let probes = app
        .store
        .audit_page(&store::AuditFilter { outcome: Some("denied".into()), action_prefix: Some("enterprise.create".into()), ..Default::default() }, 10, 0)
        .await
        .unwrap();
    assert!(probes.entries.iter().any(|e| e.target == format!("credit_code:{}", jilin.credit_code)), "the probe is audited");
}

static SHARED_SCOPE_DB: std::sync::OnceLock<(String, std::path::PathBuf)> = std::sync::OnceLock::new();

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the filters, every listed enterprise lies inside the caller's scope.
    #[test]
    fn list_results_always_lie_inside_the_callers_scope(user in 0usize..6, query in "[长春吉林化工0-9A-Z%_]{0,3}", region in prop::sample::select(vec!["", "220000", "220100", "220104", "220200", "222400"]), page in 1i64..4) {
        // One database for all cases, built once, outside the per-case runtime.
        let (url, _) = SHARED_SCOPE_DB.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("anwei-scope-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}", dir.join("anwei.db").display());
            let setup = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            setup.block_on(async {
                let store = store::Store::connect(&url).await.unwrap();
                store.migrate().await.unwrap();
                demo::load_with(&App::new(store.clone(), Default::default()), 300).await.unwrap();
                store.close().await;
            });
            (url, dir)
        });
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = store::Store::connect(url).await.unwrap();
            let app = App::new(store, Default::default());
            let username = ["office", "changchun", "jilinshi", "chaoyang", "inspector", "enterprise"][user];
            let caller = actor(&app, username).await;
            let list_query = ListQuery { query: Some(query.clone()), region_code: Some(region.to_owned()), ..Default::default() };
            let page = app.list_enterprises(&caller, &app::Client::cli(), &list_query, page, 50).await.unwrap();
            for item in &page.items {
                let stored = app.store.enterprise(item.id, &domain::access::Visibility::Everything).await.unwrap();
                let region = app.store.region(stored.enterprise.region_code.as_str()).await.unwrap();
                match (&caller.region_path, caller.enterprise_id) {
                    (_, Some(own)) => assert_eq!(item.id, own),
                    (Some(path), None) => assert!(region.path.starts_with(path), "{username} saw {}", region.path),
                    (None, None) => panic!("{username} has no scope but saw {}", item.id),
                }
                // And the record itself opens for the caller.
                assert!(app.enterprise(&caller, &app::Client::cli(), item.id).await.is_ok());
            }
            app.store.close().await;
        });
    }
}
