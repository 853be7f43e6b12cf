//! The monitor's per-sensor memory, kept small for national scale (440,000 sensors on one
//! machine): per sensor only its id, its rule state and two 4-byte indexes (64 bytes), with specs
//! and owners interned (sensors of one model share one spec), codes in one arena indexed by a hash
//! table of 4-byte entries, and alarm peaks kept only for sensors whose high or low alarm is live.

use std::collections::HashMap;
use std::hash::BuildHasher;

use domain::monitoring::{RuleState, SensorSpec};
use hashbrown::{DefaultHashBuilder, HashTable};

/// The source and enterprise a sensor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Owner {
    pub source_id: i64,
    pub enterprise_id: i64,
}

/// The most extreme value while a High / Low alarm's condition holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Peaks {
    pub high: Option<f64>,
    pub low: Option<f64>,
}

struct Slot {
    id: i64,
    spec: u32,
    owner: u32,
    rules: RuleState,
}

#[derive(Default)]
pub(crate) struct SensorTable {
    slots: Vec<Slot>,
    specs: Vec<SensorSpec>,
    /// A spec's `Debug` text (every field, floats exactly) → its index in `specs`.
    spec_index: HashMap<String, u32>,
    owners: Vec<Owner>,
    owner_index: HashMap<Owner, u32>,
    /// Every code, one after the other; code `i` ends at `code_ends[i]`.
    codes: String,
    code_ends: Vec<u32>,
    by_code: HashTable<u32>,
    hasher: DefaultHashBuilder,
    peaks: HashMap<u32, Peaks>,
}

