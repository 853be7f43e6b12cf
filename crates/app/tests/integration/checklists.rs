//! Checklists and campaigns on the real store: failed items become hidden dangers of the item's
//! grade, every item must be answered, only targets are checked in a campaign, and the
//! campaign's coverage and rectification rate follow the checks.

use app::checklists::{CampaignInput, FieldInput, ItemAnswer, RunInput};
use app::{App, AppError, Client};

#[tokio::test]
async fn checklists_and_campaigns_on_every_configured_backend() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 30).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (enterprise, changchun, inspector, jilinshi) =
            (actor("enterprise").await, actor("changchun").await, actor("inspector").await, actor("jilinshi").await);
        let library = app.checklist_library(&enterprise, &client).await.unwrap();
        let sysadmin = app.actor_for_user(&app.store.user_by_username("sysadmin").await.unwrap().unwrap()).await.unwrap();
        assert!(matches!(app.checklist_library(&sysadmin, &client).await, Err(app::AppError::NotFound)), "administrators see no business data");
        let chemical = library.iter().find(|c| c.code == "chemical-major").unwrap();
        let (_, items) = app.checklist_with_items(chemical.id).await.unwrap();
        assert_eq!(items.len(), 20);
        let own = enterprise.enterprise_id.unwrap();
        let answers = |failed: &[&str]| {
            items
                .iter()
                .map(|i| {
                    let passed = !failed.contains(&i.code.as_str());
                    ItemAnswer { item_id: i.id, passed, note: if passed { String::new() } else { "现场发现".into() }, photos: Vec::new() }
                })
                .collect::<Vec<_>>()
        };
        let run = |checklist_id: i64, kind: &str, campaign_id: Option<i64>, answers: Vec<ItemAnswer>| RunInput {
            checklist_id,
            kind: kind.into(),
            campaign_id,
            answers,
            field: FieldInput { signed_by: "王经理".into(), signature_refused: true, ..Default::default() },
        };

        // A self-check with two failed items reports two 重大 dangers linked to their items.
        let (_, dangers) = app.run_checklist(&enterprise, &client, own, &run(chemical.id, "self_check", None, answers(&["5", "12"]))).await.unwrap();
        assert_eq!(dangers.len(), 2);
        let danger = app.danger_view(&enterprise, &client, dangers[0]).await.unwrap().danger;
        assert_eq!(
            (danger.grade.as_str(), danger.source.as_str(), danger.source_ref.as_deref()),
            ("major", "self_check", Some("chemical-major/5").map(|r| format!("checklist:{r}")).as_deref())
        );
        let mut partial = answers(&[]);
        partial.pop();
        assert!(
            matches!(app.run_checklist(&enterprise, &client, own, &run(chemical.id, "self_check", None, partial.clone())).await, Err(AppError::Invalid(_))),
            "every item needs an answer"
        );
        assert!(
            matches!(app.run_checklist(&enterprise, &client, own, &run(chemical.id, "inspection", None, answers(&[]))).await, Err(AppError::NotFound)),
            "an enterprise does not inspect itself"
        );
        assert!(
            matches!(app.run_checklist(&jilinshi, &client, own, &run(chemical.id, "inspection", None, answers(&[]))).await, Err(AppError::NotFound)),
            "outside the territory"
        );

        // A city's fire-lane campaign: targets are its enterprises; coverage follows the checks.
        let lanes = library.iter().find(|c| c.code == "fire-lanes").unwrap();
        let (_, lane_items) = app.checklist_with_items(lanes.id).await.unwrap();
        let input = CampaignInput {
            name: "长春消防车通道整治".into(),
            checklist_id: lanes.id,
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
            ..Default::default()
        };
        assert!(matches!(app.create_campaign(&inspector, &client, &input).await, Err(AppError::NotFound)), "an inspector does not set up campaigns");
        assert!(matches!(
            app.create_campaign(&changchun, &client, &CampaignInput { ends_on: "2025-01-01".into(), ..input.clone() }).await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.create_campaign(&changchun, &client, &CampaignInput { min_risk: "severe".into(), ..input.clone() }).await,
            Err(AppError::Invalid(_))
        ));
        let risky = app.create_campaign(&changchun, &client, &CampaignInput { min_risk: "larger".into(), ..input.clone() }).await.unwrap();
        let all = app.create_campaign(&changchun, &client, &input).await.unwrap();
        let (risky_targets, all_targets) = (
            app.campaign_progress(&changchun, &client, risky).await.unwrap().totals.targets,
            app.campaign_progress(&changchun, &client, all).await.unwrap().totals.targets,
        );
        assert!(risky_targets > 0 && risky_targets < all_targets, "the risk filter narrows the targets: {risky_targets} of {all_targets}");
        let campaign = app.create_campaign(&changchun, &client, &input).await.unwrap();
        let before = app.campaign_progress(&changchun, &client, campaign).await.unwrap();
        assert!(before.totals.targets > 0 && before.totals.checked == 0 && before.totals.coverage == 0.0);
        assert_eq!((before.totals.rectification_rate, before.totals.rectification_text().as_str()), (None, "—"), "nothing found, no rate");
        let lane_answers = |blocked: bool| {
            lane_items
                .iter()
                .map(|i| ItemAnswer { item_id: i.id, passed: !(blocked && i.code == "2"), note: "现场检查".into(), photos: Vec::new() })
                .collect::<Vec<_>>()
        };
        let (_, found) = app.run_checklist(&inspector, &client, own, &run(lanes.id, "campaign", Some(campaign), lane_answers(true))).await.unwrap();
        assert_eq!(found.len(), 1);
        let after = app.campaign_progress(&changchun, &client, campaign).await.unwrap();
        assert_eq!((after.totals.checked, after.totals.findings, after.totals.closed), (1, 1, 0));
        assert_eq!((after.totals.rectification_rate, after.totals.rectification_text().as_str()), (Some(0.0), "0.0%"));
        assert!(after.totals.coverage > 0.0 && after.totals.coverage <= 1.0);
        let jilin_enterprise = app.list_enterprises(&jilinshi, &client, &Default::default(), 1, 1).await.unwrap().items[0].id;
        assert!(
            matches!(
                app.run_checklist(&jilinshi, &client, jilin_enterprise, &run(lanes.id, "campaign", Some(campaign), lane_answers(false))).await,
                Err(AppError::NotFound)
            ),
            "not a target of 长春's campaign"
        );
        assert!(matches!(app.campaign_progress(&jilinshi, &client, campaign).await, Err(AppError::NotFound)));
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}

