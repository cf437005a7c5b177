//! Integration tests: each starts the real hub on a random port over a fresh
//! database (SQLite, or PostgreSQL when CONVENE_TEST_DATABASE_URL is set).

mod account;
mod admin_api;
mod authentication;
mod browser;
mod cli;
mod connect;
mod console;
mod cost;
mod crash;
mod database;
mod demo;
mod emulator;
mod events;
mod health;
mod helpers;
mod key_rotation;
mod notifications;
mod openapi;
mod outage;
mod problems;
mod sandbox_key;
mod secrets;
mod tenancy;
mod token_broker;
mod zoom_client;
mod zoom_fixture;
mod zoom_webhooks;
