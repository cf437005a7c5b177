//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use url::Url;

use super::rate_limit::ApiRateLimits;
use crate::conferencing::{Connections, Meetings, SyncSettings, TokenBroker, ZoomInbox};
use crate::config::Config;
use crate::notify::Notifier;
use crate::store::Store;
use crate::tenancy::KeyUsage;
use crate::vault::KeyRing;
use crate::zoom::{ZoomApi, ZoomOAuth};

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
    /// Zoom's OAuth endpoints for the hub's app.
    pub zoom_oauth: ZoomOAuth,
    /// Zoom's REST API.
    pub zoom: ZoomApi,
    /// Valid access tokens for credentials, refreshed single-flight.
    pub broker: Arc<TokenBroker>,
    /// Works the webhook and email outboxes.
    pub notifier: Arc<Notifier>,
    /// How events' meetings are kept in step.
    pub sync: SyncSettings,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// Connecting accounts and removing links, with this instance's parts.
    pub fn connections(&self) -> Connections<'_> {
        Connections {
            store: &self.store,
            vault: &self.vault,
            oauth: &self.zoom_oauth,
            api: &self.zoom,
            account_page: self
                .public_url
                .join("/account")
                .unwrap_or_else(|_| self.public_url.clone()),
        }
    }

    /// Keeping events' meetings in step, with this instance's parts.
    pub fn meetings(&self) -> Meetings<'_> {
        Meetings {
            store: &self.store,
            broker: &self.broker,
            api: &self.zoom,
            settings: &self.sync,
        }
    }

    /// Working Zoom's notifications, with this instance's parts.
    pub fn zoom_inbox(&self) -> ZoomInbox<'_> {
        ZoomInbox {
            store: &self.store,
            connections: self.connections(),
            meetings: self.meetings(),
            client_id: self.zoom_oauth.client_id(),
        }
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