impl SensorTable {
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    fn code(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.code_ends[index - 1] as usize };
        &self.codes[start..self.code_ends[index] as usize]
    }

    pub(crate) fn index_of(&self, code: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(code);
        self.by_code.find(hash, |&i| self.code(i as usize) == code).map(|&i| i as usize)
    }

    fn intern_spec(&mut self, spec: SensorSpec) -> u32 {
        let key = format!("{spec:?}");
        if let Some(&index) = self.spec_index.get(&key) {
            return index;
        }
        let index = self.specs.len() as u32;
        self.specs.push(spec);
        self.spec_index.insert(key, index);
        index
    }

    fn intern_owner(&mut self, owner: Owner) -> u32 {
        *self.owner_index.entry(owner).or_insert_with(|| {
            self.owners.push(owner);
            (self.owners.len() - 1) as u32
        })
    }

    /// Adds a sensor, or gives a known one (by code) a new spec and keeps its rule state.
    pub(crate) fn register(&mut self, id: i64, owner: Owner, code: &str, spec: SensorSpec, rules: RuleState) {
        let spec = self.intern_spec(spec);
        if let Some(index) = self.index_of(code) {
            self.slots[index].spec = spec;
            return;
        }
        let owner = self.intern_owner(owner);
        let index = self.slots.len() as u32;
        self.slots.push(Slot { id, spec, owner, rules });
        self.codes.push_str(code);
        self.code_ends.push(self.codes.len() as u32);
        let hash = self.hasher.hash_one(code);
        let (codes, ends, hasher) = (&self.codes, &self.code_ends, &self.hasher);
        self.by_code.insert_unique(hash, index, |&i| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            hasher.hash_one(&codes[start..ends[i] as usize])
        });
    }

    /// Gives back the memory grown ahead of need (after loading every sensor).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.codes.shrink_to_fit();
        self.code_ends.shrink_to_fit();
        let (codes, ends, hasher) = (&self.codes, &self.code_ends, &self.hasher);
        self.by_code.shrink_to_fit(|&i| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            hasher.hash_one(&codes[start..ends[i] as usize])
        });
    }

    /// The bytes this table holds on the heap (capacities, not lengths), specs included.
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let spec_keys: usize = self.spec_index.keys().map(|k| k.capacity() + size_of::<String>() + size_of::<u32>() + 1).sum();
        self.slots.capacity() * size_of::<Slot>()
            + self.specs.capacity() * size_of::<SensorSpec>()
            + self.specs.iter().map(|s| s.unit.capacity()).sum::<usize>()
            + spec_keys
            + self.owners.capacity() * size_of::<Owner>()
            + self.owner_index.capacity() * (size_of::<Owner>() + size_of::<u32>() + 1)
            + self.codes.capacity()
            + self.code_ends.capacity() * size_of::<u32>()
            + self.by_code.capacity() * (size_of::<u32>() + 1)
            + self.peaks.capacity() * (size_of::<u32>() + size_of::<Peaks>() + 1)
    }

    pub(crate) fn id(&self, index: usize) -> i64 {
        self.slots[index].id
    }

    pub(crate) fn owner(&self, index: usize) -> Owner {
        self.owners[self.slots[index].owner as usize]
    }

    pub(crate) fn spec(&self, index: usize) -> &SensorSpec {
        &self.specs[self.slots[index].spec as usize]
    }

    pub(crate) fn rules(&self, index: usize) -> &RuleState {
        &self.slots[index].rules
    }

    /// A sensor's rule state to move, with its spec.
    pub(crate) fn rules_mut(&mut self, index: usize) -> (&mut RuleState, &SensorSpec) {
        let slot = &mut self.slots[index];
        (&mut slot.rules, &self.specs[slot.spec as usize])
    }

    pub(crate) fn peaks(&self, index: usize) -> Peaks {
        self.peaks.get(&(index as u32)).copied().unwrap_or_default()
    }

    pub(crate) fn set_peaks(&mut self, index: usize, peaks: Peaks) {
        if peaks == Peaks::default() {
            self.peaks.remove(&(index as u32));
        } else {
            self.peaks.insert(index as u32, peaks);
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::monitoring::{RuleSettings, SensorKind, Thresholds};

    use super::*;

    fn spec(high: f64) -> SensorSpec {
        let rules = RuleSettings { on_delay_ms: 0, off_delay_ms: 0, deadband: 0.0, rate_per_min: None, offline_after_intervals: 3, stuck_after_ms: None };
        SensorSpec::new(SensorKind::Level, "%", 0.0, 100.0, Thresholds { high: Some(high), ..Default::default() }, 10, rules).unwrap()
    }

    #[test]
    fn codes_find_their_sensors_and_specs_are_shared() {
        let mut table = SensorTable::default();
        let owner = Owner { source_id: 7, enterprise_id: 3 };
        for i in 0..1_000 {
            table.register(100 + i, owner, &format!("LT-{i:04}"), spec(80.0), RuleState::watching_since(0));
        }
        table.register(5_000, Owner { source_id: 8, enterprise_id: 4 }, "X", spec(90.0), RuleState::watching_since(0));
        table.shrink_to_fit();
        assert_eq!(table.len(), 1_001);
        assert_eq!(table.specs.len(), 2, "a thousand sensors of one model share one spec");
        assert_eq!(table.owners.len(), 2);
        for i in 0..1_000 {
            let index = table.index_of(&format!("LT-{i:04}")).expect("registered");
            assert_eq!((table.id(index), table.owner(index)), (100 + i, owner));
        }
        let x = table.index_of("X").unwrap();
        assert_eq!((table.id(x), table.owner(x).enterprise_id, table.spec(x).thresholds.high), (5_000, 4, Some(90.0)));
        assert_eq!(table.index_of("LT-1000"), None);
        assert_eq!(table.index_of(""), None);

        // A new spec for a known code keeps the sensor and its rule state.
        let (rules, x_spec) = table.rules_mut(x);
        rules.observe(x_spec, 50.0, 1_000, &mut Vec::new());
        table.register(5_000, Owner { source_id: 8, enterprise_id: 4 }, "X", spec(95.0), RuleState::default());
        assert_eq!((table.len(), table.spec(x).thresholds.high, table.rules(x).last_ts_ms()), (1_001, Some(95.0), Some(1_000)));

        // Peaks are kept only while there is one.
        table.set_peaks(x, Peaks { high: Some(97.0), low: None });
        assert_eq!(table.peaks(x).high, Some(97.0));
        table.set_peaks(x, Peaks::default());
        assert!(table.peaks.is_empty());
    }
}
