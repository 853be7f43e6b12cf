//! The inbox on the real store: a hidden danger reported in a county waits in that county
//! regulator's inbox (and not in another city's) until it is confirmed, and the regulator is told
//! by a message, read or unread; what waits names the page that lists it; messages reach the
//! people `app::policy::acts_for` names; deliveries go out on the chosen channels, once, and are
//! retried when the receiver fails.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::hidden_dangers::DangerInput;
use app::{Actor, App, Client};

use crate::support::actor;

async fn waiting(app: &App, who: &Actor, kind: &str) -> usize {
    let inbox = app.inbox(who, &Client::cli(), false, 1, 50).await.unwrap();
    inbox.waiting.iter().find(|w| w.kind == kind).map_or(0, |w| w.count)
}

#[tokio::test]
async fn what_waits_on_each_user_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (chaoyang, jilinshi, enterprise) = (actor(&app, "chaoyang").await, actor(&app, "jilinshi").await, actor(&app, "enterprise").await);
        let (chaoyang_before, jilinshi_before) = (waiting(&app, &chaoyang, "dangers_to_confirm").await, waiting(&app, &jilinshi, "dangers_to_confirm").await);
        let input = DangerInput {
            enterprise_id: enterprise.enterprise_id.unwrap(),
            location: "罐区".into(),
            description: "收件箱测试:储罐液位计失灵".into(),
            source: "self_check".into(),
            grade: "general".into(),
            responsible_person: "张工".into(),
            ..Default::default()
        };
        let danger = app.report_danger(&enterprise, &client, &input).await.unwrap();
        assert_eq!(waiting(&app, &chaoyang, "dangers_to_confirm").await, chaoyang_before + 1, "{backend}: the county regulator is waited on");
        assert_eq!(waiting(&app, &jilinshi, "dangers_to_confirm").await, jilinshi_before, "{backend}: another city is not");
        let inbox = app.inbox(&chaoyang, &client, false, 1, 50).await.unwrap();
        assert_eq!(inbox.waiting.iter().find(|w| w.kind == "dangers_to_confirm").unwrap().link, "/dangers?state=reported");
        // The regulator is told by a message, unread, pointing at the danger; another city's
        // regulator and the reporter are not.
        let told = |inbox: &app::inbox::Inbox| inbox.messages.items.iter().find(|m| m.link == format!("/dangers/{}", danger.id)).cloned();
        let message = told(&inbox).unwrap_or_else(|| panic!("{backend}: chaoyang is told of danger {}", danger.id));
        assert!(!message.read && message.message.render(domain::message::Lang::Zh).contains("收件箱测试"), "{backend}: {message:?}");
        let (_, unread_before) = app.message_counts(&chaoyang).await.unwrap();
        assert!(unread_before >= 1);
        assert!(told(&app.inbox(&jilinshi, &client, false, 1, 50).await.unwrap()).is_none(), "{backend}: another city is not told");
        assert!(told(&app.inbox(&enterprise, &client, false, 1, 50).await.unwrap()).is_none(), "{backend}: the reporter is not told of its own report");
        // Only its owner opens it: for anyone else it does not exist, and stays unread.
        assert_eq!(app.open_message(&jilinshi, message.id).await.unwrap(), None);
        assert_eq!(app.mark_messages_read(&jilinshi, Some(&[message.id])).await.unwrap(), 0);
        assert!(!told(&app.inbox(&chaoyang, &client, false, 1, 50).await.unwrap()).unwrap().read);
        assert_eq!(app.open_message(&chaoyang, message.id).await.unwrap(), Some(format!("/dangers/{}", danger.id)));
        assert!(told(&app.inbox(&chaoyang, &client, false, 1, 50).await.unwrap()).unwrap().read, "{backend}: opened, so read");
        assert_eq!(app.message_counts(&chaoyang).await.unwrap().1, unread_before - 1, "{backend}: the unread count follows");
        assert!(told(&app.inbox(&chaoyang, &client, true, 1, 50).await.unwrap()).is_none(), "{backend}: not among the unread");
        let confirm = app::hidden_dangers::DangerActionInput { action: "confirm".into(), ..Default::default() };
        app.act_on_danger(&chaoyang, &client, danger.id, &confirm).await.unwrap();
        assert!(told(&app.inbox(&enterprise, &client, false, 1, 50).await.unwrap()).is_some(), "{backend}: the enterprise is told to plan");
        assert_eq!(waiting(&app, &chaoyang, "dangers_to_confirm").await, chaoyang_before, "{backend}: confirmed, no longer waiting");
        assert!(waiting(&app, &enterprise, "dangers_to_rectify").await >= 1, "{backend}: the enterprise now has it to rectify");
        // In a county whose bureau has no accounts yet, the city's bureau is told instead.
        let (changchun, inspector) = (actor(&app, "changchun").await, actor(&app, "inspector").await);
        let listed = app.list_enterprises(&changchun, &client, &app::enterprises::ListQuery::default(), 1, 200).await.unwrap().items;
        let elsewhere = listed.iter().find(|e| e.region_code != "220104").expect("a 长春 enterprise outside 朝阳区");
        let far = app.report_danger(&inspector, &client, &DangerInput { enterprise_id: elsewhere.id, ..input.clone() }).await.unwrap();
        let city_inbox = app.inbox(&changchun, &client, false, 1, 200).await.unwrap();
        assert!(city_inbox.messages.items.iter().any(|m| m.link == format!("/dangers/{}", far.id)), "{backend}: the city's bureau is told");
        assert!(!city_inbox.messages.items.iter().any(|m| m.link == format!("/dangers/{}", danger.id)), "{backend}: not of what its county's bureau is told");
        // Nothing of the kind for an account with no reach (the auditor).
        let auditor = actor(&app, "auditor").await;
        assert!(app.inbox(&auditor, &client, false, 1, 50).await.unwrap().waiting.is_empty());
    }
}

