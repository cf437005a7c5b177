//! The vault over the database: blobs sealed under an old key stay readable
//! until `keys rotate` re-seals them under the new one.

use std::time::Duration;

use convene::domain::Timestamp;
use convene::key_rotation::{RotationReport, reseal_all};
use convene::tenancy;
use convene::vault::{KeyRing, Purpose, SealContext, VaultError};
use secrecy::ExposeSecret;

use crate::helpers::{spawn_app, spawn_beside};
use crate::notifications::{Receiver, assert_signed_by_each, enqueue_link_connected};

#[tokio::test]
async fn rotation_reseals_under_the_new_key_and_old_blobs_stay_readable_until_then() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let old = KeyRing::parse(&app.master_keys).unwrap();
    let new_spec = KeyRing::generate_spec();
    let both = KeyRing::parse(&format!("{new_spec},{}", app.master_keys)).unwrap();
    let new_only = KeyRing::parse(&new_spec).unwrap();
    let context = SealContext {
        purpose: Purpose::WebhookSecret,
        row_id: &tenant.id,
    };
    let sealed = || async {
        app.store
            .find_application(&tenant.id)
            .await
            .unwrap()
            .unwrap()
            .webhook_secret
    };

    let before = sealed().await;
    assert_eq!(
        both.open_str(&before, &context).unwrap().expose_secret(),
        tenant.webhook_secret
    );
    assert!(matches!(
        new_only.open_str(&before, &context),
        Err(VaultError::UnknownKey(_))
    ));

    let report = reseal_all(&app.store, &both).await.unwrap();
    assert_eq!(
        report,
        RotationReport {
            resealed: 1,
            current: 0,
            raced: 0
        }
    );
    let after = sealed().await;
    assert_eq!(
        new_only.open_str(&after, &context).unwrap().expose_secret(),
        tenant.webhook_secret
    );
    assert!(matches!(
        old.open_str(&after, &context),
        Err(VaultError::UnknownKey(_))
    ));

    // Running it again finds nothing left to do: an interrupted run is resumable.
    let again = reseal_all(&app.store, &both).await.unwrap();
    assert_eq!(
        again,
        RotationReport {
            resealed: 0,
            current: 1,
            raced: 0
        }
    );
}

#[tokio::test]
async fn a_blob_copied_to_another_row_does_not_open() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    let vault = KeyRing::parse(&app.master_keys).unwrap();
    let calm_blob = app
        .store
        .find_application(&calm.id)
        .await
        .unwrap()
        .unwrap()
        .webhook_secret;
    let as_ehr = SealContext {
        purpose: Purpose::WebhookSecret,
        row_id: &ehr.id,
    };
    assert!(matches!(
        vault.open_str(&calm_blob, &as_ehr),
        Err(VaultError::Rejected)
    ));
}

#[tokio::test]
async fn rotation_without_the_old_key_fails_and_says_to_keep_it() {
    let app = spawn_app().await;
    app.create_tenant("Calm").await;
    let stranger = KeyRing::parse(&KeyRing::generate_spec()).unwrap();
    let error = reseal_all(&app.store, &stranger).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("keep every old key"),
        "{error:#}"
    );
}

#[tokio::test]
async fn rotation_reseals_a_previous_webhook_secret_which_still_signs_under_the_new_key() {
    let mut app = spawn_app().await;
    let receiver = Receiver::start(&[], 204).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let old = KeyRing::parse(&app.master_keys).unwrap();
    let current = tenancy::rotate_webhook_secret(
        &app.store,
        &old,
        &tenant.id,
        Duration::from_secs(24 * 3600),
        "ops@hub.example",
    )
    .await
    .unwrap()
    .expect("the application exists");
    let new_spec = KeyRing::generate_spec();
    let both = KeyRing::parse(&format!("{new_spec},{}", app.master_keys)).unwrap();

    let report = reseal_all(&app.store, &both).await.unwrap();

    assert_eq!(
        report,
        RotationReport {
            resealed: 2,
            current: 0,
            raced: 0
        },
        "the application's webhook secret and its previous one"
    );
    let previous = app
        .store
        .webhook_secret_overlap(&tenant.id, Timestamp::now())
        .await
        .unwrap()
        .expect("the overlap lasts a day")
        .previous_secret;
    let context = SealContext {
        purpose: Purpose::WebhookSecret,
        row_id: &tenant.id,
    };
    let new_only = KeyRing::parse(&new_spec).unwrap();
    assert_eq!(
        new_only
            .open_str(&previous, &context)
            .unwrap()
            .expose_secret(),
        tenant.webhook_secret
    );
    assert!(matches!(
        old.open_str(&previous, &context),
        Err(VaultError::UnknownKey(_))
    ));

    // The operator drops the old key from CONVENE_MASTER_KEYS and restarts the hub.
    app.shut_down().await;
    app.master_keys = new_spec;
    let restarted = spawn_beside(&app).await;
    enqueue_link_connected(&restarted, &tenant.id).await;
    let mut received = receiver.requests();
    for _ in 0..100 {
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        received = receiver.requests();
    }

    assert_eq!(received.len(), 1, "one delivery, accepted at once");
    assert_signed_by_each(&[current.expose(), &tenant.webhook_secret], &received[0]);
}
