//! The real binary: `import`/`export` print JSON and round-trip, and `audit verify` passes on an
//! untouched database and names the first bad entry after tampering.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn anwei(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_anwei")).args(args).env("ANWEI_LOG", "error").output().unwrap()
}

#[tokio::test]
async fn import_export_and_audit_verification() {
    let db = store::testing::fresh("sqlite").await.unwrap();
    let app = app::App::new(db.store.clone(), Default::default());
    demo::load_with(&app, 30).await.unwrap();
    let url = db.url.clone();
    let dir = std::env::temp_dir().join(format!("anwei-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("anwei.key"), db.key.to_hex()).unwrap();
    let data_dir = dir.to_str().unwrap().to_owned();

    let export = dir.join("enterprises.xlsx");
    let out = anwei(&["export", "enterprises", export.to_str().unwrap(), "--database-url", &url, "--data-dir", &data_dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = anwei(&["import", "enterprises", export.to_str().unwrap(), "--database-url", &url, "--data-dir", &data_dir]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report, serde_json::json!({"imported": 30, "rejected": []}));

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "统一社会信用代码,企业名称,行政区划代码,行业门类,企业规模\n123,甲,220104,C,小型\n").unwrap();
    let out = anwei(&["import", "enterprises", bad.to_str().unwrap(), "--database-url", &url, "--data-dir", &data_dir]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 0);
    assert_eq!(report["rejected"][0]["line"], 2);
    let out = anwei(&["import", "enterprises", dir.join("notes.txt").to_str().unwrap(), "--database-url", &url, "--data-dir", &data_dir]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".csv"));

    let out = anwei(&["audit", "verify", "--database-url", &url, "--data-dir", &data_dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    store::testing::remove_audit_protection(&db.store).await.unwrap();
    db.store.execute_raw_for_tests("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 5").await.unwrap();
    let out = anwei(&["audit", "verify", "--database-url", &url, "--data-dir", &data_dir]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5"), "names the entry: {}", String::from_utf8_lossy(&out.stderr));

    let out = anwei(&["migrate", "--database-url", "mysql://nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:// or postgres://"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn workplan_parse_and_import() {
    let plan = include_str!("../../demo/data/jilin-2020-workplan.txt");
    let dir = std::env::temp_dir().join(format!("anwei-cli-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let parse = |file: &std::path::Path| {
        let out = anwei(&["workplan", "parse", file.to_str().unwrap(), "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // The same plan as UTF-8 Traditional, GB18030 Simplified and .docx parses to the same result.
    let utf8 = dir.join("plan.txt");
    std::fs::write(&utf8, plan).unwrap();
    let gb18030 = dir.join("plan-gb.txt");
    let simplified = domain::text::to_simplified(plan);
    let (bytes, _, _) = encoding_rs::GB18030.encode(&simplified);
    std::fs::write(&gb18030, bytes).unwrap();
    let docx = dir.join("plan.docx");
    let paragraphs: Vec<&str> = plan.lines().collect();
    std::fs::write(&docx, app::documents::docx_with(&paragraphs)).unwrap();
    let json = parse(&utf8);
    assert_eq!(json["sections"].as_array().unwrap().len(), 5);
    let items: Vec<&serde_json::Value> = json["sections"].as_array().unwrap().iter().flat_map(|s| s["items"].as_array().unwrap()).collect();
    assert_eq!(items.len(), 24);
    assert_eq!(items.iter().map(|i| i["responsibilities"].as_array().unwrap().len()).sum::<usize>(), 38);
    assert_eq!(items[3]["responsibilities"][0]["lead"], serde_json::json!(["省应急管理厅", "省发展改革委"]));
    assert_eq!(items[13]["responsibilities"][3]["lead"], serde_json::json!(["省卫生健康委"]));
    assert_eq!(parse(&gb18030), json);
    assert_eq!(parse(&docx)["sections"], json["sections"]);
    let out = anwei(&["workplan", "parse", dir.join("plan.pdf").to_str().unwrap()]);
    assert!(!out.status.success());

    // Import twice: the second changes nothing.
    let db = store::testing::fresh("sqlite").await.unwrap();
    demo::load_with(&app::App::new(db.store.clone(), Default::default()), 5).await.unwrap();
    std::fs::write(dir.join("anwei.key"), db.key.to_hex()).unwrap();
    let data_dir = dir.to_str().unwrap().to_owned();
    let import = || {
        let out = anwei(&["workplan", "import", utf8.to_str().unwrap(), "--year", "2020", "--database-url", &db.url, "--data-dir", &data_dir]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = import();
    assert_eq!((first["created"].as_bool(), first["tasks"].as_u64()), (Some(true), Some(24)));
    let second = import();
    assert_eq!((second["created"].as_bool(), second["plan_id"].clone()), (Some(false), first["plan_id"].clone()));
    let out = anwei(&["workplan", "import", utf8.to_str().unwrap(), "--year", "1999", "--database-url", &db.url, "--data-dir", &data_dir]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("2000"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn risk_grading() {
    let run = |args: &[&str]| {
        let out = anwei(args);
        (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(run(&["risk", "lec", "6", "3", "15"]).1, r#"{"score":270,"level":"较大","color":"orange"}"#);
    assert_eq!(run(&["risk", "lec", "0.5", "1", "1"]).1, r#"{"score":0.5,"level":"低","color":"blue"}"#);
    assert_eq!(run(&["risk", "matrix", "5", "4"]).1, r#"{"score":20,"level":"重大","color":"red"}"#);
    for bad in [
        &["risk", "lec", "5", "3", "15"][..],
        &["risk", "lec", "-6", "3", "15"],
        &["risk", "matrix", "6", "1"],
        &["risk", "lec", "x", "3", "15"],
        &["risk", "matrix", "3"],
    ] {
        let (ok, _, stderr) = run(bad);
        assert!(!ok, "{bad:?} is refused");
        assert!(!stderr.is_empty(), "{bad:?} says why");
    }
    assert!(run(&["risk", "lec", "5", "3", "15"]).2.contains("10/6/3/1/0.5/0.2/0.1"), "names the scale");
}

#[test]
fn reward_computation() {
    let run = |args: &[&str]| {
        let out = anwei(args);
        (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(run(&["reward", "compute", "--kind", "major_danger", "--fine-yuan", "19999"]).1, r#"{"reward_yuan":3000}"#, "the floor");
    assert_eq!(run(&["reward", "compute", "--kind", "illegal_production", "--fine-yuan", "2000007"]).1, r#"{"reward_yuan":300000}"#, "the cap");
    assert_eq!(run(&["reward", "compute", "--kind", "concealed_accident", "--level", "较大", "--concealed-deaths", "3"]).1, r#"{"reward_yuan":120000}"#);
    assert_eq!(
        run(&["reward", "compute", "--kind", "concealed_accident", "--level", "especially_major", "--concealed-deaths", "9"]).1,
        r#"{"reward_yuan":300000}"#
    );
    for bad in [
        &["reward", "compute", "--kind", "other", "--fine-yuan", "1"][..],
        &["reward", "compute", "--kind", "major_danger"],
        &["reward", "compute", "--kind", "major_danger", "--fine-yuan=-1"],
        &["reward", "compute", "--kind", "concealed_accident", "--level", "大", "--concealed-deaths", "1"],
    ] {
        let (ok, _, stderr) = run(bad);
        assert!(!ok, "{bad:?} is refused");
        assert!(stderr.contains("--"), "{bad:?} names the flag: {stderr}");
    }
}

#[test]
fn gb18218_assessment() {
    let run = |args: &[&str]| {
        let out = anwei(args);
        (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(run(&["gb18218", "assess", "--people", "60", "二氧化硫=200"]).1, r#"{"s":10.0,"r":30.0,"major":true,"level":3}"#);
    assert_eq!(run(&["gb18218", "assess", "--people", "0", "氨=5"]).1, r#"{"s":0.5,"r":0.5,"major":false,"level":null}"#);
    assert_eq!(run(&["gb18218", "assess", "--people", "120", "W2=10", "7664-41-7=10"]).1, r#"{"s":2.0,"r":7.0,"major":true,"level":4}"#);
    let (ok, _, stderr) = run(&["gb18218", "assess", "--people", "1", "unobtainium=3"]);
    assert!(!ok && stderr.contains("unobtainium"), "names the unknown substance: {stderr}");
    assert!(!run(&["gb18218", "assess", "--people", "1", "氨=-3"]).0);
    assert!(!run(&["gb18218", "assess", "--people", "1"]).0, "at least one chemical");
}

#[test]
fn simulate_scores_alarm_quality() {
    let out = anwei(&["simulate", "--sensors", "60", "--hours", "4", "--incidents", "6", "--seed", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(score["incidents"], 6);
    assert!(score["naive_alarms"].as_u64().unwrap() > score["process_alarms"].as_u64().unwrap(), "{score}");
    assert!(score["recall"].as_f64().unwrap() > 0.5, "{score}");
    assert!(!anwei(&["simulate", "--sensors", "0"]).status.success());
}

/// The benchmark end to end at a tiny size: a spawned server, real HTTP ingest, alarm probes over
/// server-sent events, and every figure present (the sizes are too small for the figures to mean
/// anything; docs/benchmarks.md holds real runs).
#[test]
fn bench_ingest_runs_end_to_end() {
    let out = anwei(&["bench", "ingest", "--sensors", "300", "--seconds", "1", "--batch", "100", "--clients", "1", "--probes", "5", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["readings"].as_u64().unwrap() >= 300, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["alarm_probes"], 5);
    for figure in
        ["readings_per_s", "alarm_latency_p50_ms", "alarm_latency_p99_ms", "bytes_per_reading", "ram_bytes_per_sensor", "latest_all_ms", "downsample_24h_ms"]
    {
        assert!(report[figure].as_f64().is_some_and(|v| v > 0.0), "{figure}: {report}");
    }
    assert!(!anwei(&["bench", "ingest", "--sensors", "0"]).status.success());
}

/// `anwei bench web` end to end at a tiny size: the demo served, logged in through the form as
/// each role and with a token, every page it drives answered 200 (it exits 2 otherwise), and the
/// figures present (docs/benchmarks.md holds real runs).
#[test]
fn bench_web_runs_end_to_end() {
    let out = anwei(&["bench", "web", "--seconds", "1", "--clients", "2", "--only", "/", "--only", "/api/v1/assignments", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pages = report["alone"].as_array().unwrap();
    assert_eq!(pages.len(), 5, "/healthz, the home page of three roles and the API list: {report}");
    for page in pages {
        assert!(page["answered"].as_u64().unwrap() > 0 && page["errors"] == 0, "{page}");
        assert!(page["p99_ms"].as_f64().is_some_and(|v| v > 0.0), "{page}");
    }
    assert!(report["enterprises"].as_i64().unwrap() >= 3_000, "{report}");
    assert!(!anwei(&["bench", "web", "--seconds", "0"]).status.success());
}

/// `anwei audit verify` against what someone holding the database (but not the key file) can do:
/// delete the newest entries, delete one in the middle, rewrite one and recompute every hash
/// after it. Each is caught and named; a missing key file is never silently replaced.
#[tokio::test]
async fn audit_verify_catches_a_cut_tail_a_deletion_and_a_rehashed_rewrite() {
    let verify = |url: &str, dir: &std::path::Path| {
        let out = anwei(&["audit", "verify", "--database-url", url, "--data-dir", dir.to_str().unwrap()]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code(), report, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let scenario = |name: &str| {
        let name = name.to_owned();
        async move {
            let db = store::testing::fresh("sqlite").await.unwrap();
            for i in 0..10 {
                let event =
                    app::audit_event(None, &app::Client::cli(), &format!("test.{i}"), String::new(), domain::audit::Outcome::Success, serde_json::json!({}));
                db.store.record_audit(&event).await.unwrap();
            }
            let dir = std::env::temp_dir().join(format!("anwei-cli-audit-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("anwei.key"), db.key.to_hex()).unwrap();
            // The server anchors the head (entry 10) as it does every minute.
            let key = db.store.audit_key().unwrap().clone();
            assert_eq!(app::audit_anchor::write_anchor(&db.store, &key, &dir.join("audit-anchor.log"), None).await.unwrap(), Some(10));
            store::testing::remove_audit_protection(&db.store).await.unwrap();
            (db, dir)
        }
    };

    let (db, dir) = scenario("intact").await;
    let (code, report, stderr) = verify(&db.url, &dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!((report["entries"].as_i64(), report["anchors"].as_i64(), report["keyed_since"].as_i64()), (Some(10), Some(1), Some(1)));
    let _ = std::fs::remove_dir_all(&dir);

    let (db, dir) = scenario("tail").await;
    db.store.execute_raw_for_tests("DELETE FROM audit_log WHERE seq > 8").await.unwrap();
    let unkeyed = store::Store::connect(&db.url).await.unwrap();
    assert!(unkeyed.verify_audit_chain().await.unwrap().is_ok(), "the chain alone cannot see a cut tail");
    let (code, report, _) = verify(&db.url, &dir);
    assert_eq!(code, Some(2));
    assert!(report["error"].as_str().unwrap().contains("the anchor records entry 10 but the log ends at 8"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);

    let (db, dir) = scenario("middle").await;
    db.store.execute_raw_for_tests("DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    let (code, report, _) = verify(&db.url, &dir);
    assert_eq!(code, Some(2));
    assert!(report["error"].as_str().unwrap().contains("jumps from 3 to 5"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);

    // Entries appended after the last anchor by someone without the key, with every keyed hash
    // stripped so that the log looks older than keying: the anchor's word catches them.
    let (db, dir) = scenario("append").await;
    db.store.execute_raw_for_tests("UPDATE audit_log SET mac = NULL").await.unwrap();
    let head = db.store.audit_entries_after(9, 1).await.unwrap().remove(0);
    let event = app::audit_event(None, &app::Client::cli(), "forged.entry", String::new(), domain::audit::Outcome::Success, serde_json::json!({}));
    let forged = domain::audit::AuditEntry::new(&event, 11, head.occurred_at + 1, &head.hash, None);
    db.store
        .execute_raw_for_tests(&format!(
            "INSERT INTO audit_log (seq, occurred_at, actor_id, actor_name, unit_id, action, target, outcome, details, client, prev_hash, hash, mac) \
             VALUES (11, {}, NULL, 'system', NULL, 'forged.entry', '', 'success', '{{}}', 'cli', '{}', '{}', NULL)",
            forged.occurred_at, forged.prev_hash, forged.hash
        ))
        .await
        .unwrap();
    let (code, report, _) = verify(&db.url, &dir);
    assert_eq!(code, Some(2));
    assert!(report["error"].as_str().unwrap().contains("has no keyed hash"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);

    let (db, dir) = scenario("rewrite").await;
    let mut entries = db.store.audit_entries_after(0, 100).await.unwrap();
    entries[2].details = r#"{"rewritten":true}"#.into();
    for index in 2..entries.len() {
        entries[index].prev_hash = entries[index - 1].hash.clone();
        entries[index].hash = entries[index].computed_hash();
        let entry = &entries[index];
        db.store
            .execute_raw_for_tests(&format!(
                "UPDATE audit_log SET details = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                entry.details, entry.prev_hash, entry.hash, entry.seq
            ))
            .await
            .unwrap();
    }
    let (code, report, _) = verify(&db.url, &dir);
    assert_eq!(code, Some(2));
    assert!(report["error"].as_str().unwrap().contains("audit entry 3: keyed hash does not match"), "{report}");
    // Stripping every keyed hash as well: the anchor says the chain was keyed from entry 1.
    db.store.execute_raw_for_tests("UPDATE audit_log SET mac = NULL").await.unwrap();
    let (code, report, _) = verify(&db.url, &dir);
    assert_eq!(code, Some(2));
    assert!(report["error"].as_str().unwrap().contains("audit entry 1 has no keyed hash"), "{report}");
    // A forged anchor line is refused.
    std::fs::write(dir.join("audit-anchor.log"), format!("10 {} 1 {}\n", entries[9].hash, "00".repeat(32))).unwrap();
    let (code, report, _) = verify(&db.url, &dir);
    assert_eq!(code, Some(2));
    assert!(report["error"].as_str().unwrap().contains("anchor file line 1"), "{report}");
    // With another key file the binary refuses to start.
    std::fs::write(dir.join("anwei.key"), store::keys::ServerKey::generate().to_hex()).unwrap();
    let (code, _, stderr) = verify(&db.url, &dir);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("not the key this database was written with"), "{stderr}");
    // Without the key file the binary refuses, rather than make a new key for a keyed database.
    std::fs::remove_file(dir.join("anwei.key")).unwrap();
    let (code, _, stderr) = verify(&db.url, &dir);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("restore the file"), "{stderr}");
    assert!(!dir.join("anwei.key").exists(), "no new key was made");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `anwei backup` writes a checked, consistent copy of a live SQLite database; `anwei restore`
/// refuses a damaged or tampered backup, moves the current database aside (only with
/// --replace), and leaves a database whose audit log verifies, the restore recorded in it.
#[tokio::test]
async fn backup_and_restore() {
    let dir = std::env::temp_dir().join(format!("anwei-cli-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data_dir = dir.to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data-dir", data_dir.as_str()]);
        let out = anwei(&all);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code(), report, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // A live database in the data folder, with the server's key beside it.
    let live = store::Store::connect(&format!("sqlite://{}/anwei.db", dir.display())).await.unwrap();
    live.migrate().await.unwrap();
    let key = store::keys::ServerKey::generate();
    std::fs::write(dir.join("anwei.key"), key.to_hex()).unwrap();
    let live = live.with_server_key(&key);
    let record =
        |i: usize| app::audit_event(None, &app::Client::cli(), &format!("test.{i}"), String::new(), domain::audit::Outcome::Success, serde_json::json!({}));
    for i in 0..5 {
        live.record_audit(&record(i)).await.unwrap();
    }
    let backup = dir.join("backup.db");
    let (code, report, stderr) = run(&["backup", backup.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["audit_entries"], 5, "{report}");
    let (code, _, stderr) = run(&["backup", backup.to_str().unwrap()]);
    assert_ne!(code, Some(0), "an existing file is never overwritten");
    assert!(stderr.contains("exists"), "{stderr}");

    // Life goes on after the backup: more entries, anchored.
    for i in 5..9 {
        live.record_audit(&record(i)).await.unwrap();
    }
    app::audit_anchor::write_anchor(&live, live.audit_key().unwrap(), &dir.join("audit-anchor.log"), None).await.unwrap();
    live.close().await;

    // A damaged backup and a tampered one are refused, and nothing is touched.
    let damaged = dir.join("damaged.db");
    let mut bytes = std::fs::read(&backup).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, &bytes).unwrap();
    let (code, _, stderr) = run(&["restore", damaged.to_str().unwrap(), "--replace"]);
    assert_ne!(code, Some(0), "a damaged backup is refused: {stderr}");
    let tampered = dir.join("tampered.db");
    std::fs::copy(&backup, &tampered).unwrap();
    let copy = store::Store::connect(&format!("sqlite://{}", tampered.display())).await.unwrap();
    store::testing::remove_audit_protection(&copy).await.unwrap();
    copy.execute_raw_for_tests("UPDATE audit_log SET target = 'forged' WHERE seq = 2").await.unwrap();
    copy.close().await;
    let (code, _, stderr) = run(&["restore", tampered.to_str().unwrap(), "--replace"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("does not verify, nothing was restored"), "{stderr}");
    assert!(!std::fs::read_dir(&dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("before-restore")), "nothing was moved");

    // Without --replace the live database stays; with it, it is moved aside and the backup restored.
    let (code, _, stderr) = run(&["restore", backup.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("--replace"), "{stderr}");
    // While another process has the database open (each holds its lock file shared, as a
    // server does for its lifetime), nothing is restored over it.
    let server_lock = std::fs::File::open(dir.join("anwei.db.lock")).unwrap();
    server_lock.lock_shared().unwrap();
    let (code, _, stderr) = run(&["restore", backup.to_str().unwrap(), "--replace"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("open in another anwei process"), "{stderr}");
    assert!(!std::fs::read_dir(&dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("before-restore")), "nothing was moved");
    drop(server_lock);
    let (code, report, stderr) = run(&["restore", backup.to_str().unwrap(), "--replace"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["audit_entries"], 7, "the backup's five entries, the restore and the revocation of access: {report}");
    assert!(report["moved_aside"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains("anwei.db.before-restore-")));
    let (code, report, stderr) = run(&["audit", "verify"]);
    assert_eq!(code, Some(0), "the restored log verifies: {stderr} {report}");
    let restored = store::Store::connect(&format!("sqlite://{}/anwei.db", dir.display())).await.unwrap();
    let last = restored.audit_entries_after(5, 10).await.unwrap();
    assert_eq!(last.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["system.restore", "system.restore_access_revoked"], "the restore is in the log");
    restored.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// PostgreSQL is backed up with pg_dump and restored with pg_restore (README); the restored copy
/// verifies under the same key. Runs where PostgreSQL and its client tools are configured.
#[tokio::test]
async fn postgres_dump_and_restore_keep_a_verifiable_audit_log() {
    let Some(base) = store::testing::postgres_url() else {
        store::testing::skipping("postgres", "ANWEI_TEST_POSTGRES_URL is not set");
        return;
    };
    if Command::new("pg_dump").arg("--version").output().is_err() {
        store::testing::skipping("postgres", "pg_dump is not installed");
        return;
    }
    let db = store::testing::fresh("postgres").await.unwrap();
    let app = app::App::new(db.store.clone(), Default::default());
    demo::load_with(&app, 5).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("anwei.dump");
    let out = Command::new("pg_dump").args(["-Fc", "-f", dump.to_str().unwrap(), &db.url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let name = format!("anwei_restored_{}", std::process::id());
    db.store.execute_raw_for_tests(&format!("CREATE DATABASE {name}")).await.unwrap();
    let target = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
    let out = Command::new("pg_restore").args(["--no-owner", "-d", &target, dump.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored = store::Store::connect(&target).await.unwrap().with_server_key(&db.key);
    let original = db.store.verify_audit_chain().await.unwrap().unwrap();
    assert_eq!(restored.verify_audit_chain().await.unwrap(), Ok(original), "the same log, verified under the same key");
    assert_eq!(
        restored.user_by_username("secadmin").await.unwrap().unwrap().totp_secret,
        db.store.user_by_username("secadmin").await.unwrap().unwrap().totp_secret
    );
    restored.close().await;
}

/// A few rounds of the crash harness: the server is killed with SIGKILL while it takes
/// telemetry and changes, and after each restart everything acknowledged is there, no batch in
/// part (the benchmark runs it a hundred times; docs/benchmarks.md).
#[test]
fn crash_harness_loses_nothing_acknowledged() {
    let out = anwei(&["bench", "crash", "--kills", "3", "--sensors", "5", "--seed", "7"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    assert_eq!(out.status.code(), Some(0), "{report} {}", String::from_utf8_lossy(&out.stderr));
    assert!(report["batches_acknowledged"].as_u64().unwrap() > 0 && report["changes_acknowledged"].as_u64().unwrap() > 0, "{report}");
    for zero in ["batches_lost", "changes_lost", "batches_half_stored"] {
        assert_eq!(report[zero], 0, "{zero}: {report}");
    }
    assert_eq!(report["audit_log_verified"], true);
    assert!(!anwei(&["bench", "crash", "--kills", "0"]).status.success());
}

/// A short overload: twice the sustainable ingest rate from paced senders and a flood of page and
/// API reads against few places. Refusals are 503 with `Retry-After`, nothing acknowledged is
/// lost, memory does not grow and the server answers normally right after (docs/benchmarks.md has
/// the long run).
#[test]
fn overload_is_refused_with_retry_after_and_loses_nothing() {
    let out = anwei(&[
        "bench",
        "overload",
        "--seconds",
        "4",
        "--senders",
        "16",
        "--sensors-per-sender",
        "10",
        "--page-clients",
        "16",
        "--requests-in-flight-max",
        "4",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    assert_eq!(out.status.code(), Some(0), "{report} {}", String::from_utf8_lossy(&out.stderr));
    for part in ["ingest", "pages", "reports"] {
        assert!(report[part]["accepted"].as_u64().unwrap() > 0, "{part} got through: {report}");
    }
    assert!(report["pages"]["shed"].as_u64().unwrap() > 0, "sixteen readers on four places are refused in part: {report}");
    for zero in ["batches_lost", "batches_half_stored", "reports_lost"] {
        assert_eq!(report[zero], 0, "{zero}: {report}");
    }
    assert_eq!(report["recovered"], true);
    assert!(!anwei(&["bench", "overload", "--seconds", "1"]).status.success(), "too short to measure");
}
