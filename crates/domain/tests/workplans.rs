//! Tests of the work-plan parser against the Jilin 2020 plan (a web copy in Traditional script with
//! page noise), synthetic plans for the other layouts, hostile inputs and random inputs.

use domain::message::Lang;
use std::collections::BTreeSet;

use domain::text::to_simplified;
use domain::workplans::{self, MAX_GROUPS_PER_ITEM, MAX_ITEMS, MAX_SECTIONS, MAX_UNITS_PER_GROUP, MAX_WARNINGS, ParsedPlan, WorkItem};
use proptest::prelude::*;

const JILIN_2020: &str = include_str!("../../demo/data/jilin-2020-workplan.txt");

fn jilin() -> ParsedPlan {
    workplans::parse(JILIN_2020)
}

fn item(plan: &ParsedPlan, number: u32) -> &WorkItem {
    plan.items().find(|item| item.number() == number).unwrap_or_else(|| panic!("item {number} is missing"))
}

/// Every piece of text the plan outputs.
fn all_texts(plan: &ParsedPlan) -> Vec<&str> {
    let mut texts = vec![plan.title()];
    for section in plan.sections() {
        texts.extend([section.number(), section.title()]);
        for item in section.items() {
            texts.extend([item.title(), item.text()]);
            for group in item.responsibilities() {
                texts.push(group.text());
                texts.extend(group.lead().iter().chain(group.cooperating()).map(String::as_str));
            }
        }
    }
    texts
}

fn all_units(plan: &ParsedPlan) -> Vec<&str> {
    plan.items().flat_map(|item| item.responsibilities()).flat_map(|group| group.lead().iter().chain(group.cooperating())).map(String::as_str).collect()
}

#[test]
fn reference_plan_has_five_sections_and_24_items_in_order() {
    let plan = jilin();
    let layout: Vec<(&str, Vec<u32>)> =
        plan.sections().iter().map(|section| (section.number(), section.items().iter().map(WorkItem::number).collect())).collect();
    assert_eq!(
        layout,
        [
            ("一", (1..=4).collect::<Vec<u32>>()),
            ("二", (5..=7).collect()),
            ("三", (8..=16).collect()),
            ("四", (17..=19).collect()),
            ("五", (20..=24).collect()),
        ]
    );
    assert_eq!(plan.sections()[1].title(), "健全完善安全生产责任体系,层层压实安全生产责任");
    assert_eq!(plan.sections()[4].title(), "加强基础保障体系建设,全面提升安全保障能力");
    assert_eq!(plan.title(), "安委会工作要点");
    assert_eq!(plan.year(), None);
}

#[test]
fn reference_plan_items_have_titles_and_text() {
    let plan = jilin();
    let first = item(&plan, 1);
    assert_eq!(first.title(), "持续深入开展习近平总书记关于安全生产重要论述的宣贯教育活动");
    assert!(first.text().starts_with("持续深入开展习近平总书记"));
    assert!(first.text().ends_with("坚决扛起保民平安的政治责任(各级党委、政府,中省直各有关部门分工负责)。"));
    assert_eq!(item(&plan, 14).title(), "深化燃气、工贸等其他行业领域安全风险隐患排查治理");
    assert_eq!(item(&plan, 9).title(), "深入开展打通“生命通道”集中整治行动");
    assert_eq!(item(&plan, 24).title(), "加强安全生产宣教培训制度化建设");
    assert!(item(&plan, 24).text().ends_with("等有关部门和省消防救援总队按职责分工负责)。"), "the tag list must be cut off");
}

