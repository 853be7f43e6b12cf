//! The store conformance suite: every store operation, run against SQLite always and against
//! PostgreSQL when `ANWEI_TEST_POSTGRES_URL` is set. Both backends must behave identically.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use domain::CreditCode;
use domain::access::Visibility;
use domain::audit::{AuditEvent, ChainError, Outcome};
use domain::enterprises::{Enterprise, EnterpriseInput};
use domain::inbox::Channel;
use domain::region::{RegionCode, RegionLevel};
use domain::unit::UnitKind;
use store::testing::{backends, fresh};
use store::{ChannelCode, EnterpriseFilter, InboxChannelRow, NewUnit, NewUser, SessionRow, Store, StoreError, UnitPost};

fn event(action: &str) -> AuditEvent {
    AuditEvent {
        actor_id: None,
        actor_name: "tester".into(),
        unit_id: None,
        action: action.into(),
        target: "test".into(),
        outcome: Outcome::Success,
        details: "{}".into(),
        client: "test".into(),
    }
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

async fn load_regions(store: &Store) {
    let rows = vec![
        (code("220000"), "吉林省".to_owned(), None, RegionLevel::Province),
        (code("220100"), "长春市".to_owned(), Some(code("220000")), RegionLevel::City),
        (code("220104"), "朝阳区".to_owned(), Some(code("220100")), RegionLevel::County),
        (code("220184"), "公主岭市".to_owned(), Some(code("220100")), RegionLevel::County),
        (code("220200"), "吉林市".to_owned(), Some(code("220000")), RegionLevel::City),
        (code("220202"), "昌邑区".to_owned(), Some(code("220200")), RegionLevel::County),
    ];
    assert_eq!(store.upsert_regions(&rows).await.unwrap(), 6);
}

fn enterprise(body: &str, name: &str, region: &str) -> Enterprise {
    let input = EnterpriseInput {
        credit_code: CreditCode::complete(body).unwrap().to_string(),
        name: name.into(),
        region_code: region.into(),
        address: "地址".into(),
        industry: "C".into(),
        sectors: "危险化学品".into(),
        scale: "小型".into(),
        licences: "安全生产许可证|X-1|2027-01-01".into(),
        ..Default::default()
    };
    Enterprise::from_input(&input).unwrap()
}

async fn suite(backend: &str) {
    let db = fresh(backend).await.unwrap();
    let store = &db.store;

    // Pragmas: SQLite runs in WAL mode with foreign keys on.
    if backend == "sqlite" {
        let (mode, foreign_keys) = store.sqlite_pragmas().await.unwrap().unwrap();
        assert_eq!(mode, "wal");
        assert!(foreign_keys);
        // Reads go to connections that refuse to write: a write through them is an error, not a
        // write that would wait on the writer's lock.
        let refused = store.count_for_tests("INSERT INTO server_settings (name, value) VALUES ('probe', 'x') RETURNING 1").await;
        assert!(refused.is_err(), "a reading connection wrote: {refused:?}");
        assert_eq!(store.count_for_tests("SELECT COUNT(*) FROM server_settings WHERE name = 'probe'").await.unwrap(), 0);
    }

    // Regions: explicit parents and paths.
    load_regions(store).await;
    let gongzhuling = store.region("220184").await.unwrap();
    assert_eq!(gongzhuling.path, "220000/220100/220184/");
    assert_eq!(gongzhuling.parent_code.unwrap().as_str(), "220100");
    assert_eq!(store.region_children("220100").await.unwrap().len(), 2);
    assert_eq!(store.regions_under("220000/220100/").await.unwrap().len(), 3);
    assert!(matches!(store.region("999999").await, Err(StoreError::NotFound)));
    let orphan = vec![(code("330100"), "杭州市".to_owned(), Some(code("330000")), RegionLevel::City)];
    assert!(matches!(store.upsert_regions(&orphan).await, Err(StoreError::Conflict(_))));

    // Units and aliases.
    let unit = NewUnit {
        kind: UnitKind::Department,
        name: "省发展改革委".into(),
        full_name: "吉林省发展和改革委员会".into(),
        region_code: Some("220000".into()),
        enterprise_id: None,
        lookup_keys: vec!["省发展改革委".into(), "省发改委".into()],
    };
    let unit_id = store.ensure_unit(&unit, &event("unit.create")).await.unwrap();
    assert_eq!(store.ensure_unit(&unit, &event("unit.create")).await.unwrap(), unit_id, "idempotent");
    assert_eq!(store.unit_by_lookup_key("省发改委").await.unwrap().unwrap().id, unit_id);
    let thief = NewUnit { name: "别的单位".into(), lookup_keys: vec!["省发改委".into()], ..unit.clone() };
    assert!(matches!(store.ensure_unit(&thief, &event("unit.create")).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.units_of_kind(UnitKind::Department).await.unwrap().len(), 1, "the failed unit was rolled back");

    // Enterprises: create, conflict, read with visibility, list, filter, paginate, update.
    let a = enterprise("91220104MA0000001", "长春甲化工有限公司", "220104");
    let b = enterprise("91220202MA0000002", "吉林乙机械有限公司", "220202");
    let a_id = store.create_enterprise(&a, &event("enterprise.create")).await.unwrap();
    let b_id = store.create_enterprise(&b, &event("enterprise.create")).await.unwrap();
    assert!(matches!(store.create_enterprise(&a, &event("enterprise.create")).await, Err(StoreError::Conflict(_))));
    let changchun = Visibility::RegionSubtree { path: "220000/220100/".into() };
    let stored = store.enterprise(a_id, &changchun).await.unwrap();
    assert_eq!(stored.enterprise, a);
    assert_eq!(stored.region_name, "朝阳区");
    assert!(matches!(store.enterprise(b_id, &changchun).await, Err(StoreError::NotFound)));
    assert!(matches!(store.enterprise(a_id, &Visibility::Nothing).await, Err(StoreError::NotFound)));
    assert!(store.enterprise(a_id, &Visibility::Enterprise { enterprise_id: a_id }).await.is_ok());
    assert!(matches!(store.enterprise(b_id, &Visibility::Enterprise { enterprise_id: a_id }).await, Err(StoreError::NotFound)));

    let all = store.list_enterprises(&Visibility::Everything, &EnterpriseFilter::default(), 10, 0).await.unwrap();
    assert_eq!(all.total, 2);
    let scoped = store.list_enterprises(&changchun, &EnterpriseFilter::default(), 10, 0).await.unwrap();
    assert_eq!(scoped.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![a_id]);
    let by_name = EnterpriseFilter { query: Some("机械".into()), ..Default::default() };
    assert_eq!(store.list_enterprises(&Visibility::Everything, &by_name, 10, 0).await.unwrap().total, 1);
    let by_code = EnterpriseFilter { query: Some(a.credit_code.as_str()[..10].to_lowercase()), ..Default::default() };
    assert_eq!(store.list_enterprises(&Visibility::Everything, &by_code, 10, 0).await.unwrap().total, 1);
    let wildcard = EnterpriseFilter { query: Some("%".into()), ..Default::default() };
    assert_eq!(store.list_enterprises(&Visibility::Everything, &wildcard, 10, 0).await.unwrap().total, 0, "% is literal");
    let by_sector = EnterpriseFilter { sector: Some("hazardous_chemicals".into()), ..Default::default() };
    assert_eq!(store.list_enterprises(&Visibility::Everything, &by_sector, 10, 0).await.unwrap().total, 2);
    let by_region = EnterpriseFilter { region_path: Some("220000/220200/".into()), ..Default::default() };
    assert_eq!(store.list_enterprises(&Visibility::Everything, &by_region, 10, 0).await.unwrap().items[0].id, b_id);
    let second_page = store.list_enterprises(&Visibility::Everything, &EnterpriseFilter::default(), 1, 1).await.unwrap();
    assert_eq!((second_page.items.len(), second_page.total), (1, 2));

    let mut renamed = a.clone();
    renamed.name = "长春甲化工股份有限公司".into();
    renamed.licences.clear();
    store.update_enterprise(a_id, stored.version, &renamed, &event("enterprise.update")).await.unwrap();
    let after = store.enterprise(a_id, &changchun).await.unwrap();
    assert_eq!((after.enterprise.name.as_str(), after.version, after.enterprise.licences.len()), ("长春甲化工股份有限公司", stored.version + 1, 0));
    assert!(matches!(store.update_enterprise(a_id, stored.version, &a, &event("enterprise.update")).await, Err(StoreError::Conflict(_))), "stale version");
    assert!(matches!(store.update_enterprise(9999, 1, &a, &event("enterprise.update")).await, Err(StoreError::NotFound)));

    let c = enterprise("91220184MA0000003", "公主岭丙食品有限公司", "220184");
    let outcomes = store.upsert_enterprises(&[a.clone(), c.clone()], &event("enterprise.import")).await.unwrap();
    assert!(matches!(outcomes[0], store::UpsertOutcome::Updated(id) if id == a_id));
    assert!(matches!(outcomes[1], store::UpsertOutcome::Created(_)));
    assert_eq!(store.count_enterprises().await.unwrap(), 3);
    let export = store.enterprises_for_export(&changchun, &EnterpriseFilter::default(), 100).await.unwrap();
    assert_eq!(export.iter().map(|e| e.enterprise.credit_code.clone()).collect::<Vec<_>>(), vec![a.credit_code.clone(), c.credit_code.clone()]);
    assert_eq!(export[0].enterprise.licences.len(), 1);
    let counts = store.enterprise_counts_by_child_region("220000", &Visibility::Everything).await.unwrap();
    assert_eq!(counts.iter().map(|c| (c.code.as_str(), c.count)).collect::<Vec<_>>(), vec![("220100", 2), ("220200", 1)]);
    let counts = store.enterprise_counts_by_child_region("220000", &changchun).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).collect::<Vec<_>>(), vec![2, 0]);

    // Users, logins, tokens.
    let user = NewUser {
        username: "tester".into(),
        display_name: "测试".into(),
        password_hash: "x".into(),
        role: "regulator".into(),
        unit_id,
        totp_secret: None,
        must_change_password: false,
    };
    let user_id = store.create_user(&user, &event("user.create")).await.unwrap();
    assert!(matches!(store.create_user(&user, &event("user.create")).await, Err(StoreError::Conflict(_))));
    // Attempts are claimed per account and client before the password is checked; past the
    // free ones the client waits, and only that client.
    let back_off = |attempts: i64| if attempts >= 3 { 60_000 } else { 0 };
    for attempt in 1..=3 {
        assert!(store.claim_login_attempt(user_id, "10.0.0.1", back_off).await.unwrap(), "attempt {attempt} is allowed");
        store.record_failed_login(user_id, &event("auth.login")).await.unwrap();
    }
    assert!(!store.claim_login_attempt(user_id, "10.0.0.1", back_off).await.unwrap(), "the fourth waits");
    assert!(store.login_blocked_until(user_id, "10.0.0.1", store::now_ms()).await.unwrap().is_some());
    assert!(store.claim_login_attempt(user_id, "10.0.0.2", back_off).await.unwrap(), "another client does not");
    assert_eq!(store.user(user_id).await.unwrap().failed_login_count, 3);
    assert_eq!(store.user(user_id).await.unwrap().locked_until, None, "the account itself is never locked");
    // Twelve attempts at once from one client (several processes would race the same way): the
    // claim is one serialised step, so exactly the three free ones get through.
    let claims: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_login_attempt(user_id, "10.0.0.3", back_off).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for claim in claims {
        allowed += usize::from(claim.await.unwrap());
    }
    assert_eq!(allowed, 3, "concurrent attempts cannot all slip through");
    store.record_successful_login(user_id, "10.0.0.1", &event("auth.login")).await.unwrap();
    assert!(store.login_blocked_until(user_id, "10.0.0.1", store::now_ms()).await.unwrap().is_none());
    assert_eq!(store.user(user_id).await.unwrap().failed_login_count, 0);
    assert!(store.claim_totp_step(user_id, 100).await.unwrap());
    assert!(!store.claim_totp_step(user_id, 100).await.unwrap(), "a one-time code's step is accepted once");
    assert!(!store.claim_totp_step(user_id, 99).await.unwrap(), "and no earlier one after it");
    assert!(store.claim_totp_step(user_id, 101).await.unwrap());
    store.create_api_token(user_id, "ci", "hash-1", store::now_ms() + 60_000, &event("auth.token_issue")).await.unwrap();
    store.create_api_token(user_id, "old", "hash-2", store::now_ms() - 1, &event("auth.token_issue")).await.unwrap();
    assert_eq!(store.user_by_token_hash("hash-1").await.unwrap().unwrap().id, user_id);
    assert!(store.user_by_token_hash("hash-2").await.unwrap().is_none(), "expired token");
    assert_eq!(store.api_tokens_of_user(user_id).await.unwrap().len(), 2);

    // Sessions.
    let now = store::now_ms();
    let session = SessionRow { id: "s1".into(), user_id: Some(user_id), data: "{}".into(), expires_at: now + 60_000 };
    assert!(store.create_session(&session).await.unwrap());
    assert!(!store.create_session(&session).await.unwrap(), "id collision refused");
    assert!(store.create_session(&SessionRow { id: "s2".into(), ..session.clone() }).await.unwrap());
    assert!(store.create_session(&SessionRow { id: "expired".into(), expires_at: now - 1, ..session.clone() }).await.unwrap());
    assert!(store.save_session(&SessionRow { data: r#"{"a":1}"#.into(), ..session.clone() }).await.unwrap(), "a live session is saved");
    assert_eq!(store.load_session("s1", now).await.unwrap().unwrap().data, r#"{"a":1}"#);
    assert_eq!(
        store.count_for_tests("SELECT COUNT(*) FROM sessions WHERE data NOT LIKE 'sealed1:%'").await.unwrap(),
        0,
        "session data (CSRF tokens, pending second factors) is sealed at rest"
    );
    assert!(!store.save_session(&SessionRow { id: "ended".into(), ..session.clone() }).await.unwrap(), "saving never creates");
    assert!(store.load_session("ended", now).await.unwrap().is_none(), "an ended session is never written back");
    assert!(store.load_session("expired", now).await.unwrap().is_none());
    assert_eq!(store.sessions_of_user(user_id, now).await.unwrap().len(), 2);
    assert_eq!(store.delete_sessions_of_user(user_id, Some("s1")).await.unwrap(), 2);
    assert!(store.load_session("s1", now).await.unwrap().is_some());
    store.delete_session("s1").await.unwrap();
    assert!(store.load_session("s1", now).await.unwrap().is_none());
    assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 0);

    // Audit: every change above appended an entry; the chain verifies; tampering is detected.
    let checked = store.verify_audit_chain().await.unwrap().unwrap();
    assert_eq!(checked, 13, "one entry per change: regions, unit, 2 creates, update, import, user, 3 failed and 1 good login, 2 tokens");
    let page = store.audit_page(&store::AuditFilter { action_prefix: Some("enterprise.".into()), ..Default::default() }, 100, 0).await.unwrap();
    assert_eq!(page.total, 4);
    assert!(store.execute_raw_for_tests("UPDATE audit_log SET target = 'forged' WHERE seq = 3").await.is_err(), "the database refuses to edit the log");
    assert!(store.execute_raw_for_tests("DELETE FROM audit_log WHERE seq = 3").await.is_err(), "the database refuses to delete from the log");
    store::testing::remove_audit_protection(store).await.unwrap();
    store.execute_raw_for_tests("UPDATE audit_log SET target = 'forged' WHERE seq = 3").await.unwrap();
    assert_eq!(store.verify_audit_chain().await.unwrap(), Err(ChainError::Edited { seq: 3 }));
    drop(db);

    let db = fresh(backend).await.unwrap();
    load_regions(&db.store).await;
    for i in 0..4 {
        db.store.record_audit(&event(&format!("test.{i}"))).await.unwrap();
    }
    store::testing::remove_audit_protection(&db.store).await.unwrap();
    db.store.execute_raw_for_tests("DELETE FROM audit_log WHERE seq = 2").await.unwrap();
    assert_eq!(db.store.verify_audit_chain().await.unwrap(), Err(ChainError::Gap { after: 1, seq: 3 }));
    db.store.execute_raw_for_tests("INSERT INTO audit_log SELECT 2, occurred_at, actor_id, actor_name, unit_id, action, 'inserted', outcome, details, client, prev_hash, hash, mac FROM audit_log WHERE seq = 1").await.unwrap();
    assert_eq!(db.store.verify_audit_chain().await.unwrap(), Err(ChainError::Edited { seq: 2 }));

    // Whoever holds the database (and the code, but not the key) rewrites entry 3 and
    // recomputes every hash after it: the plain chain is consistent again, the keyed one is not.
    let db = fresh(backend).await.unwrap();
    load_regions(&db.store).await;
    for i in 0..5 {
        db.store.record_audit(&event(&format!("test.{i}"))).await.unwrap();
    }
    assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    store::testing::remove_audit_protection(&db.store).await.unwrap();
    let mut entries = db.store.audit_entries_after(0, 100).await.unwrap();
    entries[2].target = "rewritten".into();
    for index in 2..entries.len() {
        entries[index].prev_hash = entries[index - 1].hash.clone();
        entries[index].hash = entries[index].computed_hash();
        db.store
            .execute_raw_for_tests(&format!(
                "UPDATE audit_log SET target = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                entries[index].target, entries[index].prev_hash, entries[index].hash, entries[index].seq
            ))
            .await
            .unwrap();
    }
    let unkeyed = store::Store::connect(&db.url).await.unwrap();
    assert!(unkeyed.verify_audit_chain().await.unwrap().is_ok(), "without the key the rewrite passes");
    assert_eq!(db.store.verify_audit_chain().await.unwrap(), Err(ChainError::Forged { seq: 3 }), "with the key it is caught");

    // Secrets are sealed at rest: the stored TOTP secret is not the secret, and a store without
    // the key refuses to read it rather than report no second factor.
    let sealed_unit = NewUnit {
        kind: UnitKind::Department,
        name: "密封测试单位".into(),
        full_name: "密封测试单位".into(),
        region_code: Some("220000".into()),
        enterprise_id: None,
        lookup_keys: vec![],
    };
    let unit_id = db.store.ensure_unit(&sealed_unit, &event("unit.create")).await.unwrap();
    let user = NewUser {
        username: "sealed".into(),
        display_name: "密封".into(),
        password_hash: "x".into(),
        role: "regulator".into(),
        unit_id,
        totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
        must_change_password: false,
    };
    let id = db.store.create_user(&user, &event("user.create")).await.unwrap();
    assert_eq!(db.store.user(id).await.unwrap().totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    let raw = db.store.count_for_tests(&format!("SELECT COUNT(*) FROM users WHERE id = {id} AND totp_secret LIKE 'sealed1:%'")).await.unwrap();
    assert_eq!(raw, 1, "stored sealed");
    assert!(matches!(unkeyed.user(id).await, Err(StoreError::Corrupt(_))));
    // Secrets stored before sealing began are sealed at start-up.
    db.store.execute_raw_for_tests(&format!("UPDATE users SET totp_secret = 'LEGACYSECRET' WHERE id = {id}")).await.unwrap();
    assert_eq!(db.store.seal_legacy_secrets().await.unwrap(), 1);
    assert_eq!(db.store.user(id).await.unwrap().totp_secret.as_deref(), Some("LEGACYSECRET"));
    assert_eq!(db.store.seal_legacy_secrets().await.unwrap(), 0);

    // A channel's address (here a 钉钉 robot's key and secret) and a code's text are sealed too.
    let robot = InboxChannelRow {
        channel: Channel::Dingtalk,
        address: "robotkey123 SECsecret456".into(),
        urgent_only: false,
        lang: "zh-CN".into(),
        verified_at: Some(0),
        code_sent_at: None,
    };
    let code = ChannelCode { channel: Channel::Dingtalk, code_hash: "h".into(), notice: "{}".into(), sent_text: "验证码 913524".into() };
    db.store.set_inbox_channels(id, std::slice::from_ref(&robot), &[code], &event("inbox.channels")).await.unwrap();
    let shown = db.store.inbox_channels(id).await.unwrap();
    assert_eq!((shown.len(), shown[0].address.as_str()), (1, "robotkey123 SECsecret456"));
    for (table, column) in [("inbox_channels", "address"), ("inbox_deliveries", "address"), ("inbox_deliveries", "own_message")] {
        let clear =
            db.store.count_for_tests(&format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%SECsecret456%' OR {column} LIKE '%913524%'")).await.unwrap();
        assert_eq!(clear, 0, "{table}.{column} holds no secret in clear");
    }
    assert!(matches!(unkeyed.inbox_channels(id).await, Err(StoreError::Corrupt(_))), "without the key an address is not read as its sealed form");
    let due = db.store.take_due_deliveries(store::now_ms() + 1_000, store::now_ms() + 60_000, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| (d.address.as_str(), d.message.as_str())).collect::<Vec<_>>(), [("robotkey123 SECsecret456", "验证码 913524")]);
    db.store.record_delivery_attempt(due[0].id, Ok(())).await.unwrap();
    // Saved again unchanged, a channel keeps its waiting deliveries; with another address it
    // withdraws them.
    let post = |topic: &str| UnitPost {
        unit_id,
        only_user_id: None,
        topic: topic.into(),
        urgent: false,
        message: "{}".into(),
        link: "/".into(),
        except_user_id: None,
    };
    assert_eq!(db.store.post_to_units(&[post("sealed:1")]).await.unwrap(), 1);
    db.store.set_inbox_channels(id, std::slice::from_ref(&robot), &[], &event("inbox.channels")).await.unwrap();
    assert_eq!(db.store.delivery_counts().await.unwrap().pending, 1, "an unchanged address keeps its delivery");
    let moved = InboxChannelRow { address: "otherkey SECother".into(), ..robot.clone() };
    db.store.set_inbox_channels(id, std::slice::from_ref(&moved), &[], &event("inbox.channels")).await.unwrap();
    assert_eq!((db.store.delivery_counts().await.unwrap().pending, db.store.delivery_counts().await.unwrap().failed), (0, 1), "a changed address withdraws it");
    // Addresses stored before sealing began are sealed at start-up, with their waiting deliveries.
    db.store.execute_raw_for_tests(&format!("UPDATE inbox_channels SET address = 'legacy@example.cn' WHERE user_id = {id}")).await.unwrap();
    assert_eq!(db.store.post_to_units(&[post("sealed:2")]).await.unwrap(), 1);
    assert_eq!(db.store.seal_legacy_secrets().await.unwrap(), 1);
    assert_eq!(db.store.count_for_tests("SELECT COUNT(*) FROM inbox_channels WHERE address LIKE 'sealed1:%'").await.unwrap(), 1);
    db.store.set_inbox_channels(id, &[InboxChannelRow { address: "legacy@example.cn".into(), ..robot.clone() }], &[], &event("inbox.channels")).await.unwrap();
    let due = db.store.take_due_deliveries(store::now_ms() + 1_000, store::now_ms() + 60_000, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.address.as_str()).collect::<Vec<_>>(), ["legacy@example.cn"], "still waiting, and read back");
    assert_eq!(db.store.seal_legacy_secrets().await.unwrap(), 0);
    // A delivery that cannot be opened (sealed under another key, or damaged) is given up,
    // saying why, and the others still go.
    let failed_before = db.store.delivery_counts().await.unwrap().failed;
    assert_eq!(db.store.post_to_units(&[post("sealed:3")]).await.unwrap(), 1);
    db.store
        .execute_raw_for_tests("UPDATE inbox_deliveries SET address = 'sealed1:AAAAdamaged' WHERE id = (SELECT MAX(id) FROM inbox_deliveries)")
        .await
        .unwrap();
    assert_eq!(db.store.post_to_units(&[post("sealed:4")]).await.unwrap(), 1);
    let due = db.store.take_due_deliveries(store::now_ms() + 1_000, store::now_ms() + 60_000, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.address.as_str()).collect::<Vec<_>>(), ["legacy@example.cn"], "the readable one goes");
    assert_eq!(db.store.delivery_counts().await.unwrap().failed, failed_before + 1, "the unreadable one is given up");
}

#[tokio::test]
async fn conformance_on_every_configured_backend() {
    for backend in backends() {
        suite(backend).await;
    }
}

#[test]
fn migrations_have_the_same_versions_on_both_backends() {
    let versions = |dir: &str| {
        let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
    let embedded = |m: &sqlx::migrate::Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
    assert_eq!(embedded(&store::SQLITE_MIGRATIONS), embedded(&store::POSTGRES_MIGRATIONS));
}