/// A 40×20 grey PNG: the photo and the signature of the field checks below.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x14, 0x08, 0x00,
    0x00, 0x00, 0x00, 0xda, 0x2d, 0x20, 0x67, 0x00, 0x00, 0x00, 0x14, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68, 0x20, 0x12, 0x30, 0x8c, 0x2a, 0x1c, 0x55,
    0x38, 0xaa, 0x10, 0x04, 0x00, 0xc8, 0xb4, 0x90, 0x10, 0xfc, 0xaf, 0xb1, 0x4f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The field record of a check: an inspection needs the representative's signature or the
/// record of a refusal; a failed item needs a note or a photo, and its photo becomes the danger's;
/// times and positions are checked; a submission sent twice is recorded once; the record is
/// read by those it concerns only, and its PDF holds what the page shows.
#[tokio::test]
async fn a_field_check_records_its_evidence_once() {
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 30).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (inspector, enterprise, jilinshi, expert) = (actor("inspector").await, actor("enterprise").await, actor("jilinshi").await, actor("expert").await);
        let own = enterprise.enterprise_id.unwrap();
        let lanes = app.store.checklists().await.unwrap().into_iter().find(|c| c.code == "fire-lanes").unwrap();
        let (_, items) = app.checklist_with_items(lanes.id).await.unwrap();
        let photo = app::workplans::UploadedFile { file_name: "lane.png".into(), bytes: PNG.to_vec() };
        // The first item fails with `note` and `photos`; the others pass.
        let answers = |note: &str, photos: Vec<app::workplans::UploadedFile>| {
            items
                .iter()
                .enumerate()
                .map(|(n, i)| ItemAnswer {
                    item_id: i.id,
                    passed: n > 0,
                    note: if n == 0 { note.to_owned() } else { String::new() },
                    photos: if n == 0 { photos.clone() } else { Vec::new() },
                })
                .collect::<Vec<_>>()
        };
        let now = domain::time::now_ms();
        let signed = FieldInput {
            started_at: Some(now - 30 * 60_000),
            finished_at: Some(now - 60_000),
            latitude: Some(43.886841),
            longitude: Some(125.324501),
            accuracy_m: Some(12.0),
            signed_by: "李安全".into(),
            signature: Some(PNG.to_vec()),
            client_ref: Some("0123456789abcdef".into()),
            ..Default::default()
        };
        let inspection =
            |answers: Vec<ItemAnswer>, field: FieldInput| RunInput { checklist_id: lanes.id, kind: "inspection".into(), campaign_id: None, answers, field };
        let refused = |input: RunInput| {
            let app = app.clone();
            let inspector = inspector.clone();
            async move {
                match app.run_checklist(&inspector, &Client::cli(), own, &input).await {
                    Err(AppError::Invalid(problems)) => problems.into_iter().map(|p| p.field).collect::<Vec<_>>(),
                    other => panic!("expected a refusal, got {other:?}"),
                }
            }
        };
        let runs_before = app.checklist_runs_of_enterprise(&inspector, &client, own).await.unwrap().len();

        // Refused, with the field named: no signature, a failed item without note or photo, a
        // time from last year, a position off the globe, a signature that is not a PNG.
        let unsigned = FieldInput { signature: None, ..signed.clone() };
        assert_eq!(refused(inspection(answers("占用", Vec::new()), unsigned)).await, ["signature"]);
        assert_eq!(refused(inspection(answers("", Vec::new()), signed.clone())).await, ["answers"]);
        let stale = FieldInput { started_at: Some(now - 400 * 86_400_000), ..signed.clone() };
        assert_eq!(refused(inspection(answers("占用", Vec::new()), stale)).await, ["finished_at"]);
        let lost = FieldInput { latitude: Some(91.0), ..signed.clone() };
        assert_eq!(refused(inspection(answers("占用", Vec::new()), lost)).await, ["latitude"]);
        let scrawl = FieldInput { signature: Some(b"GIF89a".to_vec()), ..signed.clone() };
        assert_eq!(refused(inspection(answers("占用", Vec::new()), scrawl)).await, ["signature"]);
        let exe = app::workplans::UploadedFile { file_name: "lane.jpg".into(), bytes: b"MZ\x90\x00".to_vec() };
        assert_eq!(refused(inspection(answers("", vec![exe]), signed.clone())).await, ["photos"]);
        assert_eq!(app.checklist_runs_of_enterprise(&inspector, &client, own).await.unwrap().len(), runs_before, "nothing half-written");

        // A photo alone explains a failed item; sent twice, the check is recorded once.
        let (run, dangers) = app.run_checklist(&inspector, &client, own, &inspection(answers("", vec![photo.clone()]), signed.clone())).await.unwrap();
        assert_eq!(dangers.len(), 1);
        let again = app.run_checklist(&inspector, &client, own, &inspection(answers("", vec![photo.clone()]), signed.clone())).await.unwrap();
        assert_eq!(again, (run, dangers.clone()), "a retried submission returns the first record");
        assert_eq!(app.checklist_runs_of_enterprise(&inspector, &client, own).await.unwrap().len(), runs_before + 1);
        // The same reference for a check of another enterprise is a mistake, refused.
        let other = app.list_enterprises(&inspector, &client, &Default::default(), 1, 5).await.unwrap().items.into_iter().find(|e| e.id != own).unwrap().id;
        assert!(matches!(
            app.run_checklist(&inspector, &client, other, &inspection(answers("占用", Vec::new()), signed.clone())).await,
            Err(AppError::Conflict(_))
        ));
        let view = app.checklist_run_view(&inspector, &client, run).await.unwrap();
        assert_eq!((view.latitude, view.signed_by.as_str(), view.signed, view.signature_refused), (Some(43.886841), "李安全", true, false));
        let failed: Vec<_> = view.items.iter().filter(|i| !i.passed).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].danger_id, Some(dangers[0]));
        assert_eq!(failed[0].photo_ids.len(), 1, "the photo is kept with the failed item");
        // The county's bureau is told of the danger the check found, as of any report.
        let chaoyang = actor("chaoyang").await;
        let told = app.messages(&chaoyang, false, 1, 50).await.unwrap().items.into_iter().any(|m| m.link == format!("/dangers/{}", dangers[0]));
        assert!(told, "the county regulator is told of danger {}", dangers[0]);
        let danger_photos = app.danger_photos(&inspector, &client, dangers[0]).await.unwrap();
        assert_eq!(danger_photos.iter().map(|p| p.id).collect::<Vec<_>>(), failed[0].photo_ids, "and is the danger's photo");
        assert_eq!(app.checklist_run_signature(&enterprise, &client, run).await.unwrap(), PNG);

        // A refusal to sign is recorded instead of a signature.
        let both = FieldInput { signature_refused: true, client_ref: None, ..signed.clone() };
        assert_eq!(refused(inspection(answers("占用", Vec::new()), both)).await, ["signature"], "a signature and a refusal exclude each other");
        let declined = FieldInput { signature: None, signature_refused: true, client_ref: None, ..signed.clone() };
        let (declined_run, _) = app.run_checklist(&inspector, &client, own, &inspection(answers("占用", Vec::new()), declined)).await.unwrap();
        let declined_view = app.checklist_run_view(&inspector, &client, declined_run).await.unwrap();
        assert!(declined_view.signature_refused && !declined_view.signed);

        // Who reads the record: the enterprise, the inspector, not another city or an expert.
        assert!(app.checklist_run_view(&enterprise, &client, run).await.is_ok());
        assert!(matches!(app.checklist_run_view(&jilinshi, &client, run).await, Err(AppError::NotFound)));
        assert!(matches!(app.checklist_run_view(&expert, &client, run).await, Err(AppError::NotFound)));
        assert!(matches!(app.checklist_run_pdf(&jilinshi, &client, run, false).await, Err(AppError::NotFound)));
        // A photo added to the danger later is the danger's, not the check's record.
        let later = app::workplans::UploadedFile { file_name: "rectified.png".into(), bytes: PNG.to_vec() };
        app.add_danger_photos(&enterprise, &client, dangers[0], vec![later]).await.unwrap();
        let added = app.danger_photos(&enterprise, &client, dangers[0]).await.unwrap().last().unwrap().id;
        assert!(matches!(app.checklist_run_photo(&enterprise, &client, run, added).await, Err(AppError::NotFound)));
        assert_eq!(
            app.checklist_run_view(&enterprise, &client, run).await.unwrap().items[0].photo_ids,
            failed[0].photo_ids,
            "the record keeps what the check took"
        );

        // The PDF, when the machine has a CJK font (CI requires one).
        match app.checklist_run_pdf(&inspector, &client, run, false).await {
            Ok(bytes) => {
                assert!(bytes.starts_with(b"%PDF-"));
                let document = lopdf::Document::load_mem(&bytes).unwrap();
                assert!(!document.get_pages().is_empty());
                let english = app.checklist_run_pdf(&inspector, &client, run, true).await.unwrap();
                assert_ne!(english, bytes, "the English record differs");
            }
            Err(AppError::Unavailable(_)) => store::testing::skipping("cjk-font", "no CJK font for PDF documents on this machine"),
            Err(other) => panic!("the PDF failed: {other:?}"),
        }
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}