/// The people a unit's messages reach (the `unit_recipients` view) are exactly the unit's own
/// people who are not administrators, and those `policy::acts_for` lets act for it.
#[tokio::test]
async fn messages_reach_the_people_who_act_for_the_unit_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let listed = app.store.list_users(None, 100_000, 0).await.unwrap();
        let mut actors = Vec::new();
        for user in listed.users.iter().filter(|u| !u.disabled) {
            actors.push(app.actor_for_user(&app.store.user(user.id).await.unwrap()).await.unwrap());
        }
        let mut compared = 0;
        for kind in [domain::unit::UnitKind::Government, domain::unit::UnitKind::Office, domain::unit::UnitKind::Department, domain::unit::UnitKind::Enterprise]
        {
            for unit in app.store.units_of_kind(kind).await.unwrap().into_iter().take(40) {
                let assigned = app::policy::AssignedUnit { unit_id: unit.id, unit_kind: kind.as_str(), region_code: unit.region_code.as_deref() };
                let mut expected: Vec<i64> = actors
                    .iter()
                    .filter(|a| {
                        let own = a.unit_id == unit.id && !a.role.is_administrator() && a.role != domain::role::Role::Unassigned;
                        own || (a.unit_id != unit.id && app::policy::acts_for(a, &assigned))
                    })
                    .map(|a| a.user_id)
                    .collect();
                expected.sort();
                assert_eq!(app.store.unit_recipients(unit.id).await.unwrap(), expected, "{backend}: unit {} ({})", unit.id, unit.name);
                compared += 1;
            }
        }
        assert!(compared > 40, "{backend}: {compared} units compared");
    }
}

