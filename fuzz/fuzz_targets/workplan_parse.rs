//! Fuzzes the work-plan parser: any text must parse without panicking and within its bounds.

#![no_main]

use domain::workplans::{self, MAX_GROUPS_PER_ITEM, MAX_ITEMS, MAX_SECTIONS, MAX_UNITS_PER_GROUP, MAX_WARNINGS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Lossy decoding keeps every input useful; the parser takes text that is already decoded.
    let text = String::from_utf8_lossy(data);
    let plan = workplans::parse(&text);
    assert!(plan.sections().len() <= MAX_SECTIONS);
    assert!(plan.items().count() <= MAX_ITEMS);
    assert!(plan.warnings().len() <= MAX_WARNINGS + 1);
    for item in plan.items() {
        assert!(item.responsibilities().len() <= MAX_GROUPS_PER_ITEM);
        for group in item.responsibilities() {
            assert!(item.text().contains(group.text()));
            let units = group.lead().len() + group.cooperating().len();
            assert!((1..=MAX_UNITS_PER_GROUP).contains(&units));
        }
    }
});
