//! sea-orm entities, one module per table of the schema (see `migrations/`).
//!
//! Conventions shared by every table: ids are application-generated prefixed strings,
//! instants are [`crate::domain::Timestamp`] (BIGINT unix milliseconds), sealed secrets are
//! `Vec<u8>` (BLOB / BYTEA) and JSON payloads are `String` (TEXT) on both databases.

pub mod account_link;
pub mod account_session;
pub mod account_signin;
pub mod api_key;
pub mod application;
pub mod audit_entry;
pub mod connect_session;
pub mod credential;
pub mod email;
pub mod end_user;
pub mod event;
pub mod link;
pub mod operator;
pub mod operator_session;
pub mod signin_throttle;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_secret_rotation;
pub mod zoom_inbox;
