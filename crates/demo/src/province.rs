//! The demo province: a deterministic (fixed-seed) set of about 3,000 enterprises spread over
//! Jilin's cities and counties in plausible proportions, and the demo accounts. Demo data is
//! synthetic: names and credit codes are generated and belong to no real enterprise.

use domain::CreditCode;
use domain::audit::Outcome;
use domain::enterprises::{Enterprise, EnterpriseInput};
use domain::region::RegionLevel;
use domain::role::Role;
use domain::unit::UnitKind;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{NewUnit, NewUser};

use app::{Actor, App, AppError, Client, Result, audit_event};

/// The signature the demo's campaign checks carry (a drawn scribble, a 300×100 PNG).
const DEMO_SIGNATURE: &[u8] = include_bytes!("../data/signature.png");

pub const DEMO_PROVINCE: &str = "220000";
pub const DEMO_PASSWORD: &str = "anwei-demo";
pub const DEMO_ENTERPRISE_COUNT: usize = 3_000;
/// The seed of everything the demo generates, so that every demo province is the same.
pub const DEMO_SEED: u64 = 20_200_521;
/// The reference plan (Jilin, 2020), which the demo runs as the current year's plan.
const DEMO_PLAN: &str = include_str!("../data/jilin-2020-workplan.txt");

/// Share of enterprises per city (by code), from the cities' relative economic weight.
const CITY_WEIGHTS: [(&str, u32); 9] =
    [("220100", 36), ("220200", 17), ("220300", 8), ("220400", 4), ("220500", 7), ("220600", 5), ("220700", 8), ("220800", 5), ("222400", 10)];

/// Industry mix: (section, share, trade words, high-risk sectors that may apply).
const INDUSTRIES: [(&str, u32, &[&str], &[&str]); 10] = [
    (
        "C",
        34,
        &["化工", "机械", "食品", "建材", "制药", "纺织", "钢铁", "木业"],
        &["hazardous_chemicals", "combustible_dust", "metallurgy", "ammonia_refrigeration"],
    ),
    ("F", 15, &["化工产品经销", "燃气销售", "石油销售", "商贸"], &["hazardous_chemicals", "gas"]),
    ("E", 12, &["建筑工程", "建设集团", "市政工程", "路桥工程"], &["construction"]),
    ("G", 10, &["物流", "运输", "客运", "危货运输"], &["road_transport", "hazardous_chemicals"]),
    ("B", 5, &["矿业", "石材", "煤业"], &["non_coal_mining", "coal_mining"]),
    ("D", 5, &["热力", "燃气", "电力"], &["gas"]),
    ("H", 7, &["酒店", "餐饮管理"], &[]),
    ("R", 4, &["文化娱乐", "体育场馆"], &[]),
    ("L", 4, &["商业管理", "物业服务"], &[]),
    ("A", 4, &["农牧", "林业"], &["ammonia_refrigeration"]),
];

const BRAND_SYLLABLES: [&str; 40] = [
    "恒", "泰", "鑫", "盛", "华", "宏", "远", "达", "通", "顺", "兴", "隆", "瑞", "丰", "长", "安", "吉", "祥", "正", "源", "东", "北", "松", "江", "白", "山",
    "金", "诚", "信", "德", "立", "新", "和", "昌", "永", "嘉", "康", "辰", "益", "博",
];
const SURNAMES: [&str; 20] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "金"];
const GIVEN: [&str; 20] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"];
/// Approximate centres of the cities, for scattering enterprise locations.
const CITY_CENTRES: [(&str, f64, f64); 9] = [
    ("220100", 125.32, 43.82),
    ("220200", 126.55, 43.84),
    ("220300", 124.35, 43.17),
    ("220400", 125.14, 42.89),
    ("220500", 125.94, 41.73),
    ("220600", 126.42, 41.94),
    ("220700", 124.82, 45.14),
    ("220800", 122.84, 45.62),
    ("222400", 129.51, 42.89),
];

/// A city's code and its counties (county code, city name, county name).
pub type CityCounties = (String, Vec<(String, String, String)>);

