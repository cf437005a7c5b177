//! URL-encoded name/value pairs (form bodies and query strings), read without rejections so
//! that every malformed input still gets Zoom's own answer.

use std::collections::HashMap;

/// Decoded pairs; the first occurrence of a name wins.
pub(crate) struct Fields(HashMap<String, String>);

impl Fields {
    pub(crate) fn parse(encoded: &[u8]) -> Self {
        let mut fields = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            fields
                .entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        Self(fields)
    }

    /// The value, `None` when absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value, `None` when absent or empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }
}
