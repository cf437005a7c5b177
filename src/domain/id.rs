//! Identifiers the hub mints: a short type prefix and a time-ordered UUID (`app_0193…`).

/// A new identifier such as `app_01936f1c2b7a7c3e9a1d4f5b6c7d8e9f`.
///
/// UUIDv7 keeps ids roughly in creation order, which keeps index pages warm.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_carry_their_prefix_and_are_unique() {
        let a = super::new_id("app");
        let b = super::new_id("app");
        assert!(a.starts_with("app_") && a.len() == 36);
        assert_ne!(a, b);
    }
}