/// Generates the demo enterprises for the given county codes (grouped by city). Deterministic:
/// the same counties give the same enterprises.
pub fn generate_enterprises(counties_by_city: &[CityCounties], count: usize) -> Vec<EnterpriseInput> {
    let mut rng = ChaCha8Rng::seed_from_u64(DEMO_SEED);
    let mut inputs = vec![app::enterprises::sample_enterprise()];
    let mut used_names = std::collections::HashSet::new();
    used_names.insert(inputs[0].name.clone());
    let weight_total: u32 = CITY_WEIGHTS.iter().map(|(_, w)| w).sum();
    let industry_total: u32 = INDUSTRIES.iter().map(|i| i.1).sum();
    let mut serial: u32 = 0;
    while inputs.len() < count {
        serial += 1;
        let mut pick = rng.random_range(0..weight_total);
        let city_code = CITY_WEIGHTS
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(c, _)| *c)
            .unwrap_or("220100");
        let Some((_, counties)) = counties_by_city.iter().find(|(c, _)| c == city_code) else { continue };
        let Some((county_code, city_name, county_name)) = counties.choose(&mut rng) else { continue };
        let mut pick = rng.random_range(0..industry_total);
        let industry = INDUSTRIES
            .iter()
            .find(|i| {
                if pick < i.1 {
                    true
                } else {
                    pick -= i.1;
                    false
                }
            })
            .unwrap_or(&INDUSTRIES[0]);
        let trade = industry.2.choose(&mut rng).copied().unwrap_or("商贸");
        let brand: String = (0..2).map(|_| *BRAND_SYLLABLES.choose(&mut rng).unwrap_or(&"安")).collect();
        let place = county_name.trim_end_matches(['区', '县', '市', '旗']).chars().take(3).collect::<String>();
        let name = format!("{place}{brand}{trade}有限公司");
        if !used_names.insert(name.clone()) {
            continue;
        }
        let scale = match rng.random_range(0..100) {
            0..4 => "大型",
            4..20 => "中型",
            20..65 => "小型",
            _ => "微型",
        };
        let mut sectors: Vec<&str> = Vec::new();
        for sector in industry.3 {
            if rng.random_bool(0.45) {
                sectors.push(sector);
            }
        }
        let standardization = match rng.random_range(0..100) {
            0..3 => "一级",
            3..18 => "二级",
            18..55 => "三级",
            _ => "未达标",
        };
        let person = |rng: &mut ChaCha8Rng| format!("{}{}", SURNAMES.choose(rng).unwrap_or(&"王"), GIVEN.choose(rng).unwrap_or(&"伟"));
        let mobile = |rng: &mut ChaCha8Rng| format!("13{}{:08}", rng.random_range(0..10), rng.random_range(0..100_000_000u32));
        let (lon, lat) = CITY_CENTRES.iter().find(|c| c.0 == city_code).map(|c| (c.1, c.2)).unwrap_or((125.3, 43.9));
        let high_risk = !sectors.is_empty();
        let org_body: String = (0..8).map(|_| *CreditCode::alphabet()[..10].choose(&mut rng).unwrap_or(&b'0') as char).collect();
        let body = format!("91{county_code}{org_body}{}", CreditCode::alphabet()[(serial % 10) as usize] as char);
        let Some(credit_code) = CreditCode::complete(&body) else { continue };
        let licences = if sectors.contains(&"hazardous_chemicals") {
            format!(
                "危险化学品经营许可证|吉{}危化经字[{}]{:06}|{}-{:02}-{:02}",
                &county_code[..4],
                rng.random_range(2019..2025),
                serial,
                rng.random_range(2025..2029),
                rng.random_range(1..13),
                rng.random_range(1..29)
            )
        } else {
            String::new()
        };
        let insured = high_risk || rng.random_bool(0.3);
        inputs.push(EnterpriseInput {
            credit_code: credit_code.to_string(),
            name,
            region_code: county_code.clone(),
            address: format!("吉林省{city_name}{county_name}{}路{}号", BRAND_SYLLABLES.choose(&mut rng).unwrap_or(&"安"), rng.random_range(1..300)),
            longitude: format!("{:.4}", lon + rng.random_range(-0.35..0.35)),
            latitude: format!("{:.4}", lat + rng.random_range(-0.25..0.25)),
            industry: industry.0.into(),
            sectors: sectors.join(";"),
            scale: scale.into(),
            principal_name: person(&mut rng),
            principal_phone: mobile(&mut rng),
            safety_manager_name: person(&mut rng),
            safety_manager_phone: mobile(&mut rng),
            standardization: standardization.into(),
            licences,
            insurer: if insured {
                ["中国人民财产保险", "中国平安财产保险", "中国太平洋财产保险", "中华联合财产保险"].choose(&mut rng).unwrap_or(&"").to_string()
            } else {
                String::new()
            },
            insurance_cover_yuan: if insured { ["300000", "400000", "500000"].choose(&mut rng).unwrap_or(&"400000").to_string() } else { String::new() },
            insurance_expires_on: if insured { format!("{}-{:02}-28", rng.random_range(2026..2028), rng.random_range(1..13)) } else { String::new() },
        });
    }
    inputs
}

/// A demo account as printed for the newcomer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoAccount {
    pub username: &'static str,
    pub role: Role,
    pub unit: String,
    pub totp_secret: Option<String>,
}

/// The demo accounts: (username, display name, role, unit kind, unit name, region, needs TOTP).
const ACCOUNTS: [(&str, &str, Role, UnitKind, &str, &str); 11] = [
    ("office", "省安委办值班员", Role::CommitteeOffice, UnitKind::Office, "省安委会办公室", "220000"),
    ("yjt", "省应急管理厅联络员", Role::Department, UnitKind::Department, "省应急管理厅", "220000"),
    ("changchun", "长春市应急管理局", Role::Regulator, UnitKind::Department, "长春市应急管理局", "220100"),
    ("jilinshi", "吉林市应急管理局", Role::Regulator, UnitKind::Department, "吉林市应急管理局", "220200"),
    ("chaoyang", "朝阳区应急管理局", Role::Regulator, UnitKind::Department, "长春市朝阳区应急管理局", "220104"),
    ("inspector", "长春市执法人员", Role::Inspector, UnitKind::Department, "长春市应急管理局", "220100"),
    ("enterprise", "长春吉安化工安全员", Role::Enterprise, UnitKind::Enterprise, "", "220104"),
    ("expert", "省安全生产专家", Role::Expert, UnitKind::ExpertPanel, "省安全生产专家库", "220000"),
    ("sysadmin", "系统管理员", Role::SystemAdmin, UnitKind::Administration, "平台运维组", "220000"),
    ("secadmin", "安全管理员", Role::SecurityAdmin, UnitKind::Administration, "平台运维组", "220000"),
    ("auditor", "审计管理员", Role::AuditAdmin, UnitKind::Administration, "平台运维组", "220000"),
];

/// Whether the demo province has been loaded already.
pub async fn loaded(app: &App) -> Result<bool> {
    Ok(app.store.user_by_username("office").await?.is_some())
}

