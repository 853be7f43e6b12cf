//! The auditor's verdict on the audit chain, on the real store: each view checks what was added
//! since the last one, a change behind that point is found when the whole chain is read again
//! (at least every `AUDIT_FULL_VERIFY_EVERY_MS`), and a change in what was added at once.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::{App, Client};

#[tokio::test]
async fn the_chain_is_verified_as_it_grows_and_wholly_again_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 10).await.unwrap();
        let auditor = app.actor_for_user(&app.store.user_by_username("auditor").await.unwrap().unwrap()).await.unwrap();
        let client = Client::cli();
        let first = app.verify_audit_log(&auditor, &client).await.unwrap().unwrap();
        assert!(first > 10, "{backend}: the demo's entries are checked: {first}");
        // Each view counts the entries added since (its own reading is not audited).
        let office = app.actor_for_user(&app.store.user_by_username("office").await.unwrap().unwrap()).await.unwrap();
        app.export_audit_log(&auditor, &client, &Default::default(), app::spreadsheet::SpreadsheetFormat::Csv, false).await.unwrap();
        let _ = app.enterprise(&office, &client, i64::MAX).await;
        let second = app.verify_audit_log(&auditor, &client).await.unwrap().unwrap();
        assert_eq!(second, app.store.audit_head().await.unwrap().0, "{backend}: every entry once");
        // An entry changed behind the verified point is found when the chain is read again.
        store::testing::remove_audit_protection(&db.store).await.unwrap();
        db.store.execute_raw_for_tests("UPDATE audit_log SET details = '{\"changed\":true}' WHERE seq = 3").await.unwrap();
        assert!(app.verify_audit_log(&auditor, &client).await.unwrap().is_ok(), "{backend}: not read again yet");
        domain::time::set_now_for_thread(Some(domain::time::now_ms() + app::audit::AUDIT_FULL_VERIFY_EVERY_MS + 1_000));
        let broken = app.verify_audit_log(&auditor, &client).await.unwrap();
        domain::time::set_now_for_thread(None);
        assert!(matches!(broken, Err(domain::audit::ChainError::Edited { seq: 3 })), "{backend}: the changed entry is named: {broken:?}");
        // The tail cut back past where the last view stopped: the count follows at once.
        let fresh = store::testing::fresh(backend).await.unwrap();
        let app = App::new(fresh.store.clone(), Default::default());
        demo::load_with(&app, 10).await.unwrap();
        let auditor = app.actor_for_user(&app.store.user_by_username("auditor").await.unwrap().unwrap()).await.unwrap();
        let all = app.verify_audit_log(&auditor, &client).await.unwrap().unwrap();
        store::testing::remove_audit_protection(&fresh.store).await.unwrap();
        fresh.store.execute_raw_for_tests(&format!("DELETE FROM audit_log WHERE seq > {}", all - 5)).await.unwrap();
        assert_eq!(app.verify_audit_log(&auditor, &client).await.unwrap().unwrap(), all - 5, "{backend}: not the old count");
        // Mended, and then a change among newly added entries is found on the next view.
        let fresh = store::testing::fresh(backend).await.unwrap();
        let app = App::new(fresh.store.clone(), Default::default());
        demo::load_with(&app, 10).await.unwrap();
        let auditor = app.actor_for_user(&app.store.user_by_username("auditor").await.unwrap().unwrap()).await.unwrap();
        app.verify_audit_log(&auditor, &client).await.unwrap().unwrap();
        app.export_audit_log(&auditor, &client, &Default::default(), app::spreadsheet::SpreadsheetFormat::Csv, false).await.unwrap();
        let (head, _) = app.store.audit_head().await.unwrap();
        store::testing::remove_audit_protection(&fresh.store).await.unwrap();
        fresh.store.execute_raw_for_tests(&format!("UPDATE audit_log SET details = '{{}}' WHERE seq = {head}")).await.unwrap();
        let broken = app.verify_audit_log(&auditor, &client).await.unwrap();
        assert!(matches!(broken, Err(domain::audit::ChainError::Edited { seq }) if seq == head), "{backend}: at once: {broken:?}");
    }
}
