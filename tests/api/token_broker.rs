//! The token broker: exactly one refresh however many callers, on one instance
//! or several, and a connection that is never silently broken.

use std::sync::Arc;
use std::time::{Duration, Instant};

use convene::conferencing::{BrokerSettings, ConferencingError, TokenBroker, UpkeepReport};
use convene::domain::Timestamp;
use convene::sandbox::{Fault, FaultScope};
use convene::store::credentials::status;
use convene::store::entity::credential;
use sea_orm::Set;
use secrecy::{ExposeSecret, SecretString};

use convene::store::credentials::Credential;

use crate::helpers::{TestApp, spawn_app, spawn_beside};
use crate::zoom_fixture::{ZoomFixture, expire_stored_token, update_credential, zoom_fixture};

const ANA: &str = "ana.novak@sandbox.zoom.test";

/// `callers` concurrent requests for a token, spread over `brokers`.
async fn storm(
    brokers: &[Arc<TokenBroker>],
    credential_id: &str,
    callers: usize,
) -> Vec<SecretString> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..callers {
        let broker = Arc::clone(&brokers[i % brokers.len()]);
        let id = credential_id.to_owned();
        tasks.spawn(async move { broker.access_token(&id).await });
    }
    let mut tokens = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        tokens.push(outcome.unwrap().expect("every caller gets a token"));
    }
    tokens
}

/// A hub, the emulator, and Ana connected: her stored credential and Zoom user id.
async fn ana_connected() -> (TestApp, ZoomFixture, Credential, String) {
    let app = spawn_app().await;
    let zoom = zoom_fixture().await;
    let credential = zoom.connect(&app, ANA).await;
    let user_id = zoom.zoom.emulator.user_by_email(ANA).unwrap().id;
    (app, zoom, credential, user_id)
}

async fn assert_all_work(zoom: &ZoomFixture, tokens: &[SecretString]) {
    let first = tokens[0].expose_secret();
    assert!(
        tokens.iter().all(|t| t.expose_secret() == first),
        "one new token for all"
    );
    zoom.api
        .me(&tokens[0])
        .await
        .expect("the new token works at Zoom");
}

#[tokio::test]
async fn a_hundred_concurrent_callers_on_an_expired_credential_cause_one_refresh() {
    let (app, zoom, credential, user_id) = ana_connected().await;
    expire_stored_token(&app.store, &credential.id).await;
    zoom.zoom.emulator.expire_access_tokens();
    let broker = zoom.broker(&app, BrokerSettings::default());

    let tokens = storm(&[broker], &credential.id, 100).await;

    assert_eq!(zoom.zoom.emulator.refresh_grants(&user_id), 1);
    assert_all_work(&zoom, &tokens).await;
}

#[tokio::test]
async fn two_instances_on_one_database_refresh_an_expired_credential_exactly_once() {
    let first = spawn_app().await;
    let second = spawn_beside(&first).await;
    let zoom = zoom_fixture().await;
    let credential = zoom.connect(&first, ANA).await;
    let user_id = zoom.zoom.emulator.user_by_email(ANA).unwrap().id;
    expire_stored_token(&first.store, &credential.id).await;
    zoom.zoom.emulator.expire_access_tokens();
    zoom.zoom.emulator.set_latency(Duration::from_millis(50));
    let brokers = [
        zoom.broker(&first, BrokerSettings::default()),
        zoom.broker(&second, BrokerSettings::default()),
    ];

    let started = Instant::now();
    let tokens = storm(&brokers, &credential.id, 100).await;
    let took = started.elapsed();

    let grants = zoom.zoom.emulator.refresh_grants(&user_id);
    eprintln!("two-instance storm: 100 callers, {grants} refresh grant(s), {took:?}");
    assert_eq!(grants, 1);
    assert_all_work(&zoom, &tokens).await;
    let stored = first
        .store
        .find_credential(&credential.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, status::ACTIVE);
    assert!(
        stored.refresh_lease_holder.is_none(),
        "the lease is released"
    );
}

#[tokio::test]
async fn a_fresh_token_is_served_without_calling_zoom() {
    let (app, zoom, credential, user_id) = ana_connected().await;
    let broker = zoom.broker(&app, BrokerSettings::default());
    storm(&[broker], &credential.id, 20).await;
    assert_eq!(zoom.zoom.emulator.refresh_grants(&user_id), 0);
}

#[tokio::test]
async fn a_dead_refresh_token_marks_the_credential_and_its_links_needs_reauth() {
    let (app, zoom, credential, user_id) = ana_connected().await;
    expire_stored_token(&app.store, &credential.id).await;
    zoom.zoom.emulator.kill_refresh_token(&user_id);
    let broker = zoom.broker(&app, BrokerSettings::default());

    let outcome = broker.access_token(&credential.id).await;

    assert!(
        matches!(outcome, Err(ConferencingError::NeedsReauth)),
        "{outcome:?}"
    );
    let stored = app
        .store
        .find_credential(&credential.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, status::NEEDS_REAUTH);
    assert!(matches!(
        broker.access_token(&credential.id).await,
        Err(ConferencingError::NeedsReauth)
    ));
}

#[tokio::test]
async fn a_refresh_answer_lost_after_zoom_rotated_ends_in_needs_reauth_not_a_silent_break() {
    let (app, zoom, credential, _) = ana_connected().await;
    expire_stored_token(&app.store, &credential.id).await;
    zoom.zoom.emulator.inject(Fault::ResetAfterProcessing {
        scope: FaultScope::OAuth,
        count: 1,
    });
    let broker = zoom.broker(&app, BrokerSettings::default());

    let outcome = broker.access_token(&credential.id).await;

    // Zoom rotated the refresh token and the answer was lost: the hub asked
    // again at once, Zoom refused the old token, and the credential says so.
    assert!(
        matches!(outcome, Err(ConferencingError::NeedsReauth)),
        "{outcome:?}"
    );
    let stored = app
        .store
        .find_credential(&credential.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, status::NEEDS_REAUTH);
}