#[test]
fn reference_plan_responsibility_groups() {
    let plan = jilin();
    let first = item(&plan, 1).responsibilities();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].text(), "各级党委、政府,中省直各有关部门分工负责");
    assert!(first[0].lead().is_empty());
    assert_eq!(first[0].cooperating(), ["各级党委、政府", "中省直各有关部门"]);

    let fourth = &item(&plan, 4).responsibilities()[0];
    assert_eq!(fourth.lead(), ["省应急管理厅", "省发展改革委"]);
    assert_eq!(fourth.cooperating(), ["省交通运输厅", "省公安厅", "省住房和城乡建设厅", "国家能源局东北监管局", "省能源局"]);

    let fourteen = item(&plan, 14).responsibilities();
    assert_eq!(fourteen.len(), 4);
    assert_eq!(fourteen[0].cooperating().last().map(String::as_str), Some("省商务厅"), "`省商务厅等按职责分工负责`");
    assert_eq!(fourteen[1].cooperating(), ["各级党委、政府", "省应急管理厅"]);
    assert!(fourteen[2].cooperating().contains(&"民航吉林监管局".to_owned()));
    assert_eq!(fourteen[3].lead(), ["省卫生健康委"]);
    assert_eq!(fourteen[3].cooperating(), ["各级党委、政府", "各有关部门"]);

    let eighteen = item(&plan, 18).responsibilities();
    assert_eq!(eighteen.len(), 4);
    assert_eq!(eighteen[0].cooperating(), ["省应急管理厅"]);
    assert_eq!(eighteen[1].lead(), ["省应急管理厅", "省市场监督管理厅", "省政数局"]);
    assert_eq!(eighteen[1].cooperating(), ["各有关部门"]);
    assert_eq!(eighteen[3].cooperating(), ["省应急管理厅"], "`省应急管理厅等有关部门` names one unit");

    let twenty_three = &item(&plan, 23).responsibilities()[0];
    assert!(twenty_three.lead().is_empty());
    assert_eq!(twenty_three.cooperating().len(), 7);
    assert_eq!(&twenty_three.cooperating()[3..], ["省民政厅", "省林业和草原局", "省消防救援总队", "省森林消防总队"]);

    let thirteen = &item(&plan, 13).responsibilities()[0];
    assert_eq!(&thirteen.cooperating()[..3], ["各级党委、政府", "省消防救援总队", "省应急管理厅"], "`省消防救援总队和省应急管理厅`");
    assert!(thirteen.cooperating().contains(&"省卫生健康委".to_owned()), "衞 folds to 卫");

    let group_counts: Vec<usize> = plan.items().map(|item| item.responsibilities().len()).collect();
    assert_eq!(group_counts, [1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 3, 1, 4, 1, 2, 2, 4, 2, 1, 1, 1, 2, 1]);
    assert!(plan.items().flat_map(WorkItem::responsibilities).filter(|group| !group.lead().is_empty()).count() == 3);
}

#[test]
fn reference_plan_quotes_and_book_titles_are_not_groups() {
    let plan = jilin();
    let second = item(&plan, 2);
    assert!(second.text().contains("“3·21”"));
    assert_eq!(second.responsibilities().len(), 1);
    let fifth = item(&plan, 5);
    assert!(fifth.text().contains("《吉林省安全生产约谈实施办法(试行)》"));
    assert_eq!(fifth.responsibilities().len(), 1);
    assert!(fifth.responsibilities()[0].text().starts_with("各级党委、政府"));
    for group in plan.items().flat_map(WorkItem::responsibilities) {
        assert!(!group.text().contains(['“', '《']), "{}", group.text());
        assert!(!group.text().contains("试行") && !group.text().contains("党组"), "{}", group.text());
    }
}

#[test]
fn reference_plan_unit_names_are_clean() {
    let plan = jilin();
    let units = all_units(&plan);
    assert!(!units.is_empty());
    for unit in &units {
        for forbidden in ["牵头", "负责", "配合", "会同", "等有关部门", "“", "《", ",", "、省"] {
            assert!(!unit.contains(forbidden), "unit {unit:?} contains {forbidden:?}");
        }
        assert!(!unit.ends_with('等') && unit.chars().count() >= 3, "{unit:?}");
    }
    let distinct: BTreeSet<&str> = units.into_iter().collect();
    let expected: BTreeSet<&str> = [
        "中省直各有关部门",
        "各有关部门",
        "各级党委、政府",
        "吉林煤监局",
        "吉林银保监局",
        "团省委",
        "国家能源局东北监管局",
        "民航吉林监管局",
        "沈铁驻长办",
        "省交通运输厅",
        "省人力资源和社会保障厅",
        "省住房和城乡建设厅",
        "省公安厅",
        "省农业农村厅",
        "省卫生健康委",
        "省发展改革委",
        "省发改委",
        "省司法厅",
        "省商务厅",
        "省国资委",
        "省外事办",
        "省委宣传部",
        "省安委会办公室",
        "省工业和信息化厅",
        "省市场监督管理厅",
        "省市场监管厅",
        "省广电局",
        "省应急管理厅",
        "省总工会",
        "省政数局",
        "省教育厅",
        "省文化和旅游厅",
        "省林业和草原局",
        "省森林消防总队",
        "省民政厅",
        "省气象局",
        "省水利厅",
        "省消防救援总队",
        "省生态环境厅",
        "省科技厅",
        "省能源局",
        "省自然资源厅",
        "省财政厅",
    ]
    .into();
    assert_eq!(distinct, expected);
}

