//! Support for tests of this and the other crates: a fresh, migrated database of either backend.
//! PostgreSQL is used when `ANWEI_TEST_POSTGRES_URL` names a server where the role may create
//! databases; each call gets a database of its own, so tests run in parallel without sharing.

use crate::{Result, Store};

/// Which backends the tests run against: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<&'static str> {
    let mut backends = vec!["sqlite"];
    if postgres_url().is_some() {
        backends.push("postgres");
    } else {
        skipping("postgres", "ANWEI_TEST_POSTGRES_URL is not set");
    }
    backends
}

/// Services that must be there (`ANWEI_TEST_REQUIRE=postgres,mosquitto`, as CI sets it): where a
/// test would skip for want of one, it fails instead, so that a broken setup cannot pass unseen.
pub fn required(service: &str) -> bool {
    std::env::var("ANWEI_TEST_REQUIRE").is_ok_and(|list| list.split(',').any(|s| s.trim() == service))
}

/// Says that a part of a test is skipped for want of `service`; panics if the service is
/// required (`required`).
pub fn skipping(service: &str, why: &str) {
    assert!(!required(service), "{service} is required (ANWEI_TEST_REQUIRE) but {why}");
    eprintln!("skipped for want of {service}: {why}");
}

pub fn postgres_url() -> Option<String> {
    std::env::var("ANWEI_TEST_POSTGRES_URL").ok().filter(|url| !url.is_empty())
}

/// A fresh database and a guard that keeps its files alive. Its store is keyed like a
/// production one (`key`), so tests see keyed audit entries and sealed secrets.
pub struct TestDatabase {
    pub store: Store,
    pub url: String,
    pub key: crate::keys::ServerKey,
    _dir: Option<tempfile_guard::Dir>,
}

mod tempfile_guard {
    /// A temporary folder removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Opens a fresh, migrated database of the named backend.
pub async fn fresh(backend: &str) -> Result<TestDatabase> {
    let unique = format!("{}_{}_{}", std::process::id(), crate::now_ms() % 1_000_000_000, next_suffix());
    match backend {
        "postgres" => {
            let base = postgres_url().ok_or_else(|| crate::StoreError::UnsupportedUrl("ANWEI_TEST_POSTGRES_URL not set".into()))?;
            let admin = Store::connect(&base).await?;
            let name = format!("anwei_t_{unique}");
            admin.execute_raw_for_tests(&format!("CREATE DATABASE {name}")).await?;
            admin.close().await;
            let (prefix, _) = base.rsplit_once('/').unwrap_or((&base, ""));
            let url = format!("{prefix}/{name}");
            let store = Store::connect(&url).await?;
            store.migrate().await?;
            let key = crate::keys::ServerKey::generate();
            Ok(TestDatabase { store: store.with_server_key(&key), url, key, _dir: None })
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("anwei-test-{unique}"));
            std::fs::create_dir_all(&dir).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            let url = format!("sqlite://{}", dir.join("anwei.db").display());
            let store = Store::connect(&url).await?;
            store.migrate().await?;
            let key = crate::keys::ServerKey::generate();
            Ok(TestDatabase { store: store.with_server_key(&key), url, key, _dir: Some(tempfile_guard::Dir(dir)) })
        }
    }
}

fn next_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// Drops the triggers that make the audit log append-only, as an attacker who owns the database
/// could, so that tests can check the hash chain still catches the tampering.
pub async fn remove_audit_protection(store: &Store) -> Result<()> {
    let statements: &[&str] = match store.backend_name() {
        "postgres" => &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DROP TRIGGER audit_log_no_delete ON audit_log",
            "DROP TRIGGER audit_log_no_truncate ON audit_log",
        ],
        _ => &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
    };
    for statement in statements {
        store.execute_raw_for_tests(statement).await?;
    }
    Ok(())
}
