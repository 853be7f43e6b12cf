//! The demo's enforcement: every office that supervises enterprises (the emergency management
//! offices of every tier, the counties' housing and transport departments) with a planner and an
//! inspector pool, a chemical park, an override, this year's plan of each office drawn by 双随机,
//! and inspections done in the quarters that have ended (one with a finding and a penalty).

use domain::enforcement::{Authority, InspectionKind};
use domain::role::Role;
use domain::unit::UnitKind;
use store::{NewUnit, NewUser};

use app::enforcement::{FindingInput, InspectionInput, InspectionPlanInput, OverrideInput, PenaltyInput};
use app::{Actor, App, AppError, Client, Result, audit_event};
use domain::audit::Outcome;

/// Inspector-days a year each demo inspector gives to inspections.
const DAYS_PER_INSPECTOR: i64 = 200;

async fn actor(app: &App, name: &str) -> Result<Actor> {
    let user = app.store.user_by_username(name).await?.ok_or_else(|| AppError::Internal(format!("demo account {name} missing")))?;
    app.actor_for_user(&user).await
}

pub async fn load(app: &App, password_hash: &str) -> Result<()> {
    let client = Client::cli();
    let office = actor(app, "office").await?;
    // Enterprises of 吉林市's chemical sector sit in its chemical park.
    let jilin_chemicals = app
        .list_enterprises(
            &office,
            &client,
            &app::enterprises::ListQuery { region_code: Some("220200".into()), sector: Some("hazardous_chemicals".into()), ..Default::default() },
            1,
            20,
        )
        .await?;
    for enterprise in &jilin_chemicals.items {
        let event = audit_event(
            Some(&office),
            &client,
            "enforcement.chemical_park",
            format!("enterprise:{}", enterprise.id),
            Outcome::Success,
            serde_json::json!({"demo": true}),
        );
        app.store.add_to_chemical_park(enterprise.id, "吉林化学工业循环经济示范园区", &event).await?;
    }
    app.recompute_enforcement_profiles().await?;
    // A provincially owned chemical enterprise is supervised by the province by decision.
    if let Some(first) = jilin_chemicals.items.first() {
        let input = OverrideInput {
            enterprise_id: first.id,
            tier: "province".into(),
            authority: "emergency".into(),
            reason: "省属国有企业,由省应急管理厅直接监管".into(),
        };
        app.set_jurisdiction_override(&office, &client, &input).await?;
    }
    // Enterprises in both construction and road transport are claimed by two sector departments:
    // the office settles them with the county's emergency management bureau.
    loop {
        let summary = app.jurisdiction(&office, &client, None).await?;
        let overlapping: Vec<i64> = summary.exceptions.iter().filter(|e| e.status == "overlapping").map(|e| e.enterprise_id).collect();
        if overlapping.is_empty() {
            break;
        }
        for enterprise_id in overlapping {
            let input = OverrideInput {
                enterprise_id,
                tier: "county".into(),
                authority: "emergency".into(),
                reason: "兼营建筑施工和道路运输,由县级应急管理局统一监管".into(),
            };
            app.set_jurisdiction_override(&office, &client, &input).await?;
        }
    }
    let year = i64::from(domain::time::today().year());
    // Every office that supervises enterprises gets a planner, a pool and this year's plan. The
    // demo's regulators plan for their own offices; the other offices get accounts of their own.
    let known = [("220000", "yjt"), ("220100", "changchun"), ("220200", "jilinshi"), ("220104", "chaoyang")];
    let mut offices = app.supervising_offices().await?;
    // The demo's own regulators run offices even where the demo put no enterprise.
    for (code, _) in known {
        if !offices.iter().any(|(region, _, authority, _)| region == code && *authority == Authority::Emergency) {
            let region = app.store.region(code).await?;
            offices.push((code.to_owned(), region.name, Authority::Emergency, 0));
        }
    }
    for (region, region_name, authority, supervised) in offices {
        let known_planner = known.iter().find(|(code, _)| *code == region && authority == Authority::Emergency).map(|(_, name)| *name);
        let planner = match known_planner {
            Some(name) => actor(app, name).await?,
            None => {
                let suffix = match authority {
                    Authority::Emergency => "应急管理局",
                    Authority::Housing => "住房和城乡建设局",
                    Authority::Transport => "交通运输局",
                };
                let unit_name = format!("{region_name}{suffix}");
                let unit = NewUnit {
                    kind: UnitKind::Department,
                    name: unit_name.clone(),
                    full_name: unit_name.clone(),
                    region_code: Some(region.clone()),
                    enterprise_id: None,
                    lookup_keys: vec![domain::text::lookup_key(&unit_name)],
                };
                let event = audit_event(None, &client, "unit.create", format!("unit:{unit_name}"), Outcome::Success, serde_json::json!({"demo": true}));
                let unit_id = app.store.ensure_unit(&unit, &event).await?;
                let user = NewUser {
                    username: format!("jg{region}{}", &authority.key()[..1]),
                    display_name: unit_name,
                    password_hash: password_hash.to_owned(),
                    role: Role::Regulator.key().into(),
                    unit_id,
                    totp_secret: None,
                    must_change_password: false,
                };
                let event =
                    audit_event(None, &client, "user.create", String::new(), Outcome::Success, serde_json::json!({"username": user.username, "demo": true}));
                let user_id = app.store.create_user(&user, &event).await?;
                app.actor_for_user(&app.store.user(user_id).await?).await?
            }
        };
        app.register_enforcement_office(&office, &client, planner.unit_id, &region, authority).await?;
        // Enough inspectors for four visits to every enterprise the office supervises, two to a
        // visit.
        let inspectors = ((supervised * 8 + DAYS_PER_INSPECTOR - 1) / DAYS_PER_INSPECTOR).max(2);
        let mut pool = Vec::new();
        if region == "220100" && authority == Authority::Emergency {
            pool.push(app.store.user_by_username("inspector").await?.ok_or_else(|| AppError::Internal("demo inspector missing".into()))?.id);
        }
        for n in pool.len() as i64..inspectors {
            let user = NewUser {
                username: format!("zf{region}{}{:02}", &authority.key()[..1], n + 1),
                display_name: format!("{}执法人员{}", planner.unit_name, n + 1),
                password_hash: password_hash.to_owned(),
                role: Role::Inspector.key().into(),
                unit_id: planner.unit_id,
                totp_secret: None,
                must_change_password: false,
            };
            let event =
                audit_event(None, &client, "user.create", String::new(), Outcome::Success, serde_json::json!({"username": user.username, "demo": true}));
            pool.push(app.store.create_user(&user, &event).await?);
        }
        for user_id in pool {
            app.set_pool_inspector(&planner, &client, user_id, DAYS_PER_INSPECTOR).await?;
        }
        let plan_id = app.create_inspection_plan(&planner, &client, &InspectionPlanInput { year, region_code: region.clone() }).await?;
        record_some_inspections(app, plan_id, year, region == "220100" && authority == Authority::Emergency).await?;
    }
    Ok(())
}

