//! The hub's Zoom client against the emulator's wire protocol and every fault switch.

use std::time::Duration;

use convene::sandbox::{Fault, FaultScope, RetryAfter};
use convene::zoom::types::{MeetingRequest, MeetingSettings, meeting_type};
use convene::zoom::{TokenGrant, ZoomError};
use secrecy::SecretString;

use crate::zoom_fixture::{ZoomFixture, zoom_fixture};

const ANA: &str = "ana.novak@sandbox.zoom.test";

async fn grant(zoom: &ZoomFixture) -> TokenGrant {
    let (code, verifier) = zoom.authorize(ANA).await;
    zoom.oauth
        .exchange_code(&code, &verifier)
        .await
        .expect("code exchange")
}

fn session(topic: &str) -> MeetingRequest {
    MeetingRequest {
        topic: Some(topic.to_owned()),
        kind: Some(meeting_type::SCHEDULED),
        start_time: Some("2030-12-01T15:00:00Z".to_owned()),
        duration: Some(50),
        timezone: Some("Europe/Ljubljana".to_owned()),
        settings: Some(MeetingSettings {
            waiting_room: Some(true),
            ..MeetingSettings::default()
        }),
        ..MeetingRequest::default()
    }
}

#[tokio::test]
async fn the_code_exchange_gives_an_hour_token_and_scopes() {
    let zoom = zoom_fixture().await;
    let grant = grant(&zoom).await;
    assert!(grant.expires_in >= Duration::from_secs(3500));
    assert!(
        grant.scope.split(' ').any(|scope| scope == "meeting:write"),
        "{}",
        grant.scope
    );
    let me = zoom.api.me(&grant.access_token).await.unwrap();
    assert_eq!(me.email, ANA);
    assert_eq!(me.name(), "Ana Novak");
}

#[tokio::test]
async fn a_code_is_single_use_and_needs_its_pkce_verifier() {
    let zoom = zoom_fixture().await;
    let (code, verifier) = zoom.authorize(ANA).await;
    let wrong = SecretString::from("x".repeat(64));
    assert!(matches!(
        zoom.oauth.exchange_code(&code, &wrong).await,
        Err(ZoomError::OAuth { .. })
    ));
    let (code, verifier2) = zoom.authorize(ANA).await;
    drop(verifier);
    zoom.oauth
        .exchange_code(&code, &verifier2)
        .await
        .expect("first use");
    assert!(matches!(
        zoom.oauth.exchange_code(&code, &verifier2).await,
        Err(ZoomError::OAuth { .. })
    ));
}

#[tokio::test]
async fn refresh_rotates_and_the_previous_refresh_token_is_dead() {
    let zoom = zoom_fixture().await;
    let first = grant(&zoom).await;
    let second = zoom
        .oauth
        .refresh(&first.refresh_token)
        .await
        .expect("refresh");
    zoom.api.me(&second.access_token).await.unwrap();
    assert!(matches!(
        zoom.oauth.refresh(&first.refresh_token).await,
        Err(ZoomError::RefreshTokenDead(_))
    ));
}

#[tokio::test]
async fn a_revoked_authorization_refuses_the_access_token() {
    let zoom = zoom_fixture().await;
    let grant = grant(&zoom).await;
    zoom.oauth
        .revoke(&grant.access_token)
        .await
        .expect("revoke");
    assert!(matches!(
        zoom.api.me(&grant.access_token).await,
        Err(ZoomError::AccessTokenRejected(_))
    ));
    // Revoking what Zoom no longer knows is not an error.
    zoom.oauth
        .revoke(&grant.access_token)
        .await
        .expect("revoke again");
}

#[tokio::test]
async fn meetings_are_created_read_moved_and_deleted_with_zooms_status_codes() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    let created = zoom
        .api
        .create_meeting(&token, &session("Therapy"))
        .await
        .unwrap();
    assert!(
        created.id > i64::from(i32::MAX),
        "int64 ids: {}",
        created.id
    );
    assert!(created.join_url.contains(&created.id.to_string()));
    assert!(created.start_url.is_some());
    assert_eq!(created.settings.as_ref().unwrap().waiting_room, Some(true));

    let moved = MeetingRequest {
        start_time: Some("2030-12-02T16:00:00Z".to_owned()),
        ..MeetingRequest::default()
    };
    zoom.api
        .update_meeting(&token, created.id, &moved)
        .await
        .expect("PATCH 204");
    let read = zoom.api.get_meeting(&token, created.id).await.unwrap();
    assert_eq!(read.start_time.as_deref(), Some("2030-12-02T16:00:00Z"));
    assert_eq!(
        read.join_url, created.join_url,
        "moving keeps the join link"
    );

    zoom.api
        .delete_meeting(&token, created.id)
        .await
        .expect("DELETE 204");
    assert!(matches!(
        zoom.api.delete_meeting(&token, created.id).await,
        Err(ZoomError::MeetingNotFound)
    ));
}