/// Loads the demo province: regions, units, enterprises and accounts. Returns the accounts.
pub async fn load(app: &App) -> Result<Vec<DemoAccount>> {
    load_with(app, DEMO_ENTERPRISE_COUNT).await
}

/// The demo's registry of `count` enterprises over the province's counties (the same first ones
/// whatever the count); the regions must be loaded.
pub async fn registry_inputs(app: &App, count: usize) -> Result<Vec<EnterpriseInput>> {
    let mut counties_by_city = Vec::new();
    for city in app.store.region_children(DEMO_PROVINCE).await? {
        let counties: Vec<(String, String, String)> = app
            .store
            .region_children(city.code.as_str())
            .await?
            .into_iter()
            .filter(|c| c.level == RegionLevel::County && !c.name.contains("开发区") && !c.name.contains("高新"))
            .map(|c| (c.code.to_string(), city.name.clone(), c.name))
            .collect();
        counties_by_city.push((city.code.to_string(), counties));
    }
    Ok(generate_enterprises(&counties_by_city, count))
}

/// `load_demo` with a chosen number of enterprises (tests use fewer).
pub async fn load_with(app: &App, enterprise_count: usize) -> Result<Vec<DemoAccount>> {
    let client = Client::cli();
    app.load_regions(Some(DEMO_PROVINCE)).await?;
    app.load_units(DEMO_PROVINCE).await?;
    let inputs = registry_inputs(app, enterprise_count).await?;
    let enterprises: Vec<Enterprise> = inputs.iter().map(|input| Enterprise::from_input(input).map_err(AppError::Invalid)).collect::<Result<_>>()?;
    let event = audit_event(
        None,
        &client,
        "enterprise.import",
        "enterprises".into(),
        Outcome::Success,
        serde_json::json!({"source": "demo", "rows": enterprises.len()}),
    );
    app.store.upsert_enterprises(&enterprises, &event).await?;
    let (showcase_id, _) =
        app.store.enterprise_id_by_credit_code(&inputs[0].credit_code).await?.ok_or_else(|| AppError::Internal("showcase enterprise missing".into()))?;

    let password_hash = app::auth::hash_password(DEMO_PASSWORD).await?;
    let mut accounts = Vec::new();
    for (username, display_name, role, kind, unit_name, region) in ACCOUNTS {
        let unit_id = match kind {
            UnitKind::Enterprise => ensure_demo_unit(app, kind, &inputs[0].name, Some(region), Some(showcase_id)).await?,
            UnitKind::ExpertPanel | UnitKind::Administration | UnitKind::Office if region == DEMO_PROVINCE => {
                ensure_demo_unit(app, kind, unit_name, Some(region), None).await?
            }
            _ => match app.resolve_unit(unit_name).await? {
                Some(unit) => unit.id,
                None => ensure_demo_unit(app, kind, unit_name, Some(region), None).await?,
            },
        };
        let totp_secret = role.is_administrator().then(app::auth::new_totp_secret);
        let user = NewUser {
            username: username.into(),
            display_name: display_name.into(),
            password_hash: password_hash.clone(),
            role: role.key().into(),
            unit_id,
            totp_secret: totp_secret.clone(),
            must_change_password: false,
        };
        let event = audit_event(
            None,
            &client,
            "user.create",
            String::new(),
            Outcome::Success,
            serde_json::json!({"username": username, "role": role.key(), "demo": true}),
        );
        app.store.create_user(&user, &event).await?;
        let unit = app.store.unit(unit_id).await?;
        accounts.push(DemoAccount { username, role, unit: unit.name, totp_secret });
    }
    load_demo_plan(app, &password_hash).await?;
    load_demo_dangers(app).await?;
    load_demo_commitments(app).await?;
    load_demo_risk_points(app, &enterprises).await?;
    load_demo_hazard_sources(app, &enterprises).await?;
    load_demo_campaign(app).await?;
    crate::accidents::load(app, DEMO_SEED).await?;
    crate::insurance::load(app, DEMO_SEED).await?;
    crate::tips::load(app).await?;
    app.send_tip_notices(domain::time::today()).await?;
    crate::enforcement::load(app, &password_hash).await?;
    app.send_danger_notices(domain::time::today()).await?;
    Ok(accounts)
}