#[test]
fn reference_plan_output_is_simplified_and_free_of_noise() {
    let plan = jilin();
    for text in all_texts(&plan) {
        assert_eq!(to_simplified(text), text, "not Simplified: {text}");
        for noise in ["来源", "热门标签", "1.93W", "瑞文", "\r", "\u{FEFF}"] {
            assert!(!text.contains(noise), "{noise:?} in {text}");
        }
    }
    assert!(!all_texts(&plan).iter().any(|text| text.contains('會') || text.contains('廳')));
}

#[test]
fn reference_plan_warns_only_about_the_unplaced_introduction() {
    let plan = jilin();
    assert_eq!(plan.warnings().len(), 1, "{:?}", plan.warnings());
    assert!(plan.warnings()[0].render(Lang::En).contains("line 5:"), "{}", plan.warnings()[0]);
    assert!(plan.warnings()[0].render(Lang::En).contains("坚持以习近平新时代"), "{}", plan.warnings()[0]);
}

#[test]
fn simplified_copy_of_the_reference_plan_parses_the_same() {
    let simplified = to_simplified(JILIN_2020);
    assert_ne!(simplified, JILIN_2020);
    assert_eq!(workplans::parse(&simplified), jilin());
}

#[test]
fn json_follows_the_contract() {
    let json = serde_json::to_string(&jilin()).expect("serialises");
    assert!(json.starts_with(r#"{"title":"安委会工作要点","year":null,"sections":[{"number":"一","title":"深入学习"#), "{}", &json[..200]);
    assert!(
        json.contains(r#"],"warnings":[{"code":"workplans.line","args":[["line","5"],["problem",{"code":"workplans.problem."#),
        "warnings are messages by code"
    );
    assert!(json.contains(r#"{"number":1,"title":"持续深入开展习近平总书记关于安全生产重要论述的宣贯教育活动","text":"持续深入开展"#));
    assert!(
        json.contains(
            r#""responsibilities":[{"text":"各级党委、政府,中省直各有关部门分工负责","lead":[],"cooperating":["各级党委、政府","中省直各有关部门"]}]}"#
        )
    );
}

#[test]
fn sub_sections_under_headings_are_the_sections() {
    let plan = workplans::parse(
        "2020年全市安全生产工作要点\n\
         一、深化专项整治\n\
         (一)强化责任落实\n\
         1.压实责任。加强领导(市应急管理局牵头,各有关部门按职责分工负责)。\n\
         2.完善考核。\n\
         （二）深化危化品整治。\n\
         3.危化品整治(市应急管理局负责)。\n\
         二、保障措施\n\
         （一）加强组织领导\n\
         1、建立机制。\n",
    );
    let layout: Vec<(&str, &str, Vec<u32>)> =
        plan.sections().iter().map(|section| (section.number(), section.title(), section.items().iter().map(WorkItem::number).collect())).collect();
    assert_eq!(layout, [("(一)", "强化责任落实", vec![1, 2]), ("(二)", "深化危化品整治", vec![3]), ("(一)", "加强组织领导", vec![1])]);
    assert_eq!(plan.title(), "2020年全市安全生产工作要点");
    assert_eq!(plan.year(), Some(2020));
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
    let first = &plan.sections()[0].items()[0];
    assert_eq!(first.title(), "压实责任");
    assert_eq!(first.responsibilities()[0].lead(), ["市应急管理局"]);
    assert_eq!(first.responsibilities()[0].cooperating(), ["各有关部门"]);
}

#[test]
fn items_directly_under_a_heading_and_sub_sections_can_mix() {
    let plan = workplans::parse("要点\n一、甲\n1.甲一。\n(一)乙\n2.乙一。\n二、丙\n3.丙一。\n");
    let numbers: Vec<&str> = plan.sections().iter().map(|section| section.number()).collect();
    assert_eq!(numbers, ["一", "(一)", "二"]);
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
}

#[test]
fn numbering_variants_crlf_and_bom() {
    let plan =
        workplans::parse("\u{FEFF}安委会工作要点\r\n\r\n一、甲\r\n1、乙。\r\n２．丙(省应急管理厅负责)。\r\n\u{3000}\u{3000}3.丁\r(1)子项(省公安厅负责)\r\n");
    assert_eq!(plan.title(), "安委会工作要点");
    let items: Vec<(u32, &str, &str)> = plan.items().map(|item| (item.number(), item.title(), item.text())).collect();
    assert_eq!(items, [(1, "乙", "乙。"), (2, "丙", "丙(省应急管理厅负责)。"), (3, "丁", "丁\n(1)子项(省公安厅负责)")]);
    assert_eq!(item(&plan, 2).responsibilities()[0].cooperating(), ["省应急管理厅"]);
    assert_eq!(item(&plan, 3).responsibilities()[0].cooperating(), ["省公安厅"], "sub-points belong to their item");
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
}

#[test]
fn a_dated_plan_name_wins_the_title() {
    let plan = workplans::parse("吉林省安全生产委员会\n关于印发2021年全省安全生产工作要点的通知\n2021年全省安全生产工作要点\n一、甲\n1.乙。");
    assert_eq!(plan.title(), "2021年全省安全生产工作要点");
    assert_eq!(plan.year(), Some(2021));
    assert_eq!(plan.warnings().len(), 2, "{:?}", plan.warnings());
    assert!(plan.warnings()[0].render(Lang::En).starts_with("line 1:"));
    assert!(plan.warnings()[0].render(Lang::Zh).starts_with("第1行:"));
}

#[test]
fn glued_tag_list_and_following_noise_are_dropped() {
    let plan = workplans::parse("要点\n来源:某范文网 阅读 12\n一、甲\n1.乙(省应急管理厅负责)。热门标签 安全生产 工作要点\n2.不是事项\n要点\n");
    assert_eq!(plan.items().count(), 1);
    assert_eq!(item(&plan, 1).text(), "乙(省应急管理厅负责)。");
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
}

#[test]
fn title_drops_a_group_that_ends_the_first_sentence() {
    let plan = workplans::parse("要点\n一、甲\n1.加强监管(各县(市、区)人民政府负责)。其他要求;更多(省应急管理厅负责)。");
    let first = item(&plan, 1);
    assert_eq!(first.title(), "加强监管");
    let groups: Vec<&[String]> = first.responsibilities().iter().map(|group| group.cooperating()).collect();
    assert_eq!(groups, [["各县(市、区)人民政府".to_owned()], ["省应急管理厅".to_owned()]]);
}

#[test]
fn problems_are_reported_with_line_numbers() {
    let plan = workplans::parse(
        "1.无章节的事项。\n\
         一、甲\n\
         章节下的说明文字。\n\
         3.跳号(省应急管理厅负责。\n\
         4.括号里没有单位(按部门职责分工负责)。\n\
         5.不是单位(省应急管理厅负责,每季度通报一次)。",
    );
    let warnings = plan.warnings().iter().map(|w| format!("{} | {}", w.render(Lang::En), w.render(Lang::Zh))).collect::<Vec<_>>().join("\n");
    for expected in [
        "no title line",
        "第1行:第一个章节标题之前的事项归入了一个无编号的部分",
        "第3行:标题“一 甲”之后",
        "第4行:事项编号3不连续(应为2)",
        "第4行:事项3中有未闭合的括号",
        "第5行:事项4的责任分工中“按部门职责”不像单位名称",
        "第5行:事项4中的括号像是责任分工,但没有识别出单位:“按部门职责分工负责”",
        "第6行:事项5的责任分工中“每季度通报一次”不像单位名称",
    ] {
        assert!(warnings.contains(expected), "missing {expected:?} in\n{warnings}");
    }
    assert_eq!(plan.warnings().len(), 8, "{warnings}");
    assert_eq!(plan.sections()[0].number(), "");
    assert_eq!(item(&plan, 5).responsibilities()[0].cooperating(), ["省应急管理厅"]);
}

#[test]
fn empty_and_blank_inputs() {
    for input in ["", "\n\n", "\u{FEFF}", "   \r\n\u{3000}"] {
        let plan = workplans::parse(input);
        assert!(plan.sections().is_empty());
        assert_eq!(plan.title(), "");
        assert_eq!(plan.warnings().len(), 1, "{:?}", plan.warnings());
    }
}

#[test]
fn a_million_opening_parentheses_finish() {
    let input = format!("要点\n一、甲\n1.{}", "(".repeat(1_000_000));
    let plan = workplans::parse(&input);
    assert_eq!(plan.items().count(), 1);
    assert!(plan.warnings().iter().any(|warning| warning.render(Lang::En).contains("unterminated")));
}

#[test]
fn a_million_item_lines_stop_at_the_item_bound() {
    let input = "1.\n".repeat(1_000_000);
    let plan = workplans::parse(&input);
    assert_eq!(plan.items().count(), MAX_ITEMS);
    assert!(plan.warnings().len() <= MAX_WARNINGS + 1);
    assert!(plan.warnings().last().is_some_and(|warning| warning.render(Lang::En).contains("more warnings were dropped")));
}

#[test]
fn many_headings_stop_at_the_section_bound() {
    let input = "一、甲\n1.乙\n".repeat(MAX_SECTIONS + 10);
    let plan = workplans::parse(&input);
    assert_eq!(plan.sections().len(), MAX_SECTIONS);
    assert!(plan.warnings().iter().any(|warning| warning.render(Lang::En).contains("more than 1000 sections")));
}

#[test]
fn huge_groups_are_bounded() {
    let many_groups = format!("要点\n一、甲\n1.{}", "乙(省应急管理厅负责)。".repeat(200_000));
    let plan = workplans::parse(&many_groups);
    assert_eq!(item(&plan, 1).responsibilities().len(), MAX_GROUPS_PER_ITEM);
    let many_units = format!("要点\n一、甲\n1.乙(省应急管理厅{}负责)。", "、省公安厅".repeat(400_000));
    let plan = workplans::parse(&many_units);
    assert_eq!(item(&plan, 1).responsibilities()[0].cooperating(), ["省应急管理厅", "省公安厅"]);
    let distinct_units: String = (0..300_000).map(|index| format!("、省{index}厅")).collect();
    let plan = workplans::parse(&format!("要点\n一、甲\n1.乙(省应急管理厅{distinct_units}负责)。"));
    assert_eq!(item(&plan, 1).responsibilities()[0].cooperating().len(), MAX_UNITS_PER_GROUP);
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "(", ")", "（", "）", "、", "一、", "(一)", "（二）", "十二、", "1.", "2、", "３．", "\n", "\r\n", "\r", "。", ";", ",",
            "《", "》", "“", "”", " ", "\u{3000}", "\u{FEFF}", "省应急管理厅", "各级党委、政府", "牵头", "会同", "负责", "按职责分工负责",
            "等有关部门", "和", "及", "责任单位:", "牵头责任单位：", "热门标签", "来源:", "1.93W", "國", "廳", "2020年", "要点", "等",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_and_stays_bounded(fragments in prop::collection::vec(fragment(), 0..200)) {
        let input: String = fragments.concat();
        let plan = workplans::parse(&input);
        prop_assert!(plan.sections().len() <= MAX_SECTIONS);
        prop_assert!(plan.items().count() <= MAX_ITEMS);
        prop_assert!(plan.warnings().len() <= MAX_WARNINGS + 1);
        let text_bytes: usize = plan.items().map(|item| item.text().len()).sum();
        prop_assert!(text_bytes <= 2 * input.len() + 16, "{} bytes of item text from {} bytes", text_bytes, input.len());
        for item in plan.items() {
            prop_assert!(item.responsibilities().len() <= MAX_GROUPS_PER_ITEM);
            prop_assert!(item.title().len() <= item.text().len());
            for group in item.responsibilities() {
                prop_assert!(item.text().contains(group.text()));
                prop_assert!(!group.lead().is_empty() || !group.cooperating().is_empty());
                prop_assert!(group.lead().len() + group.cooperating().len() <= MAX_UNITS_PER_GROUP);
                for unit in group.lead().iter().chain(group.cooperating()) {
                    prop_assert!(!unit.is_empty() && unit.trim() == unit);
                    prop_assert!(!unit.ends_with("负责") && !unit.ends_with("牵头") && !unit.ends_with('等'), "{}", unit);
                }
            }
        }
    }

    #[test]
    fn parsing_is_deterministic(input in "[一二、1.()（）省厅负责牵头和\n。]{0,80}") {
        prop_assert_eq!(workplans::parse(&input), workplans::parse(&input));
    }
}
