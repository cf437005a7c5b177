//! Reading the hub's own counters off its `/metrics` page (Prometheus text).

/// One scrape of a hub's `/metrics`.
pub struct Scrape(String);

impl Scrape {
    /// The page of the hub at `base`; `None` when it does not answer.
    pub async fn of(http: &reqwest::Client, base: &str) -> Option<Self> {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        Some(Self(text))
    }

    /// The sum of every series of counter `name` (whatever its labels); `None` when the
    /// page has none, as in a build that does not export it.
    pub fn total(&self, name: &str) -> Option<f64> {
        let values: Vec<f64> = self
            .0
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix(name)?;
                let value = match rest.strip_prefix('{') {
                    Some(labelled) => labelled.split_once("} ")?.1,
                    None => rest.strip_prefix(' ')?,
                };
                value.trim().parse::<f64>().ok()
            })
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    }
}