/// The reference work plan as this year's plan, with progress as it might stand today: most
/// units have reported for the half year and many reports are accepted, some await review, a
/// few units have not reported at all (overdue), and a 回头看 round has reopened some work.
/// Reports are filed by a liaison account of each unit (`lianluo<unit id>`).
async fn load_demo_plan(app: &App, password_hash: &str) -> Result<()> {
    let client = Client::cli();
    let office_user = app.store.user_by_username("office").await?.ok_or_else(|| AppError::Internal("demo office account missing".into()))?;
    let office = app.actor_for_user(&office_user).await?;
    let today = domain::time::today();
    let imported = app.import_plan(&office, &client, DEMO_PLAN, today.year()).await?;
    // Early in the year the half-year deadline has not come yet; the demo then moves it two
    // weeks into the past, so that the matrix always shows reported, accepted and overdue work.
    let half_year_due = jiff::civil::Date::new(today.year(), 6, 30).map_err(|e| AppError::Internal(e.to_string()))?;
    if today <= half_year_due && imported.created {
        let earlier = today.checked_sub(jiff::Span::new().days(14)).map_err(|e| AppError::Internal(e.to_string()))?;
        for task in app.store.plan_tasks(imported.plan_id).await? {
            app.set_task_deadlines(&office, &client, task.id, &earlier.to_string(), &task.annual_due).await?;
        }
    }
    let matrix = app.plan_matrix(&office, &client, imported.plan_id).await?;
    let mut liaisons: std::collections::HashMap<i64, Actor> = std::collections::HashMap::new();
    let mut to_reopen = Vec::new();
    for cell in matrix.rows.iter().flat_map(|row| &row.cells) {
        // A fixed spread over assignments, the same on every run.
        let draw = (cell.id as u64).wrapping_mul(2_654_435_761) % 100;
        if draw < 5 {
            continue; // not started
        }
        let liaison = match liaisons.get(&cell.unit_id) {
            Some(actor) => actor.clone(),
            None => {
                let user = NewUser {
                    username: format!("lianluo{}", cell.unit_id),
                    display_name: format!("{}联络员", cell.unit_name),
                    password_hash: password_hash.to_owned(),
                    role: liaison_role(app, cell.unit_id).await?.key().into(),
                    unit_id: cell.unit_id,
                    totp_secret: None,
                    must_change_password: false,
                };
                let event =
                    audit_event(None, &client, "user.create", String::new(), Outcome::Success, serde_json::json!({"username": user.username, "demo": true}));
                let id = app.store.create_user(&user, &event).await?;
                let actor = app.actor_for_user(&app.store.user(id).await?).await?;
                liaisons.insert(cell.unit_id, actor.clone());
                actor
            }
        };
        if draw < 10 {
            app.start_assignment(&liaison, &client, cell.id).await?;
            continue; // started, but no half-year report: overdue
        }
        let text = format!("{}按照职责分工,围绕“{}”制定了实施方案,召开专题会议部署,开展督导检查,上半年任务按计划推进。", cell.unit_name, cell.task_title);
        app.report_progress(&liaison, &client, cell.id, "half_year", &text, Vec::new()).await?;
        if draw < 30 {
            continue; // awaiting review
        }
        app.review_assignment(&office, &client, cell.id, true, "").await?;
        if draw >= 88 {
            let text = format!("{}已全面完成“{}”年度任务,形成长效机制。", cell.unit_name, cell.task_title);
            app.report_progress(&liaison, &client, cell.id, "annual", &text, Vec::new()).await?;
            app.review_assignment(&office, &client, cell.id, true, "").await?;
            if draw >= 96 {
                to_reopen.push(cell.id);
            }
        }
    }
    // The reports were generated today; date them a few days before the half-year deadline,
    // as a real year's would mostly be.
    let due = app.store.plan_tasks(imported.plan_id).await?.first().map(|t| t.half_year_due.clone()).unwrap_or_default();
    if let Ok(due_start) = app::audit::day_start_ms(&due) {
        app.store.backdate_demo_reports(imported.plan_id, due_start - 5 * 86_400_000).await?;
    }
    if !to_reopen.is_empty() {
        let round = app.open_review_round(&office, &client, imported.plan_id, "第一轮回头看").await?;
        for id in to_reopen {
            app.reopen_assignment(&office, &client, id, round, "回头看发现整改不到位,相关隐患仍未彻底消除,请重新报送整改情况。").await?;
        }
    }
    app.send_deadline_notices(today).await?;
    load_demo_assessment(app, &office, i64::from(today.year())).await
}

/// Scores the office has entered for the cities this year, with their evidence, and one
/// city's one-vote veto, so that the ranking of the 9 cities shows every grade.
async fn load_demo_assessment(app: &App, office: &Actor, year: i64) -> Result<()> {
    let client = Client::cli();
    let cities = app.assessment_ranking(office, &client, year, app::assessment::Tier::Cities).await?;
    for (index, city) in cities.iter().enumerate() {
        let step = index as f64;
        let scores = [("B1", 15.0 - step * 1.2), ("B2", 14.0 - step * 1.5), ("B3", 20.0 - step * 2.0)];
        for (code, value) in scores {
            let evidence = format!("{}:年度检查材料、台账和现场核查记录({code})", city.unit_name);
            app.enter_assessment_score(office, &client, year, city.unit_id, code, value.max(0.0), &evidence).await?;
        }
    }
    if let Some(city) = cities.get(2) {
        app.record_assessment_finding(office, &client, year, city.unit_id, "veto", "演示数据:年内发生1起重大生产安全责任事故").await?;
    }
    Ok(())
}

