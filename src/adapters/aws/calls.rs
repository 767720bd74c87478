//! The count of AWS API calls by operation name, shared by every clone of an adapter.

use std::collections::BTreeMap;

use super::Shared;

#[derive(Debug, Clone, Default)]
pub(super) struct CallCounter(Shared<BTreeMap<&'static str, u64>>);

impl CallCounter {
    pub(super) fn add(&self, operation: &'static str) {
        // a poisoned lock only means another task panicked while counting; the map is intact
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(operation).or_insert(0) += 1;
    }

    pub(super) fn snapshot(&self) -> BTreeMap<String, u64> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
}
