//! The real binary: `import`/`export` print JSON and round-trip, and `audit verify` passes on an
//! untouched database and names the first bad entry after tampering.

use std::process::Command;

fn anwei(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_anwei")).args(args).env("ANWEI_LOG", "error").output().unwrap()
}

#[tokio::test]
async fn import_export_and_audit_verification() {
    let db = store::testing::fresh("sqlite").await.unwrap();
    let app = app::App::new(db.store.clone(), Default::default());
    app.load_demo_with(30).await.unwrap();
    let url = db.url.clone();
    let dir = std::env::temp_dir().join(format!("anwei-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let export = dir.join("enterprises.xlsx");
    let out = anwei(&["export", "enterprises", export.to_str().unwrap(), "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = anwei(&["import", "enterprises", export.to_str().unwrap(), "--database-url", &url]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report, serde_json::json!({"imported": 30, "rejected": []}));

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "统一社会信用代码,企业名称,行政区划代码,行业门类,企业规模\n123,甲,220104,C,小型\n").unwrap();
    let out = anwei(&["import", "enterprises", bad.to_str().unwrap(), "--database-url", &url]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 0);
    assert_eq!(report["rejected"][0]["line"], 2);
    let out = anwei(&["import", "enterprises", dir.join("notes.txt").to_str().unwrap(), "--database-url", &url]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".csv"));

    let out = anwei(&["audit", "verify", "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    store::testing::remove_audit_protection(&db.store).await.unwrap();
    db.store.execute_raw_for_tests("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 5").await.unwrap();
    let out = anwei(&["audit", "verify", "--database-url", &url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5"), "names the entry: {}", String::from_utf8_lossy(&out.stderr));

    let out = anwei(&["migrate", "--database-url", "mysql://nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:// or postgres://"));
    let _ = std::fs::remove_dir_all(&dir);
}