/// Hidden dangers at 长春 enterprises in every state of the loop: some overdue, some 重大 ones
/// under listed supervision. The inspector rectifies on the enterprise's behalf in the demo,
/// and the city's regulator confirms and accepts.
async fn load_demo_dangers(app: &App) -> Result<()> {
    use app::hidden_dangers::{DangerActionInput, DangerInput};
    use domain::hidden_dangers::PlanInput;
    let client = Client::cli();
    let actor = |name: &'static str| async move {
        let user = app.store.user_by_username(name).await?.ok_or_else(|| AppError::Internal(format!("demo account {name} missing")))?;
        app.actor_for_user(&user).await
    };
    let (regulator, inspector) = (actor("changchun").await?, actor("inspector").await?);
    let enterprises = app.list_enterprises(&regulator, &client, &app::enterprises::ListQuery::default(), 1, 40).await?.items;
    let today = domain::time::today();
    let day = |offset: i64| today.checked_add(jiff::Span::new().days(offset)).map(|d| d.to_string()).unwrap_or_default();
    // (place, finding, the high-risk sectors it needs; none: any enterprise): a hotel is not
    // found with a liquefied-hydrocarbon tank, nor a trading company with a dust collector.
    const FINDINGS: [(&str, &str, &[&str]); 8] = [
        ("储罐区", "液化烃储罐未设置紧急切断阀", &["hazardous_chemicals", "gas"]),
        ("消防车通道", "消防车通道被货物占用", &[]),
        ("配电室", "配电柜前绝缘垫缺失", &[]),
        ("粉尘作业区", "除尘系统未设置泄爆装置", &["combustible_dust"]),
        ("危化品仓库", "禁忌物料混存", &["hazardous_chemicals"]),
        ("有限空间", "有限空间作业未执行审批", &[]),
        ("液氨制冷机房", "氨制冷机房未设置氨气浓度报警装置", &["ammonia_refrigeration"]),
        ("安全出口", "安全出口锁闭,疏散指示标志损坏", &[]),
    ];
    let step = |action: &str| DangerActionInput { action: action.into(), ..Default::default() };
    for (index, enterprise) in enterprises.iter().enumerate().take(36) {
        let sectors = app.store.enterprise(enterprise.id, &domain::access::Visibility::Everything).await?.enterprise.sectors;
        let fits = |needs: &[&str]| needs.is_empty() || sectors.iter().any(|sector| needs.contains(&sector.key()));
        // The finding in turn, or the next one that fits the enterprise.
        let (location, description, _) =
            (0..FINDINGS.len()).map(|step| FINDINGS[(index + step) % FINDINGS.len()]).find(|(_, _, needs)| fits(needs)).unwrap_or(FINDINGS[1]);
        let major = index % 5 == 0;
        // Every sixth danger is closed, the others stop one stage short of it in turn; a
        // third of the open ones are past their deadline.
        let stage = index % 6;
        let overdue = index % 3 == 0 && stage != 5;
        let deadline = if overdue { day(-(index as i64) - 3) } else { day(30 + index as i64) };
        let input = DangerInput {
            enterprise_id: enterprise.id,
            location: location.into(),
            description: description.into(),
            source: if index % 2 == 0 { "inspection".into() } else { "self_check".into() },
            grade: if major { "major".into() } else { "general".into() },
            // Reported with a deadline ahead; an overdue one is dated back below.
            deadline: Some(day(30)),
            responsible_person: "安全员".into(),
            ..Default::default()
        };
        let danger = app.report_danger(&inspector, &client, &input).await?;
        if overdue {
            let reported_at = domain::time::now_ms() - (index as i64 + 40) * 86_400_000;
            app.store.backdate_demo_danger(danger.id, &deadline, reported_at).await?;
        }
        if stage >= 1 {
            app.act_on_danger(&regulator, &client, danger.id, &step("confirm")).await?;
        }
        if stage >= 2 {
            let plan = PlanInput {
                goal: "消除隐患".into(),
                measures: format!("针对“{description}”落实整改"),
                funds: "企业自筹".into(),
                organization: "企业安全管理部门".into(),
                deadline: deadline.clone(),
                safety_measures: "整改期间设置警戒区,专人监护".into(),
                emergency_plan: "执行企业综合应急预案".into(),
            };
            app.act_on_danger(&inspector, &client, danger.id, &DangerActionInput { action: "plan".into(), plan, ..Default::default() }).await?;
        }
        if stage >= 3 {
            app.act_on_danger(&inspector, &client, danger.id, &step("start")).await?;
        }
        if stage >= 4 {
            app.act_on_danger(
                &inspector,
                &client,
                danger.id,
                &DangerActionInput { action: "submit".into(), note: "已整改,附照片".into(), ..Default::default() },
            )
            .await?;
        }
        if stage >= 5 {
            app.act_on_danger(&regulator, &client, danger.id, &step("accept")).await?;
        }
        if major && stage < 5 && index % 10 == 0 {
            app.list_danger(&regulator, &client, danger.id, &day(20), &format!("挂牌督办:{}{description}", enterprise.name)).await?;
        }
    }
    Ok(())
}

/// Daily safety commitments of the last week: most enterprises that must file did so each day,
/// fewer in some cities than others and fewer today (the day is under way); the showcase
/// enterprise has not filed today, so that its account finds the form.
async fn load_demo_commitments(app: &App) -> Result<()> {
    let today = domain::time::today();
    let due = app.store.missing_commitments(&domain::access::Visibility::Everything, &today.to_string(), None, i64::MAX, 0).await?;
    let account = app.store.user_by_username("enterprise").await?.ok_or_else(|| AppError::Internal("demo enterprise account missing".into()))?;
    let showcase_enterprise = app.store.unit(account.unit_id).await?.enterprise_id;
    let filed_by = account.id;
    let mut rng = ChaCha8Rng::seed_from_u64(DEMO_SEED ^ 0xC0DE);
    let mut rows = Vec::new();
    for days_ago in 0..7i64 {
        let day = today.checked_sub(jiff::Span::new().days(days_ago)).map_err(|e| AppError::Internal(e.to_string()))?.to_string();
        for enterprise in &due {
            if days_ago == 0 && Some(enterprise.enterprise_id) == showcase_enterprise {
                continue;
            }
            // Per cent filing: 长春 and 吉林 best, 白城 and 延边 least; today about two thirds so far.
            let city_rate: u32 = match enterprise.region_code.get(..4) {
                Some("2201" | "2202") => 96,
                Some("2208" | "2224") => 78,
                _ => 88,
            };
            let rate = if days_ago == 0 { city_rate * 2 / 3 } else { city_rate };
            if rng.random_range(0..100) >= rate {
                continue;
            }
            let principal =
                format!("{}{}", SURNAMES[enterprise.enterprise_id as usize % SURNAMES.len()], GIVEN[enterprise.enterprise_id as usize / 7 % GIVEN.len()]);
            let exceptions = if rng.random_range(0..40) == 0 { "2号储罐停用检修,已落实隔离和监护措施".to_owned() } else { String::new() };
            rows.push((enterprise.enterprise_id, day.clone(), principal, exceptions));
        }
    }
    app.store.insert_demo_commitments(&rows, "今日各生产装置、罐区、仓库等重点部位运行正常,安全风险处于受控状态。", filed_by).await?;
    Ok(())
}

