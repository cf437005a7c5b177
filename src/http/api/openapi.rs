//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of the client API, generated from the
//! handlers' annotations and [`super::schemas`]. `sdk-docs/openapi.json` is a checked-in copy;
//! a test fails when the two differ.

use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, ResponseBuilder};

use super::schemas::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Convene client API",
        description = "Connect your end users' Zoom accounts and give your events Zoom meetings, \
                       without ever handling a Zoom token.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        super::connect_sessions::create,
        super::connect_sessions::show,
        super::end_users::show,
        super::account_links::create,
        super::links::remove,
        super::events::list,
        super::events::put,
        super::events::show,
        super::events::remove,
        super::events::start_url,
    ),
    components(schemas(Problem)),
    security(("api_key" = [])),
    tags(
        (name = "connect", description = "End users connecting Zoom, their links, and their account page."),
        (name = "events", description = "Events and their Zoom meetings."),
    ),
)]
struct ClientApi;

/// Every problem any `/v1` operation may answer, besides those it names itself.
const COMMON_PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "The request could not be read: not JSON, wrong content type, bad query.",
    ),
    ("401", "No valid API key (`Authorization: Bearer cvk_…`)."),
    ("413", "The body is larger than the limit."),
    (
        "422",
        "Fields that failed validation, each named in `errors`.",
    ),
    (
        "429",
        "Too many requests; `Retry-After` says when to try again.",
    ),
    ("500", "Something failed on the hub's side; safe to retry."),
    (
        "503",
        "The hub cannot reach its database just now (`code` `unavailable`); `Retry-After` says when to try again.",
    ),
];

/// The document.
pub fn document() -> Document {
    let mut document = ClientApi::openapi();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "api_key",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An application API key, `cvk_…`."))
                .build(),
        ),
    );
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, description) in COMMON_PROBLEMS {
                let problem = ResponseBuilder::new()
                    .description(*description)
                    .content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build();
                operation
                    .responses
                    .responses
                    .entry((*status).to_owned())
                    .or_insert_with(|| problem.into());
            }
        }
    }
    document
}

/// `GET /v1/openapi.json` (no API key needed).
pub async fn serve() -> Json<Document> {
    Json(document())
}