/// A unit's own checklist: written on the form or imported from a spreadsheet, each problem
/// named by its item or line, kept and edited by that unit only (the shipped ones not at all);
/// an item removed after checks answered it is retired, and those checks' records keep it.
#[tokio::test]
async fn a_unit_writes_and_keeps_its_own_checklist() {
    use app::checklists::{ChecklistInput, ItemInput};
    for backend in store::testing::backends() {
        let db = store::testing::fresh(backend).await.unwrap();
        let app = App::new(db.store.clone(), Default::default());
        demo::load_with(&app, 30).await.unwrap();
        let client = Client::cli();
        let actor = |name: &'static str| {
            let app = app.clone();
            async move { app.actor_for_user(&app.store.user_by_username(name).await.unwrap().unwrap()).await.unwrap() }
        };
        let (changchun, jilinshi, inspector, enterprise) =
            (actor("changchun").await, actor("jilinshi").await, actor("inspector").await, actor("enterprise").await);
        let item = |code: &str, text: &str, consequence: &str| ItemInput {
            code: code.into(),
            item: text.into(),
            basis: "GB 50016".into(),
            consequence: consequence.into(),
        };
        let input = ChecklistInput {
            name: "长春市燃气餐饮场所检查清单".into(),
            purpose: "城镇燃气专项整治".into(),
            sector: "gas".into(),
            items: vec![item("", "燃气报警器是否安装并有效", "重大"), item("", "软管是否超过2米或穿墙", "一般"), ItemInput::default()],
        };
        let problems = |result: app::Result<i64>| match result {
            Err(AppError::Invalid(problems)) => problems.into_iter().map(|p| (p.field, p.message.code.to_string())).collect::<Vec<_>>(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        // Refusals name the item: a bad consequence on item 2, a repeated number on item 3.
        let bad = ChecklistInput { items: vec![item("1", "报警器", "严重"), item("1", "软管", "一般")], ..input.clone() };
        assert_eq!(
            problems(app.save_checklist(&changchun, &client, None, &bad, &[2, 3]).await),
            [("items", "checklists.item_consequence".to_owned()), ("items", "checklists.item_code_repeated".to_owned())]
        );
        let bad = app.save_checklist(&changchun, &client, None, &ChecklistInput { items: vec![item("1", "报警器", "严重")], ..input.clone() }, &[7]).await;
        let Err(AppError::Invalid(found)) = bad else { panic!("refused") };
        assert!(found[0].message.render(domain::message::Lang::Zh).contains("第7项"), "the problem names its item");
        assert!(matches!(app.save_checklist(&inspector, &client, None, &input, &[]).await, Err(AppError::NotFound)), "an inspector writes no checklists");
        assert!(matches!(app.save_checklist(&enterprise, &client, None, &input, &[]).await, Err(AppError::NotFound)));

        let id = app.save_checklist(&changchun, &client, None, &input, &[]).await.unwrap();
        let (saved, items) = app.checklist_with_items(id).await.unwrap();
        assert_eq!((saved.name.as_str(), saved.sector.as_str(), saved.owner_unit_id), ("长春市燃气餐饮场所检查清单", "gas", Some(changchun.unit_id)));
        assert_eq!(
            items.iter().map(|i| (i.code.as_str(), i.consequence.as_str())).collect::<Vec<_>>(),
            [("1", "major"), ("2", "general")],
            "the blank row is left out"
        );
        assert!(app.checklist_library(&enterprise, &client).await.unwrap().iter().any(|c| c.id == id), "everyone checks with it");
        // Another city does not edit it; nobody edits a shipped checklist.
        assert!(matches!(app.save_checklist(&jilinshi, &client, Some(id), &input, &[]).await, Err(AppError::NotFound)));
        let shipped = app.store.checklists().await.unwrap().into_iter().find(|c| c.code == "fire-lanes").unwrap();
        assert!(matches!(app.save_checklist(&changchun, &client, Some(shipped.id), &input, &[]).await, Err(AppError::NotFound)));

        // A check answers item 2; an edit then drops it and adds another: item 2 is retired,
        // left out of new checks, and the check's record keeps it.
        let own = enterprise.enterprise_id.unwrap();
        let answers = items.iter().map(|i| ItemAnswer { item_id: i.id, passed: true, note: String::new(), photos: Vec::new() }).collect();
        let run = RunInput { checklist_id: id, kind: "self_check".into(), campaign_id: None, answers, field: FieldInput::default() };
        let (run_id, _) = app.run_checklist(&enterprise, &client, own, &run).await.unwrap();
        let edited = ChecklistInput {
            items: vec![item("1", "燃气报警器是否安装并联动切断", "重大"), item("3", "是否配备灭火器", "一般")], ..input.clone()
        };
        assert_eq!(app.save_checklist(&changchun, &client, Some(id), &edited, &[]).await.unwrap(), id);
        let (_, now) = app.checklist_with_items(id).await.unwrap();
        assert_eq!(
            now.iter().map(|i| (i.code.as_str(), i.item.as_str())).collect::<Vec<_>>(),
            [("1", "燃气报警器是否安装并联动切断"), ("3", "是否配备灭火器")]
        );
        assert_eq!(now[0].id, items[0].id, "an item keeps its id by its number");
        let record = app.checklist_run_view(&enterprise, &client, run_id).await.unwrap();
        assert!(record.items.iter().any(|i| i.code == "2" && i.item == "软管是否超过2米或穿墙"), "the retired item stays on the record");

        // Imported from a spreadsheet: the template's columns, problems named by line.
        let csv = "序号,检查内容,检查依据,后果(一般/重大)\n1,燃气管道是否有腐蚀,CJJ 51,一般\n,是否存放液化石油气钢瓶,,重大\n";
        let imported = app::checklists::items_from_file("items.csv", csv.as_bytes()).unwrap();
        assert_eq!(imported.iter().map(|(line, i)| (*line, i.consequence.as_str())).collect::<Vec<_>>(), [(2, "一般"), (3, "重大")]);
        for english in [false, true] {
            let template = app::checklists::template(english).unwrap();
            let read_back = app::checklists::items_from_file("template.xlsx", &template).unwrap();
            let consequences: Vec<&str> = read_back.iter().map(|(_, i)| i.consequence.as_str()).collect();
            assert_eq!(consequences, if english { ["major", "general"] } else { ["重大", "一般"] }, "the template reads back as two example items");
        }
        let places: Vec<usize> = imported.iter().map(|(line, _)| *line).collect();
        let wrong = ChecklistInput { items: vec![imported[0].1.clone(), ItemInput { consequence: "较大".into(), ..imported[1].1.clone() }], ..input.clone() };
        let Err(AppError::Invalid(found)) = app.save_checklist(&changchun, &client, None, &wrong, &places).await else { panic!("refused") };
        assert!(found[0].message.render(domain::message::Lang::Zh).contains("第3项(行)"), "the problem names its line");
        let no_header = app::checklists::items_from_file("items.csv", "a,b\n1,2\n".as_bytes());
        assert!(matches!(no_header, Err(AppError::Invalid(ref p)) if p[0].message.code == "checklists.import_header"));
        assert!(matches!(app::checklists::items_from_file("items.exe", b"MZ"), Err(AppError::Invalid(_))));
        assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
    }
}