/// Risk points for most demo enterprises, graded by LEC from a few realistic factor sets,
/// more and higher where an enterprise has high-risk sectors, so that the regional four-colour
/// map shows every colour.
async fn load_demo_risk_points(app: &App, enterprises: &[Enterprise]) -> Result<()> {
    use app::risk_points::{RiskPointInput, graded_point};
    const POINTS: [(&str, &str, &str, f64, f64, f64); 6] = [
        ("办公区", "火灾", "灭火器、疏散通道", 1.0, 6.0, 3.0),
        ("生产车间", "机械伤害", "防护罩、操作规程", 3.0, 6.0, 7.0),
        ("配电室", "触电", "绝缘防护、持证上岗", 3.0, 3.0, 7.0),
        ("仓库", "火灾", "消防设施、禁火管理", 3.0, 6.0, 15.0),
        ("储罐区", "火灾爆炸", "可燃气体报警、紧急切断", 6.0, 3.0, 15.0),
        ("反应釜区", "爆炸", "DCS 联锁、安全阀", 6.0, 6.0, 15.0),
    ];
    // The most severe point a city's enterprises may have: the chemical cities reach 重大, the
    // others stop at 较大, 一般 or 低, so that the map shows all four colours.
    let cap = |region: &str| match &region[..4] {
        "2201" | "2202" | "2207" => 5,
        "2203" | "2205" | "2224" => 4,
        "2204" | "2206" => 1,
        _ => 0,
    };
    let mut points = Vec::new();
    let mut ids = Vec::new();
    for enterprise in enterprises {
        if let Some((id, _)) = app.store.enterprise_id_by_credit_code(enterprise.credit_code.as_str()).await? {
            ids.push((id, !enterprise.sectors.is_empty(), cap(enterprise.region_code.as_str())));
        }
    }
    for (index, (enterprise_id, high_risk, cap)) in ids.iter().enumerate() {
        let draw = (index as u64).wrapping_mul(2_654_435_761) % 100;
        let count = if *high_risk { 3 } else { (draw % 3) as usize };
        for n in 0..count {
            // Low-risk places for everyone; the hazardous ones mostly where the sectors are.
            let pick = if *high_risk { (draw as usize + n * 2) % POINTS.len() } else { (draw as usize + n) % 3 };
            let pick = pick.min(*cap);
            let (name, hazard, controls, l, e, c) = POINTS[pick];
            let input = RiskPointInput {
                name: name.into(),
                hazard_type: hazard.into(),
                controls: controls.into(),
                responsible_level: if n == 0 { "company".into() } else { "workshop".into() },
                responsible_person: "安全管理员".into(),
                method: "lec".into(),
                l: Some(l),
                e: Some(e),
                c: Some(c),
                s: None,
            };
            points.push(graded_point(*enterprise_id, &input, &app.risk_bands).map_err(AppError::Invalid)?);
        }
    }
    let office = app.store.user_by_username("office").await?.ok_or_else(|| AppError::Internal("demo office account missing".into()))?;
    let event =
        audit_event(None, &Client::cli(), "risk_point.create", "demo".into(), Outcome::Success, serde_json::json!({"points": points.len(), "demo": true}));
    app.store.add_risk_points(&points, office.id, &event).await?;
    Ok(())
}

