//! The HTTP tier: routers for the client API, the operator API, probes and
//! metrics, and the layers every request passes through.

pub mod admin_api;
pub mod api;
pub mod auth;
pub mod console;
pub mod health;
pub mod hosted;
pub mod json;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod state;
pub mod zoom_webhooks;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode, header};
use axum::routing::{get, post};
use axum::{Extension, Router, middleware};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::{
    SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use self::json::BodyLimit;
use self::state::AppState;

/// Longest a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole hub as one router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.tuning.max_body_bytes;
    let routes = Router::new()
        .nest("/v1", api::router())
        .nest("/admin/api", admin_api::router())
        .nest("/admin", console::router())
        .merge(hosted::router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/webhooks/zoom", post(zoom_webhooks::receive))
        .route_layer(middleware::from_fn(metrics::remember_route))
        .fallback(problem::route_not_found)
        .with_state(state);
    with_layers(routes, body_limit)
}

/// The layers every request passes through, innermost first: body limit,
/// timeout, panic catcher, problem+json for bare errors, metrics, then request
/// ids and tracing outermost.
fn with_layers(routes: Router, body_limit: usize) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    routes
        .layer(Extension(BodyLimit(body_limit)))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(problem::panic_response))
        .layer(middleware::map_response(problem::problem_for_bare_errors))
        .layer(middleware::from_fn(metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                    header::COOKIE,
                ]))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &axum::http::Request<_>| {
                            // The path only (query strings can carry OAuth codes), connect tokens masked.
                            let id = request
                                .headers()
                                .get("x-request-id")
                                .and_then(|value| value.to_str().ok())
                                .unwrap_or("");
                            tracing::info_span!(
                                "request",
                                method = %request.method(),
                                path = %loggable_path(request.uri().path()),
                                request_id = id,
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(SetSensitiveResponseHeadersLayer::new([header::SET_COOKIE]))
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
}

/// A request path fit for logs: the token of a hosted connect URL (`/connect/{token}`) is a
/// credential for that session, so it is masked.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/connect/") {
        Some(rest) if !rest.is_empty() && !rest.starts_with("zoom/") => "/connect/{token}".into(),
        _ => path.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn connect_tokens_are_masked_in_logged_paths() {
        assert_eq!(
            super::loggable_path("/connect/abcDEF123"),
            "/connect/{token}"
        );
        assert_eq!(
            super::loggable_path("/connect/zoom/callback"),
            "/connect/zoom/callback"
        );
        assert_eq!(super::loggable_path("/v1/events/e-1"), "/v1/events/e-1");
    }

    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_problem_without_details() {
        let routes = Router::new().route(
            "/boom",
            get(|| async {
                panic!("secret internal detail");
                #[allow(unreachable_code)]
                ""
            }),
        );
        let response = with_layers(routes, 1024)
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = to_bytes(response.into_body(), 4096).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "internal");
        assert!(!String::from_utf8_lossy(&body).contains("secret internal detail"));
    }
}
