//! The shared application state every handler receives: the services and the HTTP side's configuration.

use std::sync::Arc;

use crate::config::Config;

/// Everything a request needs: [`zegel_service::Services`] (reached through `Deref`) and the
/// configuration.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// What the rules work with.
    pub services: zegel_service::Services,
}

impl AppState {
    /// What the SMTP gateway works with (handles shared with this state).
    pub fn gateway(&self) -> zegel_gateway::GatewayState {
        zegel_gateway::GatewayState {
            services: self.services.clone(),
            config: Arc::new(self.config.gateway.clone()),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = zegel_service::Services;

    fn deref(&self) -> &Self::Target {
        &self.services
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.services
    }
}