/// Major hazard sources: the showcase enterprise's liquid-ammonia tank farm with a sensor of
/// every kind, and a source with a few sensors at enterprises of the hazardous-chemicals
/// sector, graded by GB 18218 from their chemicals.
async fn load_demo_hazard_sources(app: &App, enterprises: &[Enterprise]) -> Result<()> {
    use app::hazard_sources::{HazardSourceInput, SensorInput, checked_sensor, graded_source};
    use domain::enterprises::HighRiskSector;
    use domain::monitoring::Thresholds;
    let office = app.store.user_by_username("office").await?.ok_or_else(|| AppError::Internal("demo office account missing".into()))?;
    let client = Client::cli();
    // (name, kind, chemicals, people within 500 m, the sensors a source of its kind carries)
    type SourceTemplate = (&'static str, &'static str, &'static [&'static str], u64, &'static [&'static str]);
    const SOURCES: [SourceTemplate; 5] = [
        ("液氨储罐区", "storage", &["氨=60"], 120, &["LT101", "PT101", "AT101"]),
        ("液化石油气储罐区", "storage", &["68476-85-7=120"], 40, &["LT101", "PT101", "GT101"]),
        // Chlorine is toxic, not combustible: a chlorine detector and the store's temperature.
        ("氯气钢瓶库", "storage", &["7782-50-5=8"], 60, &["AT102", "TT101"]),
        ("甲醇中间罐区", "storage", &["67-56-1=900", "W5.1=30"], 10, &["LT101", "TT101", "GT101"]),
        ("液氨制冷机房", "production", &["氨=15"], 80, &["PT102", "AT103"]),
    ];
    // (tag, name, kind, unit, range, thresholds [ll, l, h, hh], interval s)
    type SensorTemplate = (&'static str, &'static str, &'static str, f64, f64, [Option<f64>; 4], u32);
    const SENSORS: [SensorTemplate; 9] = [
        ("LT101", "1#储罐液位", "level", 0.0, 100.0, [Some(5.0), Some(10.0), Some(85.0), Some(95.0)], 10),
        ("TT101", "1#储罐温度", "temperature", -40.0, 80.0, [None, None, Some(40.0), Some(50.0)], 10),
        ("PT101", "1#储罐压力", "pressure", 0.0, 2.5, [None, Some(0.1), Some(1.6), Some(2.0)], 5),
        ("FT101", "进料流量", "flow", 0.0, 50.0, [None, None, Some(40.0), Some(45.0)], 5),
        ("GT101", "罐区可燃气体", "combustible_gas", 0.0, 100.0, [None, None, Some(25.0), Some(50.0)], 5),
        ("AT101", "罐区氨气浓度", "toxic_gas", 0.0, 200.0, [None, None, Some(28.0), Some(56.0)], 5),
        // Chlorine in ppm: first alarm at its occupational limit, the second at twice it (GB/T 50493-2019).
        ("AT102", "库区氯气浓度", "toxic_gas", 0.0, 10.0, [None, None, Some(0.5), Some(1.0)], 5),
        ("PT102", "制冷系统高压侧压力", "pressure", 0.0, 2.5, [None, Some(0.3), Some(1.6), Some(1.8)], 5),
        ("AT103", "机房氨气浓度", "toxic_gas", 0.0, 200.0, [None, None, Some(28.0), Some(56.0)], 5),
    ];
    // Sources go where their trade keeps them: chemical works and traders hold tanks and chlorine,
    // gas and fuel sellers liquefied petroleum gas, food plants and farms ammonia refrigeration;
    // hotels, builders and hauliers hold none.
    let source_of = |enterprise: &Enterprise, n: usize| -> Option<usize> {
        let name = enterprise.name.as_str();
        if ["化工", "制药"].iter().any(|trade| name.contains(trade)) && enterprise.sectors.contains(&HighRiskSector::HazardousChemicals) {
            Some([0, 2, 3][n % 3])
        } else if ["燃气", "石油销售"].iter().any(|trade| name.contains(trade)) {
            Some(1)
        } else if ["食品", "农牧"].iter().any(|trade| name.contains(trade)) && enterprise.sectors.contains(&HighRiskSector::AmmoniaRefrigeration) {
            Some(4)
        } else {
            None
        }
    };
    let mut targets = Vec::new();
    for (index, enterprise) in enterprises.iter().enumerate() {
        let source = if index == 0 { Some(0) } else { source_of(enterprise, targets.len()) };
        if let Some(source) = source
            && (index == 0 || targets.len() < 40)
            && let Some((id, _)) = app.store.enterprise_id_by_credit_code(enterprise.credit_code.as_str()).await?
        {
            targets.push((index, id, source));
        }
    }
    let mut sensors = Vec::new();
    for (index, enterprise_id, source) in targets {
        let (name, kind, chemicals, people, tags) = SOURCES[source];
        let input = HazardSourceInput {
            enterprise_id,
            name: name.into(),
            unit_kind: kind.into(),
            people_nearby: people,
            principal_person: "企业主要负责人".into(),
            technical_person: "设备技术负责人".into(),
            operating_person: "罐区操作负责人".into(),
            chemicals: chemicals.iter().map(|c| (*c).to_owned()).collect(),
        };
        let graded = graded_source(&input).map_err(AppError::Invalid)?;
        let event =
            audit_event(None, &client, "hazard_source.create", String::new(), Outcome::Success, serde_json::json!({"demo": true, "level": graded.level}));
        let source_id = app.store.add_hazard_source(&graded, office.id, &event).await?;
        let source = app.store.hazard_source(source_id, &domain::access::Visibility::Everything).await?;
        // The showcase has every kind of the tank farm; the others what their kind carries.
        let templates: Vec<&SensorTemplate> = if index == 0 {
            SENSORS.iter().filter(|s| !["AT102", "PT102", "AT103"].contains(&s.0)).collect()
        } else {
            SENSORS.iter().filter(|s| tags.contains(&s.0)).collect()
        };
        for (tag, sensor_name, kind, min, max, [low_low, low, high, high_high], interval_s) in templates {
            let input = SensorInput {
                code: format!("JL{enterprise_id:05}-{tag}"),
                name: (*sensor_name).into(),
                kind: (*kind).into(),
                unit: None,
                range_min: *min,
                range_max: *max,
                thresholds: Thresholds { low_low: *low_low, low: *low, high: *high, high_high: *high_high },
                interval_s: *interval_s,
                rules: None,
            };
            sensors.push(checked_sensor(&source, &input).map_err(AppError::Invalid)?);
        }
    }
    let event = audit_event(None, &client, "sensor.create", "demo".into(), Outcome::Success, serde_json::json!({"sensors": sensors.len(), "demo": true}));
    app.store.add_sensors(&sensors, &event).await?;
    let codes: Vec<String> = sensors.iter().map(|s| s.code.clone()).collect();
    app.store.mark_sensors_simulated(&codes).await?;
    Ok(())
}

