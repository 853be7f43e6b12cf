//! Whistleblowing on the real store: a tip without an account is refused by field when wrong and
//! answered with a receipt that opens it (and nothing else); the handler of its territory accepts,
//! verifies with a link, answers (the feedback) and closes it, and no one else can; a named
//! reporter's identity opens only after a custodian other than the requester approves; the reward
//! follows the rules and is paid to whoever presents the code. (That the database holds none of it
//! readable is checked on the files themselves in `web/tests/integration/anonymity.rs`.)

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use app::tips::{RewardInput, TipActionInput};
use app::{App, AppError, Client};
use domain::tips::{TipInput, TipState};

fn fields<T: std::fmt::Debug>(result: Result<T, AppError>) -> Vec<&'static str> {
    match result {
        Err(AppError::Invalid(problems)) => problems.iter().map(|p| p.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

use crate::support::actor;

fn act(action: &str) -> TipActionInput {
    TipActionInput { action: action.into(), ..Default::default() }
}

#[tokio::test]
async fn a_tip_is_followed_handled_and_rewarded_by_its_receipt_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 40).await.unwrap();
        let client = Client::cli();
        let (office, changchun, chaoyang, jilinshi, inspector) = (
            actor(&app, "office").await,
            actor(&app, "changchun").await,
            actor(&app, "chaoyang").await,
            actor(&app, "jilinshi").await,
            actor(&app, "inspector").await,
        );
        let own = actor(&app, "enterprise").await.enterprise_id.unwrap();
        let secret_text = "三号车间液氨管道阀门泄漏，班组长要求瞒着不报";
        let input = TipInput {
            kind: "major_danger".into(),
            region_code: "220104".into(),
            enterprise_id: Some(own),
            description: secret_text.into(),
            anonymous: false,
            internal: true,
            name: Some("举报人甲乙".into()),
            phone: Some("13904310099".into()),
            ..Default::default()
        };

        // Bad input by field; an enterprise of another county is refused.
        let bad = TipInput { kind: "gossip".into(), description: "<b>短</b>".into(), phone: Some("110".into()), ..input.clone() };
        assert_eq!(fields(app.submit_tip(&bad).await), ["kind", "description", "phone"], "{backend}");
        assert_eq!(fields(app.submit_tip(&TipInput { region_code: "220102".into(), ..input.clone() }).await), ["enterprise_id"]);

        let (id, receipt) = app.submit_tip(&input).await.unwrap();
        assert_eq!(receipt.len(), 29, "24 characters in six groups");
        let seen = app.follow_tip(&receipt.to_lowercase()).await.unwrap();
        assert_eq!((seen.state, seen.description.as_str()), (TipState::Received, secret_text), "{backend}");
        let wrong = format!("{}0", &receipt[..28]);
        let wrong = if wrong == receipt { format!("{}1", &receipt[..28]) } else { wrong };
        assert!(matches!(app.follow_tip(&wrong).await, Err(AppError::NotFound)));
        assert!(matches!(app.follow_tip("not a code").await, Err(AppError::NotFound)), "malformed answers like unknown");

        // Files by the receipt: one refused file keeps none; a Word file and a workbook are kept
        // without their authors, and the handler reads them back. PDFs are not taken yet.
        let file = |name: &str, bytes: &[u8]| app::workplans::UploadedFile { file_name: name.into(), bytes: bytes.to_vec() };
        let pdf = include_bytes!("../../../../fuzz/corpus/tip_file/seed-pdf-info-xmp");
        let docx = app::documents::docx_with(&["阀门照片说明"]);
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.set_properties(&rust_xlsxwriter::DocProperties::new().set_author("SECRET-AUTHOR"));
        workbook.add_worksheet().write(0, 0, "巡检记录").unwrap();
        let xlsx = workbook.save_to_buffer().unwrap();
        let refused = app.add_tip_files(&receipt, vec![file("说明.docx", &docx), file("run.exe", b"MZ\x90\0")]).await;
        assert_eq!(fields(refused), ["files"], "{backend}");
        assert_eq!(fields(app.add_tip_files(&receipt, vec![file("a.pdf", pdf)]).await), ["files"], "not yet a PDF");
        assert_eq!(fields(app.add_tip_files(&receipt, vec![file("x.docx", &vec![0; app::tips::ATTACHMENT_BYTES_MAX + 1])]).await), ["files"]);
        assert_eq!(app.add_tip_files(&receipt, vec![file("说明.docx", &docx), file("记录.xlsx", &xlsx)]).await.unwrap(), 2, "{backend}");
        assert_eq!(fields(app.add_tip_files(&receipt, (0..9).map(|_| file("b.docx", &docx)).collect()).await), ["files"], "at most ten files a tip");
        assert_eq!(app.follow_tip(&receipt).await.unwrap().attachments, 2, "{backend}");
        app.reporter_message(&receipt, "补充:泄漏点在东侧第二个阀门").await.unwrap();

        // Only its territory's handlers see it; an inspector and another city do not.
        assert!(app.tips(&changchun, &client).await.unwrap().iter().any(|t| t.id == id));
        assert!(!app.tips(&jilinshi, &client).await.unwrap().iter().any(|t| t.id == id), "{backend}");
        assert!(matches!(app.tip_view(&jilinshi, &client, id).await, Err(AppError::NotFound)));
        assert!(app.tips(&inspector, &client).await.is_err());
        let view = app.tip_view(&chaoyang, &client, id).await.unwrap();
        assert!(view.has_identity && view.identity.is_none(), "the handler does not see who reported by default");
        let kinds: Vec<&str> = view.attachments.iter().map(|a| a.content_type.as_str()).collect();
        assert_eq!(
            kinds,
            ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
            "{backend}"
        );
        let (_, kept_docx) = app.tip_attachment(&chaoyang, &client, id, view.attachments[0].id).await.unwrap();
        let (_, kept_xlsx) = app.tip_attachment(&chaoyang, &client, id, view.attachments[1].id).await.unwrap();
        let mut core = String::new();
        zip::ZipArchive::new(std::io::Cursor::new(kept_xlsx)).unwrap().by_name("docProps/core.xml").unwrap().read_to_string(&mut core).unwrap();
        assert!(!core.contains("SECRET"), "{backend}: the workbook is kept without its author");
        assert_eq!(app::documents::docx_text(&kept_docx).unwrap().trim(), "阀门照片说明", "the Word file still reads");

        // The identity opens only after a custodian (not the requester) approves.
        let request = app.request_tip_identity(&chaoyang, &client, id, "需要补充询问现场情况").await.unwrap();
        assert!(app.decide_tip_identity(&chaoyang, &client, request, true, "同意").await.is_err(), "not one's own request");
        assert!(app.decide_tip_identity(&changchun, &client, request, true, "同意").await.is_err(), "a regulator is no custodian");
        app.decide_tip_identity(&office, &client, request, true, "确有必要，同意").await.unwrap();
        let identity = app.tip_view(&chaoyang, &client, id).await.unwrap().identity.unwrap();
        assert_eq!(identity.name, "举报人甲乙");
        assert!(app.tip_view(&changchun, &client, id).await.unwrap().identity.is_none(), "only to the handler who asked");

        // Handling: accept, verify with a hidden danger, answer (the feedback), close.
        assert!(matches!(app.act_on_tip(&chaoyang, &client, id, &act("close")).await, Err(AppError::Conflict(_))), "{backend}");
        app.act_on_tip(&chaoyang, &client, id, &act("accept")).await.unwrap();
        let danger = app::hidden_dangers::DangerInput {
            enterprise_id: own,
            location: "三号车间".into(),
            description: "液氨管道阀门泄漏".into(),
            source: "tip".into(),
            source_ref: Some(format!("tip:{id}")),
            grade: "major".into(),
            deadline: Some(domain::time::today().to_string()),
            responsible_person: "赵明".into(),
        };
        let danger = app.report_danger(&chaoyang, &client, &danger).await.unwrap();
        let verify = TipActionInput {
            action: "verify".into(), outcome: "经核查属实，已责令停用整改".into(), danger_id: Some(danger.id), ..Default::default()
        };
        app.act_on_tip(&chaoyang, &client, id, &verify).await.unwrap();
        assert!(matches!(app.act_on_tip(&chaoyang, &client, id, &act("close")).await, Err(AppError::Conflict(_))), "feedback first");
        app.reply_to_tip(&chaoyang, &client, id, "您反映的问题经核查属实，感谢您的举报").await.unwrap();
        app.act_on_tip(&chaoyang, &client, id, &act("close")).await.unwrap();
        let seen = app.follow_tip(&receipt).await.unwrap();
        assert_eq!(seen.state, TipState::Closed, "{backend}");
        assert_eq!(seen.messages.len(), 2);
        assert!(seen.messages.iter().all(|m| m.author.is_none()), "the reporter does not learn handlers' names");

        // The reward: 15 % of ¥200,000 is ¥30,000; paid by the custodian to the code's holder.
        let reward = RewardInput { fine_yuan: Some(200_000), paying_unit: "长春市朝阳区应急管理局".into(), ..Default::default() };
        assert_eq!(fields(app.approve_tip_reward(&chaoyang, &client, id, &RewardInput { fine_yuan: Some(-5), ..reward.clone() }).await), ["fine_yuan"]);
        assert_eq!(app.approve_tip_reward(&chaoyang, &client, id, &reward).await.unwrap(), 30_000);
        assert!(matches!(app.approve_tip_reward(&chaoyang, &client, id, &reward).await, Err(AppError::Conflict(_))), "once");
        assert!(app.record_reward_paid(&changchun, &client, &receipt).await.is_err(), "a regulator is no custodian");
        assert!(matches!(app.record_reward_paid(&office, &client, &wrong).await, Err(AppError::NotFound)));
        app.record_reward_paid(&office, &client, &receipt).await.unwrap();
        let reward = app.follow_tip(&receipt).await.unwrap().reward.unwrap();
        assert_eq!((reward.reward_yuan, reward.paid_on.is_some()), (30_000, true), "{backend}");
        let stats = app.tip_statistics(&office, &client).await.unwrap();
        assert!(stats.rewards_paid_yuan >= 30_000 && stats.total >= 1);

        // Deadlines: three days before the close the handler is reminded; after it the office a
        // tier above (长春市's) is told, once.
        let (late, _) =
            app.submit_tip(&TipInput { anonymous: true, internal: false, name: None, phone: None, enterprise_id: None, ..input.clone() }).await.unwrap();
        app.act_on_tip(&chaoyang, &client, late, &act("accept")).await.unwrap();
        let due = domain::tips::close_due(domain::time::today(), false);
        let sent = app.send_tip_notices(due.checked_sub(jiff::Span::new().days(2)).unwrap()).await.unwrap();
        assert!(sent >= 1, "{backend}: a reminder");
        assert!(app.tip_notices(&chaoyang).await.unwrap().iter().any(|n| n.tip_id == late && n.kind == "reminder"));
        let after = due.checked_add(jiff::Span::new().days(1)).unwrap();
        assert!(app.send_tip_notices(after).await.unwrap() >= 1);
        assert_eq!(app.send_tip_notices(after).await.unwrap(), 0, "each notice goes out once");
        assert!(app.tip_notices(&changchun).await.unwrap().iter().any(|n| n.tip_id == late && n.kind == "escalation"), "{backend}: 长春 is told");
        assert!(!app.tip_notices(&chaoyang).await.unwrap().iter().any(|n| n.message.contains("液氨")), "notices name no content");

        // Routing: the province office hands a tip to a provincial department, which then handles
        // it; a unit of another region is refused.
        let yjt = actor(&app, "yjt").await;
        let (routed, _) =
            app.submit_tip(&TipInput { anonymous: true, internal: false, name: None, phone: None, enterprise_id: None, ..input.clone() }).await.unwrap();
        let elsewhere = TipActionInput { action: "accept".into(), handler_unit_id: Some(jilinshi.unit_id), ..Default::default() };
        assert_eq!(fields(app.act_on_tip(&office, &client, routed, &elsewhere).await), ["handler_unit_id"], "{backend}");
        assert!(!app.tips(&yjt, &client).await.unwrap().iter().any(|t| t.id == routed));
        let to_department = TipActionInput { action: "accept".into(), handler_unit_id: Some(yjt.unit_id), ..Default::default() };
        app.act_on_tip(&office, &client, routed, &to_department).await.unwrap();
        // The department is told by the tip's number and kind, with nothing the reporter wrote.
        let told = app.messages(&yjt, false, 1, 200).await.unwrap().items.into_iter().find(|m| m.link == format!("/tips/{routed}"));
        let told = told.unwrap_or_else(|| panic!("{backend}: the department is told of tip {routed}"));
        let words = told.message.render(domain::message::Lang::Zh);
        assert!(words.contains(&format!("举报 #{routed}")) && !words.contains(&input.description.chars().take(4).collect::<String>()), "{backend}: {words}");
        assert!(app.tips(&yjt, &client).await.unwrap().iter().any(|t| t.id == routed), "{backend}: the department sees what it was given");
        assert!(app.tip_view(&yjt, &client, routed).await.is_ok());

        // A later tip of the same matter is a duplicate and earns nothing.
        let (second, _) = app.submit_tip(&TipInput { anonymous: true, internal: false, name: None, phone: None, ..input.clone() }).await.unwrap();
        let duplicate = TipActionInput { action: "duplicate".into(), duplicate_of: Some(id), ..Default::default() };
        app.act_on_tip(&chaoyang, &client, second, &duplicate).await.unwrap();
        assert!(matches!(app.approve_tip_reward(&chaoyang, &client, second, &reward_input()).await, Err(AppError::Conflict(_))));

        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}

fn reward_input() -> RewardInput {
    RewardInput { fine_yuan: Some(10_000), paying_unit: "长春市朝阳区应急管理局".into(), ..Default::default() }
}
