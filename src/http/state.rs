//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use url::Url;

use super::rate_limit::ApiRateLimits;
use crate::config::Config;
use crate::store::Store;
use crate::tenancy::KeyUsage;
use crate::vault::KeyRing;

/// Shared state of one hub instance; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    pub config: Config,
    /// The base URL end users and Zoom reach this instance at.
    pub public_url: Url,
    pub store: Store,
    pub vault: KeyRing,
    pub key_usage: KeyUsage,
    pub rate_limits: ApiRateLimits,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