/// Demo provinces made before sensors were marked as simulated: marks the demo's own sensors
/// (`JL{enterprise}-{tag}` of the demo's templates) so that the simulator keeps feeding them
/// and nothing else. Run by `anwei demo` only.
pub async fn mark_legacy_sensors(app: &App) -> Result<u64> {
    if !app.store.simulated_sensors().await?.is_empty() {
        return Ok(0);
    }
    const TAGS: [&str; 9] = ["LT101", "TT101", "PT101", "FT101", "GT101", "AT101", "AT102", "PT102", "AT103"];
    let codes: Vec<String> = app
        .store
        .all_sensors()
        .await?
        .into_iter()
        .map(|s| s.code)
        .filter(|code| {
            code.strip_prefix("JL")
                .and_then(|rest| rest.split_once('-'))
                .is_some_and(|(id, tag)| id.len() == 5 && id.bytes().all(|b| b.is_ascii_digit()) && TAGS.contains(&tag))
        })
        .collect();
    Ok(app.store.mark_sensors_simulated(&codes).await?)
}

/// The shipped checklists and a running province-wide fire-lane campaign: the 长春 inspector
/// and the 吉林市 regulator have checked some of their targets, finding a few blocked lanes.
async fn load_demo_campaign(app: &App) -> Result<()> {
    use app::checklists::{CampaignInput, ItemAnswer};
    app.load_shipped_checklists().await?;
    let client = Client::cli();
    let actor = |name: &'static str| async move {
        let user = app.store.user_by_username(name).await?.ok_or_else(|| AppError::Internal(format!("demo account {name} missing")))?;
        app.actor_for_user(&user).await
    };
    let office = actor("office").await?;
    let lanes =
        app.store.checklists().await?.into_iter().find(|c| c.code == "fire-lanes").ok_or_else(|| AppError::Internal("fire-lane checklist missing".into()))?;
    let items = app.store.checklist_items(lanes.id).await?;
    let today = domain::time::today();
    let input = CampaignInput {
        name: format!("{}年打通“生命通道”消防车通道专项整治", today.year()),
        checklist_id: lanes.id,
        starts_on: today.checked_sub(jiff::Span::new().days(30)).map(|d| d.to_string()).unwrap_or_default(),
        ends_on: today.checked_add(jiff::Span::new().days(60)).map(|d| d.to_string()).unwrap_or_default(),
        responsible_units: "各级应急管理局、消防救援支队、住房城乡建设部门".into(),
        ..Default::default()
    };
    let campaign = app.create_campaign(&office, &client, &input).await?;
    for (checker, share) in [("inspector", 3), ("jilinshi", 4)] {
        let checker = actor(checker).await?;
        let targets = app.list_enterprises(&checker, &client, &app::enterprises::ListQuery::default(), 1, 200).await?.items;
        for (index, enterprise) in targets.iter().enumerate().filter(|(i, _)| i % share == 0) {
            // One check in five finds a blocked lane.
            let answers: Vec<ItemAnswer> = items
                .iter()
                .map(|item| {
                    let blocked = index % 5 == 0 && item.code == "2";
                    let note = if blocked { "消防车通道被货物和车辆占用,宽度不足4米".to_owned() } else { String::new() };
                    ItemAnswer { item_id: item.id, passed: !blocked, note, photos: Vec::new() }
                })
                .collect();
            // Done on site in the last weeks, signed by the enterprise's representative.
            let finished_at = domain::time::now_ms() - (index as i64 % 20 + 1) * 86_400_000 - 3_600_000;
            let field = app::checklists::FieldInput {
                started_at: Some(finished_at - 40 * 60_000),
                finished_at: Some(finished_at),
                signed_by: "企业安全负责人".into(),
                signature: Some(DEMO_SIGNATURE.to_vec()),
                ..Default::default()
            };
            let input = app::checklists::RunInput { checklist_id: lanes.id, kind: "campaign".into(), campaign_id: Some(campaign), answers, field };
            app.run_checklist(&checker, &client, enterprise.id, &input).await?;
        }
    }
    // The provincial expert: in the pool, on the campaign, and asked to verify a 重大
    // rectification waiting for acceptance in 长春.
    let expert = app.store.user_by_username("expert").await?.ok_or_else(|| AppError::Internal("demo expert missing".into()))?;
    app.set_expert_profile(&office, &client, expert.id, "危险化学品、消防、特种设备", DEMO_PROVINCE).await?;
    app.assign_expert_to_campaign(&office, &client, campaign, expert.id).await?;
    let regulator = actor("changchun").await?;
    let waiting = store::DangerFilter { grade: Some("major".into()), state: Some("pending_acceptance".into()), ..Default::default() };
    if let Some(danger) = app.danger_list(&regulator, &client, &waiting, false).await?.first() {
        app.assign_expert_to_danger(&regulator, &client, danger.id, expert.id).await?;
    }
    Ok(())
}

/// The role a unit's liaison holds: the office's for an office, a regulator's for a
/// government, a department user's otherwise.
async fn liaison_role(app: &App, unit_id: i64) -> Result<Role> {
    let unit = app.store.unit(unit_id).await?;
    Ok(match UnitKind::parse(&unit.kind) {
        Ok(UnitKind::Office) => Role::CommitteeOffice,
        Ok(UnitKind::Government) => Role::Regulator,
        _ => Role::Department,
    })
}

async fn ensure_demo_unit(app: &App, kind: UnitKind, name: &str, region: Option<&str>, enterprise_id: Option<i64>) -> Result<i64> {
    let unit = NewUnit {
        kind,
        name: name.into(),
        full_name: name.into(),
        region_code: region.map(str::to_owned),
        enterprise_id,
        lookup_keys: vec![domain::text::lookup_key(name)],
    };
    let event = audit_event(None, &Client::cli(), "unit.create", format!("unit:{name}"), Outcome::Success, serde_json::json!({"kind": kind.as_str()}));
    Ok(app.store.ensure_unit(&unit, &event).await?)
}
