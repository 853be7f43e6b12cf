//! Work plans end to end on the real store: importing the reference plan (aliases resolve to one
//! department, tier collectives reach every city, nothing is invented, re-import changes
//! nothing), scoping, the report → review → 回头看 loop with illegal moves refused, deadline
//! notices and the export.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use app::workplans::UploadedFile;
use app::{Actor, App, AppError, Client};

const PLAN: &str = include_str!("../../../demo/data/jilin-2020-workplan.txt");

use crate::support::actor;

async fn scenario(backend: &str) {
    let db = store::testing::fresh(backend).await.unwrap();
    let app = App::new(db.store.clone(), Default::default());
    demo::load_with(&app, 20).await.unwrap();
    let client = Client::cli();
    let office = actor(&app, "office").await;
    let yjt = actor(&app, "yjt").await;
    let changchun = actor(&app, "changchun").await;
    let jilinshi = actor(&app, "jilinshi").await;
    let enterprise = actor(&app, "enterprise").await;

    // Only an office (or a city's regulator, for its city) imports.
    assert!(matches!(app.import_plan(&yjt, &client, PLAN, 2020).await, Err(AppError::NotFound)));
    assert!(matches!(app.import_plan(&office, &client, "没有编号的文字", 2020).await, Err(AppError::BadRequest(_))));
    let imported = app.import_plan(&office, &client, PLAN, 2020).await.unwrap();
    assert!(imported.created);
    assert_eq!(imported.tasks, 24);
    assert!(imported.unresolved.is_empty(), "every named unit of the reference plan is in the registry: {:?}", imported.unresolved);
    assert!(imported.collective.contains(&"各有关部门".to_owned()));
    let again = app.import_plan(&office, &client, PLAN, 2020).await.unwrap();
    assert_eq!((again.plan_id, again.created), (imported.plan_id, false), "re-importing changes nothing");
    let traditional_or_simplified = domain::text::to_simplified(PLAN);
    assert_eq!(
        app.import_plan(&office, &client, &traditional_or_simplified, 2020).await.unwrap().plan_id,
        imported.plan_id,
        "the same plan in Simplified is the same plan"
    );

    // A city's plan assigns work only to units of the city: one that names 吉林市人民政府 and
    // 省应急管理厅 leaves both for the city's office to map, and the map refuses them too.
    let city_plan = "2021年长春市安全生产工作要点\n一、测试\n1.事项一。(长春市应急管理局负责)\n2.事项二。(吉林市人民政府、省应急管理厅负责)\n";
    let city = app.import_plan(&changchun, &client, city_plan, 2021).await.unwrap();
    assert_eq!(city.unresolved, ["吉林市人民政府", "省应急管理厅"], "units outside the city are not assigned");
    let city_matrix = app.plan_matrix(&changchun, &client, city.plan_id).await.unwrap();
    assert!(city_matrix.rows.iter().flat_map(|r| &r.cells).all(|c| c.unit_name.starts_with("长春市")), "{:?}", city_matrix.rows);
    let provincial = app.resolve_unit("省应急管理厅").await.unwrap().unwrap().id;
    assert!(matches!(app.resolve_plan_unit(&changchun, &client, city.plan_id, "省应急管理厅", provincial).await, Err(AppError::Invalid(_))));
    let own = app.resolve_unit("长春市应急管理局").await.unwrap().unwrap().id;
    assert_eq!(app.resolve_plan_unit(&changchun, &client, city.plan_id, "省应急管理厅", own).await.unwrap(), 1, "mapped to the city's own bureau");

    let matrix = app.plan_matrix(&office, &client, imported.plan_id).await.unwrap();
    assert_eq!(matrix.rows.len(), 24);
    assert!(matrix.plan.manages);
    let item = |n: i64| matrix.rows.iter().find(|r| r.item_number == n).unwrap();
    // Item 1: 各级党委、政府 reaches each of the 9 city governments.
    let governments: Vec<&str> = item(1).cells.iter().filter(|c| c.unit_name.ends_with("人民政府")).map(|c| c.unit_name.as_str()).collect();
    assert_eq!(governments.len(), 9, "{governments:?}");
    // Item 4: the two lead units; 省发改委 and 省发展改革委 are one department.
    let leads: Vec<&str> = item(4).cells.iter().filter(|c| c.role == "lead").map(|c| c.unit_name.as_str()).collect();
    assert_eq!(leads, ["省应急管理厅", "省发展改革委"]);
    let ndrc = app.resolve_unit("省发改委").await.unwrap().unwrap();
    assert_eq!(app.resolve_unit("省发展改革委").await.unwrap().unwrap().id, ndrc.id);
    for row in &matrix.rows {
        let mut units: Vec<i64> = row.cells.iter().map(|c| c.unit_id).collect();
        units.sort();
        units.dedup();
        assert_eq!(units.len(), row.cells.len(), "one assignment per unit on item {}", row.item_number);
    }
    // Item 14's fourth group names 省卫生健康委 as lead.
    assert!(item(14).cells.iter().any(|c| c.unit_name == "省卫生健康委" && c.role == "lead"));

    // Scope: a department sees its own assignments; a city its government's; an enterprise none.
    let own = app.plan_matrix(&yjt, &client, imported.plan_id).await.unwrap();
    assert!(!own.plan.manages);
    for row in &own.rows {
        let leads = row.cells.iter().any(|c| c.unit_name == "省应急管理厅" && c.role == "lead");
        assert!(leads || row.cells.iter().all(|c| c.unit_name == "省应急管理厅"), "a department sees others only on items it leads (item {})", row.item_number);
    }
    assert!(own.rows.iter().flat_map(|r| &r.cells).any(|c| c.unit_name == "省交通运输厅"), "it sees the units cooperating on item 4, which it leads");
    let city = app.plan_matrix(&changchun, &client, imported.plan_id).await.unwrap();
    assert!(city.rows.iter().flat_map(|r| &r.cells).all(|c| c.unit_name.starts_with("长春市")), "changchun sees only 长春市 units");
    assert!(matches!(app.plan_matrix(&enterprise, &client, imported.plan_id).await, Err(AppError::NotFound)));

    // The loop: yjt reports on item 4, a foreign unit cannot, the office reviews.
    let own_item4 = own.rows.iter().find(|r| r.item_number == 4).unwrap().cells[0].id;
    let city_item1 = city.rows.iter().find(|r| r.item_number == 1).unwrap().cells[0].id;
    assert!(
        matches!(app.report_progress(&jilinshi, &client, city_item1, "half_year", "吉林市冒名报告", vec![]).await, Err(AppError::NotFound)),
        "out of scope is not found"
    );
    assert!(matches!(app.review_assignment(&office, &client, own_item4, true, "").await, Err(AppError::IllegalTransition(_))), "nothing to accept yet");
    let bad = app.report_progress(&yjt, &client, own_item4, "quarterly", "", vec![UploadedFile { file_name: "run.exe".into(), bytes: vec![1] }]).await;
    match bad {
        Err(AppError::Invalid(fields)) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field).collect();
            assert_eq!(named, ["period", "body", "files"]);
        }
        other => panic!("expected every problem at once, got {other:?}"),
    }
    // An executable renamed `.pdf`, and a Word file that is no package, are refused by their bytes.
    for (name, bytes) in [("fake.pdf", &b"MZ\x90\0\x03"[..]), ("记录.docx", b"%PDF-1.4"), ("说明.txt", b"text\0with NUL")] {
        let fake = app
            .report_progress(&yjt, &client, own_item4, "half_year", "上半年进展", vec![UploadedFile { file_name: name.into(), bytes: bytes.to_vec() }])
            .await;
        assert!(matches!(&fake, Err(AppError::Invalid(fields)) if fields.len() == 1 && fields[0].field == "files"), "{name}: {fake:?}");
    }
    let evidence = UploadedFile { file_name: "检查记录.pdf".into(), bytes: b"%PDF-1.4 evidence".to_vec() };
    let report = app.report_progress(&yjt, &client, own_item4, "half_year", "已完成顶层设计文件起草。", vec![evidence]).await.unwrap();
    // The office that reviews is told, and the unit that filed it is not.
    let told = |messages: Vec<app::inbox::InboxMessage>| {
        messages.into_iter().any(|m| m.link == format!("/assignments/{own_item4}") && m.message.render(domain::message::Lang::Zh).contains("半年报告,请审核"))
    };
    assert!(told(app.messages(&office, false, 1, 200).await.unwrap().items), "the office is told of report {report}");
    assert!(!told(app.messages(&yjt, false, 1, 200).await.unwrap().items), "the filer is not told of its own report");
    assert!(matches!(app.review_assignment(&yjt, &client, own_item4, true, "").await, Err(AppError::NotFound)), "no one reviews their own work");
    assert!(matches!(app.review_assignment(&office, &client, own_item4, false, " ").await, Err(AppError::Invalid(_))), "a return needs a reason");
    app.review_assignment(&office, &client, own_item4, false, "请补充分工方案").await.unwrap();
    let detail = app.assignment_detail(&yjt, &client, own_item4).await.unwrap();
    assert_eq!(detail.assignment.status, "in_progress");
    assert_eq!(detail.reports[0].review.as_deref(), Some("returned"));
    assert_eq!(detail.attachments.len(), 1);
    let (file, bytes) = app.attachment(&yjt, &client, detail.attachments[0].id).await.unwrap();
    assert_eq!((file.content_type.as_str(), bytes.as_slice()), ("application/pdf", b"%PDF-1.4 evidence".as_slice()));
    assert!(matches!(app.attachment(&jilinshi, &client, detail.attachments[0].id).await, Err(AppError::NotFound)));
    assert!(app.notifications(&yjt).await.unwrap().iter().any(|n| n.kind == "returned"));
    // Two reports before review: each is decided on its own, and one can be withdrawn.
    let first = app.report_progress(&yjt, &client, own_item4, "interim", "三季度进展(有误)", vec![]).await.unwrap();
    let second = app.report_progress(&yjt, &client, own_item4, "interim", "三季度进展", vec![]).await.unwrap();
    let third = app.report_progress(&yjt, &client, own_item4, "interim", "十月进展", vec![]).await.unwrap();
    let review_of = |detail: &app::workplans::AssignmentDetail, id: i64| {
        let report = detail.reports.iter().find(|r| r.id == id).unwrap();
        report.review.clone().or(report.closed_as.clone())
    };
    let waiting_for = |who: app::Actor| {
        let app = app.clone();
        async move { app.assignments_to_review(&who, &Client::cli()).await.unwrap().iter().any(|v| v.id == own_item4) }
    };
    assert!(waiting_for(office.clone()).await && !waiting_for(yjt.clone()).await, "待我审核: the office's, not the reporting unit's");
    assert!(matches!(app.withdraw_report(&office, &client, own_item4, first).await, Err(AppError::NotFound)), "only its unit withdraws a report");
    app.withdraw_report(&yjt, &client, own_item4, first).await.unwrap();
    assert!(matches!(app.withdraw_report(&yjt, &client, own_item4, first).await, Err(AppError::Invalid(_))), "withdrawn once");
    app.review_report(&office, &client, own_item4, Some(third), false, "数据不全").await.unwrap();
    let detail = app.assignment_detail(&office, &client, own_item4).await.unwrap();
    assert_eq!(detail.assignment.status, "reported", "the second report still waits");
    assert_eq!(
        (review_of(&detail, first).as_deref(), review_of(&detail, second), review_of(&detail, third).as_deref()),
        (Some("withdrawn"), None, Some("returned"))
    );
    assert!(matches!(app.review_report(&office, &client, own_item4, Some(third), true, "").await, Err(AppError::Invalid(_))), "decided once");
    app.review_report(&office, &client, own_item4, Some(second), true, "").await.unwrap();
    assert_eq!(app.assignment_detail(&office, &client, own_item4).await.unwrap().assignment.status, "in_progress", "nothing waits any more");
    assert!(!waiting_for(office.clone()).await, "nothing waits for the office");
    // Accepting the annual report completes the work and supersedes what still waits.
    let interim = app.report_progress(&yjt, &client, own_item4, "interim", "十一月进展", vec![]).await.unwrap();
    let annual = app.report_progress(&yjt, &client, own_item4, "annual", "全年任务完成。", vec![]).await.unwrap();
    app.review_report(&office, &client, own_item4, Some(annual), true, "").await.unwrap();
    let detail = app.assignment_detail(&office, &client, own_item4).await.unwrap();
    assert_eq!(detail.assignment.status, "accepted");
    assert_eq!(review_of(&detail, interim).as_deref(), Some("superseded"));
    assert!(matches!(app.report_progress(&yjt, &client, own_item4, "interim", "再报", vec![]).await, Err(AppError::IllegalTransition(_))));

    // 回头看: the office reopens accepted work with a reason; the unit is told.
    assert!(matches!(app.open_review_round(&changchun, &client, imported.plan_id, "回头看").await, Err(AppError::NotFound)));
    let round = app.open_review_round(&office, &client, imported.plan_id, "第一轮回头看").await.unwrap();
    assert!(matches!(app.reopen_assignment(&office, &client, own_item4, round, "").await, Err(AppError::Invalid(_))));
    app.reopen_assignment(&office, &client, own_item4, round, "整改成效不明显").await.unwrap();
    let detail = app.assignment_detail(&yjt, &client, own_item4).await.unwrap();
    assert_eq!(detail.assignment.status, "reopened");
    assert_eq!(detail.reopenings[0].reason, "整改成效不明显");
    assert!(detail.may_report);

    // Deadlines per item: only the office, and only sensible dates.
    let task4 = detail.task.id;
    assert!(matches!(app.set_task_deadlines(&yjt, &client, task4, "2020-07-15", "2020-12-20").await, Err(AppError::NotFound)));
    assert!(matches!(app.set_task_deadlines(&office, &client, task4, "2020-12-31", "2020-07-01").await, Err(AppError::Invalid(_))));
    assert!(matches!(app.set_task_deadlines(&office, &client, task4, "30/06/2020", "2020-12-31").await, Err(AppError::Invalid(_))));
    app.set_task_deadlines(&office, &client, task4, "2020-07-15", "2020-12-20").await.unwrap();
    assert_eq!(app.assignment_detail(&yjt, &client, own_item4).await.unwrap().assignment.half_year_due, "2020-07-15");

    // The city's regulator reports for its government.
    app.start_assignment(&changchun, &client, city_item1).await.unwrap();
    assert!(matches!(app.start_assignment(&changchun, &client, city_item1).await, Err(AppError::IllegalTransition(_))));

    // Deadlines of 2020 have passed: escalations reach the office once, not twice.
    let today = jiff::civil::date(2021, 1, 10);
    let sent = app.send_deadline_notices(today).await.unwrap();
    assert!(sent > 50, "{sent}");
    assert_eq!(app.send_deadline_notices(today).await.unwrap(), 0, "each notice goes out once");
    assert!(app.notifications(&office).await.unwrap().iter().any(|n| n.kind == "escalation"));
    let overdue = app.assignment_page(&office, &client, true, 1, 200).await.unwrap();
    assert!(!overdue.items.is_empty() && overdue.items.iter().all(|a| a.overdue));
    // The database's overdue filter and count agree with the rule applied to every row, among
    // them one whose half-year report is in but whose annual one is late.
    let half_reported = own
        .rows
        .iter()
        .filter(|r| r.item_number != 4)
        .flat_map(|r| &r.cells)
        .find(|c| c.unit_name == "省应急管理厅")
        .expect("another assignment of 省应急管理厅")
        .id;
    app.report_progress(&yjt, &client, half_reported, "half_year", "上半年工作已按计划推进。", vec![]).await.unwrap();
    let overdue = app.assignment_page(&office, &client, true, 1, 200).await.unwrap();
    let mut told_by_rule = std::collections::BTreeSet::new();
    let mut page = 1;
    loop {
        let read = app.assignment_page(&office, &client, false, page, 200).await.unwrap();
        told_by_rule.extend(read.items.iter().filter(|a| a.overdue).map(|a| a.id));
        if page * 200 >= read.total {
            break;
        }
        page += 1;
    }
    let mut filtered = std::collections::BTreeSet::new();
    for page in 1..=(overdue.total + 199) / 200 {
        filtered.extend(app.assignment_page(&office, &client, true, page, 200).await.unwrap().items.iter().map(|a| a.id));
    }
    assert!(told_by_rule.contains(&half_reported), "the annual report is late");
    assert_eq!(filtered, told_by_rule, "the overdue list is the rule's");
    assert_eq!(overdue.total as usize, told_by_rule.len());
    let counts = app.overdue_counts(&office, &client).await.unwrap();
    assert_eq!(counts.by_unit.iter().map(|(_, n)| n).sum::<i64>(), overdue.total);
    assert_eq!(counts.by_region.iter().map(|(_, n)| n).sum::<i64>(), overdue.total);

    // Assessment: the 9 cities ranked from their records and the office's scores; a veto sinks
    // a city to the bottom whatever its points.
    use app::assessment::Tier;
    let ranking = app.assessment_ranking(&office, &client, 2020, Tier::Cities).await.unwrap();
    assert_eq!(ranking.len(), 9, "{ranking:?}");
    assert!(matches!(app.assessment_ranking(&yjt, &client, 2020, Tier::Cities).await, Err(AppError::NotFound)));
    let changchun_government = app.resolve_unit("长春市人民政府").await.unwrap().unwrap().id;
    assert!(matches!(app.enter_assessment_score(&office, &client, 2020, changchun_government, "B1", 16.0, "超分").await, Err(AppError::Invalid(_))));
    assert!(matches!(app.enter_assessment_score(&office, &client, 2020, changchun_government, "A1", 10.0, "系统指标").await, Err(AppError::Invalid(_))));
    assert!(matches!(app.enter_assessment_score(&office, &client, 2020, changchun_government, "B1", 10.0, " ").await, Err(AppError::Invalid(_))));
    assert!(matches!(app.enter_assessment_score(&changchun, &client, 2020, changchun_government, "B1", 15.0, "自评").await, Err(AppError::NotFound)));
    for code in ["B1", "B2", "B3"] {
        app.enter_assessment_score(&office, &client, 2020, changchun_government, code, 15.0, "现场核查记录").await.unwrap();
    }
    let sheet = app.unit_assessment(&changchun, &client, 2020, changchun_government).await.unwrap();
    assert!(!sheet.may_enter, "a city reads its own sheet but does not score itself");
    assert_eq!(sheet.sheet.lines.len(), 6);
    assert!((sheet.sheet.lines.iter().map(|l| l.score).sum::<f64>() - sheet.sheet.total).abs() < 0.01);
    assert!(matches!(app.unit_assessment(&jilinshi, &client, 2020, changchun_government).await, Err(AppError::NotFound)));
    let top = app.assessment_ranking(&office, &client, 2020, Tier::Cities).await.unwrap();
    assert_eq!(top[0].unit_name, "长春市人民政府", "{top:?}");
    app.record_assessment_finding(&office, &client, 2020, changchun_government, "veto", "重大责任事故").await.unwrap();
    let after = app.assessment_ranking(&office, &client, 2020, Tier::Cities).await.unwrap();
    assert_eq!((after[8].unit_name.as_str(), after[8].grade), ("长春市人民政府", domain::assessment::Grade::Fail));
    assert!(matches!(
        app.save_assessment_scheme(&office, &client, 2020, "[[indicator]]\ncode = \"X\"\nname = \"x\"\npoints = 50\nsource = \"manual\"\n").await,
        Err(AppError::Invalid(_))
    ));
    // The scheme on its form: numbers as typed, each problem named by its row, in words.
    let row = |code: &str, name: &str, points: &str, source: &str, deduction: &str| app::assessment::IndicatorRow {
        code: code.into(),
        name: name.into(),
        points: points.into(),
        source: source.into(),
        deduction: deduction.into(),
    };
    let bands = app::assessment::BandsRow { excellent: "90".into(), good: "80".into(), pass: "60".into() };
    let typed = [row("A1", "按时报送", "五十", "on_time_reporting", ""), row("", "", "", "manual", ""), row("B1", "综合评价", "50", "somewhere", "")];
    let Err(AppError::Invalid(problems)) = app.save_assessment_scheme_form(&office, &client, 2021, &typed, &bands).await else { panic!("refused") };
    let said: Vec<String> = problems.iter().map(|p| p.message.render(domain::message::Lang::Zh)).collect();
    assert_eq!(said, ["第1行:分值“五十”不是数字", "第3行:请选择得分来源"], "each problem in words, by its row");
    let short = [row("A1", "按时报送", "40", "on_time_reporting", ""), row("B1", "综合评价", "50", "manual", "")];
    let Err(AppError::Invalid(problems)) = app.save_assessment_scheme_form(&office, &client, 2021, &short, &bands).await else { panic!("refused") };
    assert!(problems[0].message.render(domain::message::Lang::Zh).contains("90"), "the total is named: {:?}", problems[0].message);
    let whole = [row("A1", "按时报送", "40", "on_time_reporting", ""), row("A3", "回头看", "10", "reopened", "2"), row("B1", "综合评价", "50", "manual", "")];
    app.save_assessment_scheme_form(&office, &client, 2021, &whole, &bands).await.unwrap();
    let saved = app.assessment_scheme(&office, &client, 2021).await.unwrap();
    assert_eq!(saved.indicators().iter().map(|i| (i.code.as_str(), i.points)).collect::<Vec<_>>(), [("A1", 40.0), ("A3", 10.0), ("B1", 50.0)]);
    let departments = app.assessment_ranking(&office, &client, 2020, Tier::Departments).await.unwrap();
    assert!(departments.iter().any(|d| d.unit_name == "省应急管理厅") && departments.iter().all(|d| !d.unit_name.ends_with("人民政府")));
    let sheet = app.export_assessment(&office, &client, 2020, Tier::Cities, app::spreadsheet::SpreadsheetFormat::Csv, false).await.unwrap();
    assert_eq!(String::from_utf8(sheet).unwrap().lines().count(), 10, "a header and 9 cities");

    // The city decomposes item 1 for its counties; twice changes nothing; others may not.
    assert!(matches!(app.decompose_assignment(&jilinshi, &client, city_item1).await, Err(AppError::NotFound)));
    assert!(matches!(app.decompose_assignment(&office, &client, city_item1).await, Err(AppError::NotFound)), "the province does not act for the city");
    let cascade = app.decompose_assignment(&changchun, &client, city_item1).await.unwrap();
    assert_eq!(app.decompose_assignment(&changchun, &client, city_item1).await.unwrap(), cascade);
    let cascaded = app.plan_matrix(&changchun, &client, cascade).await.unwrap();
    assert_eq!(cascaded.rows.len(), 1);
    assert!(cascaded.rows[0].cells.len() >= 5 && cascaded.rows[0].cells.iter().all(|c| c.unit_name.starts_with("长春市") && c.unit_name != "长春市人民政府"));
    assert_eq!(
        app.store.task(cascaded.rows[0].task_id).await.unwrap().parent_task_id,
        Some(app.assignment_detail(&office, &client, city_item1).await.unwrap().task.id),
        "linked to the province's item"
    );

    // A city imports the same document as its own plan: the tier collectives now reach its
    // counties, and the province's plan is untouched.
    let city_plan = app.import_plan(&changchun, &client, PLAN, 2020).await.unwrap();
    assert!(city_plan.created && city_plan.plan_id != imported.plan_id);
    let city_matrix = app.plan_matrix(&changchun, &client, city_plan.plan_id).await.unwrap();
    assert!(city_matrix.plan.manages);
    let counties: Vec<&str> = city_matrix.rows[0].cells.iter().filter(|c| c.unit_name.ends_with("人民政府")).map(|c| c.unit_name.as_str()).collect();
    assert!(counties.len() >= 5 && counties.iter().all(|n| n.starts_with("长春市") && *n != "长春市人民政府"), "{counties:?}");

    // Export.
    let xlsx = app.export_plan(&office, &client, imported.plan_id, app::spreadsheet::SpreadsheetFormat::Xlsx, false).await.unwrap();
    assert!(xlsx.starts_with(b"PK"));
    let csv = app.export_plan(&yjt, &client, imported.plan_id, app::spreadsheet::SpreadsheetFormat::Csv, false).await.unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count() - 1, own.rows.iter().map(|r| r.cells.len()).sum::<usize>(), "an export holds exactly what the caller sees");
    app.report_progress(&changchun, &client, city_item1, "interim", "长春市阶段报告", vec![]).await.unwrap();
    let progress_of = |actor: Actor| {
        let app = app.clone();
        let plan = imported.plan_id;
        async move { String::from_utf8(app.export_progress(&actor, &Client::cli(), plan, app::spreadsheet::SpreadsheetFormat::Csv, false).await.unwrap()).unwrap() }
    };
    let progress = progress_of(yjt.clone()).await;
    assert!(progress.contains("全年任务完成。") && progress.contains("请补充分工方案"), "reports and review comments are in the progress export");
    assert!(!progress.contains("长春市阶段报告"), "only what the caller sees");
    assert!(progress_of(office.clone()).await.contains("长春市阶段报告"));
    assert!(db.store.verify_audit_chain().await.unwrap().is_ok());
}

#[tokio::test]
async fn work_plans_on_every_configured_backend() {
    for backend in store::testing::backends() {
        scenario(backend).await;
    }
}
