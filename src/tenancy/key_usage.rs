//! When each API key was last used, gathered in memory and written back in
//! batches, so authenticating a request never costs a database write.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::Timestamp;
use crate::store::Store;

/// Last-use times not yet written to the database.
#[derive(Debug, Default)]
pub struct KeyUsage {
    pending: Mutex<HashMap<String, Timestamp>>,
}

impl KeyUsage {
    /// Notes that `key_id` was used at `at`.
    pub fn record(&self, key_id: &str, at: Timestamp) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match pending.get_mut(key_id) {
            Some(last) => *last = (*last).max(at),
            None => {
                pending.insert(key_id.to_owned(), at);
            }
        }
    }

    /// Writes every pending last-use time; on failure they are kept for the next flush.
    pub async fn flush(&self, store: &Store) -> anyhow::Result<()> {
        let batch: Vec<(String, Timestamp)> = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pending.drain().collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(error) = store.record_key_usage(&batch).await {
            for (key_id, at) in batch {
                self.record(&key_id, at);
            }
            return Err(error);
        }
        Ok(())
    }
}