#[tokio::test]
async fn listing_follows_next_page_token() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    for i in 0..5 {
        zoom.api
            .create_meeting(&token, &session(&format!("Session {i}")))
            .await
            .unwrap();
    }
    let mut seen = 0;
    let mut page_token: Option<String> = None;
    for _ in 0..10 {
        let page = zoom
            .api
            .list_meetings(&token, 2, page_token.as_deref())
            .await
            .unwrap();
        assert!(page.meetings.len() <= 2);
        seen += page.meetings.len();
        page_token = page.next_page_token.filter(|t| !t.is_empty());
        if page_token.is_none() {
            break;
        }
    }
    assert_eq!(seen, 5);
}

#[tokio::test]
async fn zoom_validation_errors_keep_zooms_field_messages() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    match zoom
        .api
        .create_meeting(&token, &session(&"x".repeat(201)))
        .await
    {
        Err(ZoomError::Rejected {
            status: 400,
            code: Some(300),
            errors,
            ..
        }) => {
            assert_eq!(errors[0].field, "topic");
            assert!(!errors[0].message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rate_limits_carry_retry_after_in_seconds_or_as_a_date() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    zoom.zoom.emulator.inject(Fault::RateLimited {
        scope: FaultScope::Api,
        count: 1,
        retry_after: RetryAfter::Seconds(2),
    });
    assert!(matches!(
        zoom.api.me(&token).await,
        Err(ZoomError::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(2)
    ));
    let in_a_minute = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(60))
        .unwrap();
    for retry_after in [
        RetryAfter::DateTime(in_a_minute),
        RetryAfter::HttpDate(in_a_minute),
    ] {
        zoom.zoom.emulator.inject(Fault::RateLimited {
            scope: FaultScope::Api,
            count: 1,
            retry_after,
        });
        match zoom.api.me(&token).await {
            Err(ZoomError::RateLimited {
                retry_after: Some(wait),
            }) => {
                assert!(
                    wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
                    "{wait:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    zoom.api.me(&token).await.expect("faults are used up");
}

#[tokio::test]
async fn server_errors_and_resets_are_retryable() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    for status in [500, 503] {
        zoom.zoom.emulator.inject(Fault::Status {
            scope: FaultScope::Api,
            status,
            count: 1,
        });
        let error = zoom.api.me(&token).await.unwrap_err();
        assert!(error.is_retryable(), "{status}: {error:?}");
    }
    zoom.zoom.emulator.inject(Fault::ResetAfterProcessing {
        scope: FaultScope::Api,
        count: 1,
    });
    let error = zoom.api.me(&token).await.unwrap_err();
    assert!(matches!(error, ZoomError::Unavailable(_)), "{error:?}");
    zoom.zoom.emulator.inject(Fault::Status {
        scope: FaultScope::OAuth,
        status: 503,
        count: 1,
    });
    let (code, verifier) = zoom.authorize(ANA).await;
    assert!(
        zoom.oauth
            .exchange_code(&code, &verifier)
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[tokio::test]
async fn added_latency_slows_every_call() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    zoom.zoom.emulator.set_latency(Duration::from_millis(150));
    let started = std::time::Instant::now();
    zoom.api.me(&token).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn the_client_sends_the_token_only_in_the_authorization_header() {
    let zoom = zoom_fixture().await;
    let token = grant(&zoom).await.access_token;
    zoom.api.me(&token).await.unwrap();
    let ledger = zoom.zoom.emulator.ledger();
    let call = ledger
        .iter()
        .rev()
        .find(|entry| entry.path.ends_with("/users/me"))
        .unwrap();
    assert_eq!(
        call.status, 200,
        "Zoom refuses tokens in the query (124); ours are accepted"
    );
}
