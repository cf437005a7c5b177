//! Convene: a multi-tenant conferencing hub. Client applications send their end
//! users to connect Zoom; the hub keeps the tokens sealed and manages meetings
//! for the applications' events, which never see a Zoom token.

pub mod cli;
pub mod conferencing;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod key_rotation;
pub mod notify;
pub mod operators;
pub mod sandbox;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tenancy;
pub mod vault;
pub mod zoom;