/// What the stand-in receivers got: (path, body).
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A 企业微信-style robot (answers `errcode` 0, or 93000 for the key `refusing-robot`) and an SMS
/// gateway that fails its second call (the first message after the code), on a free loopback port.
async fn receivers() -> (String, Received) {
    use axum::routing::post;
    let received: Received = Default::default();
    let sms_calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (robot_log, sms_log) = (received.clone(), received.clone());
    let router = axum::Router::new()
        .route(
            "/robot",
            post(move |query: axum::extract::RawQuery, body: String| {
                let log = robot_log.clone();
                async move {
                    let refused = query.0.as_deref().unwrap_or_default().contains("refusing-robot");
                    log.lock().unwrap().push((format!("/robot?{}", query.0.unwrap_or_default()), body));
                    if refused { r#"{"errcode":93000,"errmsg":"invalid webhook url"}"# } else { r#"{"errcode":0,"errmsg":"ok"}"# }
                }
            }),
        )
        .route(
            "/sms",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let (log, calls) = (sms_log.clone(), sms_calls.clone());
                async move {
                    let authorised = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer gateway-token");
                    log.lock().unwrap().push(("/sms".into(), body));
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 || !authorised {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, received)
}

#[tokio::test]
async fn deliveries_go_out_once_on_the_chosen_channels_and_are_retried_on_every_configured_backend() {
    use app::inbox::ChannelChoice;
    use app::inbox::delivery::{DeliverySettings, SmsGateway};
    use domain::inbox::Channel;
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let (base, received) = receivers().await;
        let settings = DeliverySettings {
            sms: Some(SmsGateway { url: format!("{base}/sms"), token: Some("gateway-token".into()) }),
            wecom_url: Some(format!("{base}/robot?key=")),
            dingtalk_url: Some(format!("{base}/robot?access_token=")),
            site_url: Some("https://aq.example.cn".into()),
            ..Default::default()
        };
        let app = App::new(db.store.clone(), Default::default()).with_delivery(settings);
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (chaoyang, enterprise) = (actor(&app, "chaoyang").await, actor(&app, "enterprise").await);
        // Channels are checked: e-mail is not configured here, and a bad number is named.
        let refused = app
            .set_channels(
                &chaoyang,
                &client,
                &[
                    ChannelChoice { channel: Channel::Email, address: "a@b.cn".into(), urgent_only: false, lang: "zh-CN".into() },
                    ChannelChoice { channel: Channel::Sms, address: "12345".into(), urgent_only: false, lang: "zh-CN".into() },
                ],
            )
            .await;
        match refused {
            Err(app::AppError::Invalid(problems)) => {
                assert_eq!(problems.iter().map(|p| p.field).collect::<Vec<_>>(), ["email", "sms"], "{backend}")
            }
            other => panic!("{backend}: {other:?}"),
        }
        app.set_channels(
            &chaoyang,
            &client,
            &[
                ChannelChoice { channel: Channel::Wecom, address: "robot-key-1234".into(), urgent_only: false, lang: "en".into() },
                ChannelChoice { channel: Channel::Sms, address: "13912345678".into(), urgent_only: true, lang: "zh-CN".into() },
            ],
        )
        .await
        .unwrap();
        // Neither the audit log nor the inbox's notice keeps the phone number in full.
        let full = db.store.count_for_tests("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%13912345678%'").await.unwrap()
            + db.store.count_for_tests("SELECT COUNT(*) FROM inbox_messages WHERE message LIKE '%13912345678%'").await.unwrap();
        assert_eq!(full, 0, "{backend}: the number is masked outside the channel itself");
        assert!(db.store.count_for_tests("SELECT COUNT(*) FROM inbox_messages WHERE message LIKE '%139****5678%'").await.unwrap() > 0, "{backend}");
        let report = |grade: &str, description: &str| DangerInput {
            enterprise_id: enterprise.enterprise_id.unwrap(),
            location: "罐区".into(),
            description: description.into(),
            source: "self_check".into(),
            grade: grade.into(),
            responsible_person: "张工".into(),
            ..Default::default()
        };
        // A new address is verified first: a code goes there, the inbox says so (without the
        // code), and nothing else goes there until the code is typed back.
        app.report_danger(&enterprise, &client, &report("major", "送达测试验证前")).await.unwrap();
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((2, 0)), "{backend}: the two codes, nothing else");
        let codes: Vec<(String, String)> = {
            let got = received.lock().unwrap();
            assert!(!got.iter().any(|(_, body)| body.contains("送达测试验证前")), "{backend}: an unverified channel gets nothing: {got:?}");
            got.iter()
                .map(|(path, body)| {
                    let digits: Vec<char> = body.chars().collect();
                    let code =
                        digits.windows(6).find(|w| w.iter().all(char::is_ascii_digit) && !body.contains(&format!("1391{}", w.iter().collect::<String>())));
                    (path.clone(), code.map(|w| w.iter().collect()).unwrap_or_default())
                })
                .collect()
        };
        let code_of = |prefix: &str| codes.iter().find(|(path, _)| path.starts_with(prefix)).map(|(_, code)| code.clone()).unwrap();
        let notices = app.messages(&chaoyang, false, 1, 50).await.unwrap().items;
        let notice = notices.iter().find(|m| m.link == "/inbox/channels").expect("told a code was sent").message.render(domain::message::Lang::Zh);
        assert!(notice.contains("验证码已发送") && !notice.contains(&code_of("/sms")), "{backend}: {notice}");
        let wrong: String = code_of("/sms").chars().map(|c| if c == '9' { '0' } else { char::from(c as u8 + 1) }).collect();
        let refused = app.verify_channel(&chaoyang, &client, Channel::Sms, &wrong).await;
        assert!(matches!(&refused, Err(app::AppError::Invalid(p)) if p[0].message.code == "inbox.code_wrong"), "{backend}: {refused:?}");
        app.verify_channel(&chaoyang, &client, Channel::Sms, &code_of("/sms")).await.unwrap();
        app.verify_channel(&chaoyang, &client, Channel::Wecom, &code_of("/robot")).await.unwrap();
        let (chosen, _) = app.channels(&chaoyang).await.unwrap();
        assert!(chosen.iter().all(|c| c.verified), "{backend}: {chosen:?}");
        received.lock().unwrap().clear();
        app.report_danger(&enterprise, &client, &report("general", "送达测试一般隐患")).await.unwrap();
        app.report_danger(&enterprise, &client, &report("major", "送达测试重大隐患")).await.unwrap();
        // One process sends; another finds the lease held.
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((2, 1)), "{backend}: two robot posts, the SMS refused");
        assert_eq!(app.deliver_due_messages("process-b").await.unwrap(), None, "{backend}: the lease is held");
        {
            let got = received.lock().unwrap();
            let robot: Vec<&(String, String)> = got.iter().filter(|(path, _)| path.starts_with("/robot")).collect();
            assert_eq!(robot.len(), 2, "{backend}: {got:?}");
            assert!(robot.iter().all(|(path, body)| path == "/robot?key=robot-key-1234" && body.contains("\"msgtype\":\"text\"")));
            assert!(robot.iter().any(|(_, body)| body.contains("A hidden danger (Major) was reported") && body.contains("https://aq.example.cn/dangers/")));
            // Only the urgent (major) one went to the phone, in Chinese.
            let sms: Vec<&(String, String)> = got.iter().filter(|(path, _)| path == "/sms").collect();
            assert_eq!(sms.len(), 1, "{backend}: {got:?}");
            assert!(sms[0].1.contains("13912345678") && sms[0].1.contains("重大") && sms[0].1.contains("送达测试重大隐患"), "{backend}: {sms:?}");
        }
        let counts = app.store.delivery_counts().await.unwrap();
        assert_eq!((counts.pending, counts.sent, counts.failed), (1, 2 + 2, 0), "{backend}: the codes and two robot posts sent");
        // Nothing is sent twice, and the failed one waits for its retry.
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((0, 0)), "{backend}");
        domain::time::set_now_for_thread(Some(domain::time::now_ms() + 61_000));
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((1, 0)), "{backend}: retried after a minute");
        domain::time::set_now_for_thread(None);
        let counts = app.store.delivery_counts().await.unwrap();
        assert_eq!((counts.pending, counts.sent, counts.failed), (0, 2 + 3, 0), "{backend}");
        // A robot that answers 200 with an error code has not posted the message.
        app.set_channels(
            &chaoyang,
            &client,
            &[ChannelChoice { channel: Channel::Wecom, address: "refusing-robot".into(), urgent_only: false, lang: "zh-CN".into() }],
        )
        .await
        .unwrap();
        // (its code is the first thing posted to it)
        domain::time::set_now_for_thread(Some(domain::time::now_ms() + 20_000));
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((0, 1)), "{backend}: errcode 93000 is a failure");
        domain::time::set_now_for_thread(None);
        // Its retry waits; the robot is then removed, and what waited for it is never sent.
        assert_eq!(app.store.delivery_counts().await.unwrap().pending, 1, "{backend}: the refused post waits for its retry");
        app.set_channels(&chaoyang, &client, &[]).await.unwrap();
        let counts = app.store.delivery_counts().await.unwrap();
        assert_eq!((counts.pending, counts.failed), (0, 1), "{backend}: withdrawn with the channel");
        domain::time::set_now_for_thread(Some(domain::time::now_ms() + 3 * 3_600_000));
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((0, 0)), "{backend}: nothing left to send");
        domain::time::set_now_for_thread(None);
        // A 钉钉 robot that signs (加签): its key and secret, and each post carries the time and
        // the signature; the secret itself never travels.
        app.set_channels(
            &chaoyang,
            &client,
            &[ChannelChoice { channel: Channel::Dingtalk, address: "0123456789abcdef SEC0123456789abcdef".into(), urgent_only: false, lang: "zh-CN".into() }],
        )
        .await
        .unwrap();
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((1, 0)), "{backend}: its code");
        // Saved again at once, no second code goes; typed after half an hour, the code is refused.
        app.set_channels(
            &chaoyang,
            &client,
            &[ChannelChoice { channel: Channel::Dingtalk, address: "0123456789abcdef SEC0123456789abcdef".into(), urgent_only: true, lang: "zh-CN".into() }],
        )
        .await
        .unwrap();
        assert_eq!(app.deliver_due_messages("process-a").await.unwrap(), Some((0, 0)), "{backend}: one code a minute at most");
        domain::time::set_now_for_thread(Some(domain::time::now_ms() + 31 * 60_000));
        let late = app.verify_channel(&chaoyang, &client, Channel::Dingtalk, "123456").await;
        domain::time::set_now_for_thread(None);
        assert!(matches!(&late, Err(app::AppError::Invalid(p)) if p[0].message.code == "inbox.code_expired"), "{backend}: {late:?}");
        let got = received.lock().unwrap();
        let (path, _) = got.iter().rev().find(|(path, _)| path.starts_with("/robot?access_token=")).unwrap();
        let query: Vec<&str> = path.split(['?', '&']).skip(1).collect();
        assert_eq!(query[0], "access_token=0123456789abcdef", "{backend}: {path}");
        assert!(query[1].strip_prefix("timestamp=").is_some_and(|t| t.parse::<i64>().is_ok()), "{backend}: {path}");
        assert!(query[2].strip_prefix("sign=").is_some_and(|s| s.len() >= 44 && !s.contains(['+', '/', '='])), "{backend}: {path}");
        assert!(!path.contains("SEC"), "{backend}: the secret stays here: {path}");
    }
}
