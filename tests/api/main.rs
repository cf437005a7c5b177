//! Integration tests: each starts the real hub on a random port over a fresh
//! database (SQLite, or PostgreSQL when CONVENE_TEST_DATABASE_URL is set).

mod admin_api;
mod authentication;
mod cli;
mod database;
mod health;
mod helpers;
mod key_rotation;
mod problems;
mod sandbox_key;
mod tenancy;