/// Records about half of the visits of the quarters that have ended, by their first inspector,
/// on the middle day of the quarter; with `with_penalty`, the first finds a blocked fire lane and
/// fines it.
async fn record_some_inspections(app: &App, plan_id: i64, year: i64, with_penalty: bool) -> Result<()> {
    let client = Client::cli();
    let today = domain::time::today();
    let planner = actor(app, "office").await?;
    let plan = app.inspection_plan(&planner, &client, plan_id).await?;
    let mut first = with_penalty;
    for (index, item) in plan.items.iter().enumerate() {
        let day = jiff::civil::Date::new(year as i16, (item.quarter * 3 - 1) as i8, 15).map_err(|e| AppError::Internal(e.to_string()))?;
        if day > today || index % 2 == 1 {
            continue;
        }
        let Some(inspector_id) = item.inspectors.first() else { continue };
        let user = app.store.user(*inspector_id).await?;
        let inspector = app.actor_for_user(&user).await?;
        let input = InspectionInput {
            plan_item_id: Some(item.id),
            enterprise_id: item.enterprise_id,
            kind: if item.kind == InspectionKind::Unannounced { "unannounced" } else { "routine" }.into(),
            inspected_on: day.to_string(),
            summary: "检查安全生产责任制、隐患排查治理和应急预案落实情况".into(),
            signed_by: "企业安全管理负责人".into(),
            findings: if first {
                vec![FindingInput { location: "厂区东侧".into(), description: "消防车通道被货物占用".into(), grade: "general".into() }]
            } else {
                Vec::new()
            },
            penalties: if first {
                vec![PenaltyInput {
                    legal_basis: "《中华人民共和国安全生产法》第一百零二条".into(),
                    amount_yuan: "20000".into(),
                    decision_number: format!("（{}）应急罚〔{year}〕{}号", plan.region_name, item.id),
                    decided_on: day.to_string(),
                }]
            } else {
                Vec::new()
            },
            ..Default::default()
        };
        app.record_inspection(&inspector, &client, &input, Vec::new()).await?;
        first = false;
    }
    Ok(())
}