#[tokio::test]
async fn a_refresh_that_fails_before_reaching_zoom_is_retried_and_works() {
    let (app, zoom, credential, user_id) = ana_connected().await;
    expire_stored_token(&app.store, &credential.id).await;
    zoom.zoom.emulator.inject(Fault::Status {
        scope: FaultScope::OAuth,
        status: 503,
        count: 1,
    });
    let broker = zoom.broker(&app, BrokerSettings::default());

    let token = broker
        .access_token(&credential.id)
        .await
        .expect("second try works");

    zoom.api.me(&token).await.unwrap();
    assert_eq!(zoom.zoom.emulator.refresh_grants(&user_id), 1);
}

#[tokio::test]
async fn a_token_zoom_refuses_with_124_is_refreshed_once_and_the_call_retried() {
    let (app, zoom, credential, user_id) = ana_connected().await;
    zoom.zoom.emulator.expire_access_tokens();
    let broker = zoom.broker(&app, BrokerSettings::default());

    let api = &zoom.api;
    let me = broker
        .with_token(&credential.id, |token| async move { api.me(&token).await })
        .await
        .expect("the retried call works");

    assert_eq!(me.email, ANA);
    assert_eq!(zoom.zoom.emulator.refresh_grants(&user_id), 1);
}

#[tokio::test]
async fn while_zoom_is_down_a_still_valid_token_is_served_and_the_failure_recorded() {
    let (app, zoom, credential, _) = ana_connected().await;
    // Thirty seconds left: inside the refresh margin, still valid.
    update_credential(
        &app.store,
        credential::ActiveModel {
            id: Set(credential.id.clone()),
            access_token_expires_at: Set(Timestamp(Timestamp::now().0 + 30_000)),
            ..Default::default()
        },
    )
    .await;
    zoom.zoom.emulator.inject(Fault::Status {
        scope: FaultScope::OAuth,
        status: 503,
        count: 10,
    });
    let broker = zoom.broker(&app, BrokerSettings::default());

    let token = broker
        .access_token(&credential.id)
        .await
        .expect("the old token still works");

    zoom.api.me(&token).await.unwrap();
    let stored = app
        .store
        .find_credential(&credential.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, status::ACTIVE);
    assert_eq!(stored.refresh_failures, 1);
    assert!(stored.next_refresh_attempt_at.unwrap() > Timestamp::now());
    assert!(stored.refresh_failing_since.is_some());
}

#[tokio::test]
async fn the_keeper_refreshes_idle_credentials_and_leaves_recent_ones() {
    let app = spawn_app().await;
    let zoom = zoom_fixture().await;
    let idle = zoom.connect(&app, ANA).await;
    let recent = zoom.connect(&app, "ben.okafor@sandbox.zoom.test").await;
    let forty_days_ago = Timestamp(Timestamp::now().0 - 40 * 24 * 3600 * 1000);
    update_credential(
        &app.store,
        credential::ActiveModel {
            id: Set(idle.id.clone()),
            last_refreshed_at: Set(forty_days_ago),
            ..Default::default()
        },
    )
    .await;
    let broker = zoom.broker(&app, BrokerSettings::default());

    let report = broker.keep_up(100).await.unwrap();

    assert_eq!(
        report,
        UpkeepReport {
            refreshed: 1,
            failed: 0,
            needs_reauth: 0
        }
    );
    let stored = app.store.find_credential(&idle.id).await.unwrap().unwrap();
    assert!(stored.last_refreshed_at > forty_days_ago);
    assert_eq!(stored.version, idle.version + 1);
    let untouched = app
        .store
        .find_credential(&recent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.version, recent.version);
}

#[tokio::test]
async fn the_keeper_retries_a_failing_refresh_with_backoff_then_gives_up_after_days() {
    let (app, zoom, credential, _) = ana_connected().await;
    let long_ago = Timestamp(Timestamp::now().0 - 40 * 24 * 3600 * 1000);
    update_credential(
        &app.store,
        credential::ActiveModel {
            id: Set(credential.id.clone()),
            last_refreshed_at: Set(long_ago),
            ..Default::default()
        },
    )
    .await;
    zoom.zoom.emulator.inject(Fault::Status {
        scope: FaultScope::OAuth,
        status: 500,
        count: 100,
    });
    let broker = zoom.broker(&app, BrokerSettings::default());

    let first = broker.keep_up(100).await.unwrap();
    assert_eq!(
        first,
        UpkeepReport {
            refreshed: 0,
            failed: 1,
            needs_reauth: 0
        }
    );
    let stored = app
        .store
        .find_credential(&credential.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.refresh_failures),
        (status::ACTIVE, 1)
    );
    let again = broker.keep_up(100).await.unwrap();
    assert_eq!(again, UpkeepReport::default(), "backing off: not due yet");

    // Five days of failures later, the keeper gives up and says so.
    update_credential(
        &app.store,
        credential::ActiveModel {
            id: Set(credential.id.clone()),
            next_refresh_attempt_at: Set(Some(long_ago)),
            refresh_failing_since: Set(Some(Timestamp(Timestamp::now().0 - 5 * 24 * 3600 * 1000))),
            ..Default::default()
        },
    )
    .await;
    let last = broker.keep_up(100).await.unwrap();
    assert_eq!(last.needs_reauth, 1);
    let stored = app
        .store
        .find_credential(&credential.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, status::NEEDS_REAUTH);
}
