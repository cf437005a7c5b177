//! The browser side of OAuth: `GET /oauth/authorize` with its sign-in and consent pages,
//! the Allow/Deny decision that sends the browser back with a code or `access_denied`,
//! and signing in and out.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use url::Url;

use super::Emulator;
use super::form::Fields;
use super::oauth::SCOPES;
use super::pages::{PageError, html, see_other};
use super::session::{SignedIn, Visitor, clear_cookie_header, session_cookie_header};
use super::tokens::Challenge;
use super::users::{DEMO_EMAILS, is_plausible_email};

/// The authorization pages.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/oauth/authorize", get(authorize).post(decide))
        .route("/signin", post(sign_in))
        .route("/signout", post(sign_out))
}

/// A validated authorization request.
struct AuthorizeRequest {
    redirect_uri: String,
    state: Option<String>,
    challenge: Option<Challenge>,
    /// The request's parameters, carried through the sign-in and consent forms.
    params: Vec<(&'static str, String)>,
}

impl AuthorizeRequest {
    /// Checks the parameters as Zoom does; errors never redirect.
    fn parse(emulator: &Emulator, fields: &Fields) -> Result<AuthorizeRequest, PageError> {
        let config = emulator.config();
        let client_id = fields.get("client_id").unwrap_or_default();
        if client_id != config.client_id {
            return Err(PageError::bad_request(
                "Invalid client_id",
                format!("No app has the client ID “{client_id}” (4702)."),
            ));
        }
        let redirect_uri = fields.get("redirect_uri").unwrap_or_default();
        if !config
            .redirect_uris
            .iter()
            .any(|registered| registered == redirect_uri)
        {
            return Err(PageError::bad_request(
                "Invalid redirect URL",
                format!(
                    "Invalid redirect: {redirect_uri} is not a redirect URL registered for this app (4709)."
                ),
            ));
        }
        if fields.get("response_type") != Some("code") {
            return Err(PageError::bad_request(
                "Unsupported response type",
                "response_type must be code.",
            ));
        }
        let method = fields.non_empty("code_challenge_method");
        let challenge = match (fields.non_empty("code_challenge"), method) {
            (None, _) => None,
            (Some(challenge), None | Some("plain")) => Some(Challenge::Plain(challenge.to_owned())),
            (Some(challenge), Some("S256")) => Some(Challenge::S256(challenge.to_owned())),
            (Some(_), Some(other)) => {
                return Err(PageError::bad_request(
                    "Unsupported code challenge method",
                    format!("code_challenge_method {other} is not supported; use S256 or plain."),
                ));
            }
        };
        let mut params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", client_id.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
        ];
        for name in ["state", "code_challenge", "code_challenge_method"] {
            if let Some(value) = fields.non_empty(name) {
                params.push((name, value.to_owned()));
            }
        }
        Ok(AuthorizeRequest {
            redirect_uri: redirect_uri.to_owned(),
            state: fields.non_empty("state").map(str::to_owned),
            challenge,
            params,
        })
    }

    /// Back to the app's redirect URI with these parameters and the state.
    fn redirect_back(&self, outcome: (&str, &str)) -> Response {
        let Ok(mut target) = Url::parse(&self.redirect_uri) else {
            return PageError::bad_request(
                "Invalid redirect URL",
                "The registered redirect URL is not a URL.",
            )
            .into_response();
        };
        {
            let mut query = target.query_pairs_mut();
            query.append_pair(outcome.0, outcome.1);
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
        }
        match HeaderValue::from_str(target.as_str()) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

/// Where the sign-in form leads once signed in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterSignIn {
    Consent,
    Apps,
    Meetings,
}

impl AfterSignIn {
    fn as_str(self) -> &'static str {
        match self {
            AfterSignIn::Consent => "authorize",
            AfterSignIn::Apps => "apps",
            AfterSignIn::Meetings => "meetings",
        }
    }

    fn parse(value: Option<&str>) -> Self {
        match value {
            Some("authorize") => AfterSignIn::Consent,
            Some("meetings") => AfterSignIn::Meetings,
            _ => AfterSignIn::Apps,
        }
    }
}

struct DemoUser {
    name: String,
    email: String,
}

#[derive(Template)]
#[template(path = "sandbox/signin.html")]
struct SignInPage<'a> {
    base: &'a str,
    nonce: String,
    hidden: Vec<(&'static str, String)>,
    demo_users: Vec<DemoUser>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "sandbox/consent.html")]
struct ConsentPage<'a> {
    base: &'a str,
    csrf: &'a str,
    hidden: &'a [(&'static str, String)],
    client_id: &'a str,
    redirect_uri: &'a str,
    name: String,
    email: String,
    scopes: Vec<(&'static str, &'static str)>,
}

/// The sign-in page; its forms carry `hidden` and lead to `next`.
pub(crate) fn sign_in_page(
    emulator: &Emulator,
    next: AfterSignIn,
    params: &[(&'static str, String)],
    error: Option<&str>,
) -> Response {
    let (nonce, demo_users) = {
        let mut world = emulator.world();
        let now = world.now();
        let demo_users = DEMO_EMAILS
            .iter()
            .filter_map(|email| world.users.find(email))
            .map(|user| DemoUser {
                name: user.display_name(),
                email: user.email.clone(),
            })
            .collect();
        (world.sessions.issue_nonce(now), demo_users)
    };
    let mut hidden = vec![("next", next.as_str().to_owned())];
    hidden.extend_from_slice(params);
    let page = SignInPage {
        base: emulator.base_path(),
        nonce,
        hidden,
        demo_users,
        error,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, &page)
}

fn consent_page(emulator: &Emulator, request: &AuthorizeRequest, signed_in: &SignedIn) -> Response {
    let Some((name, email)) = emulator
        .world()
        .users
        .get(&signed_in.user_id)
        .map(|user| (user.display_name(), user.email.clone()))
    else {
        return PageError::stale_form().into_response();
    };
    let descriptions = [
        ("meeting:read", "See your meetings"),
        ("meeting:write", "Create, change and delete your meetings"),
        ("user:read", "See your name, email and account"),
    ];
    let page = ConsentPage {
        base: emulator.base_path(),
        csrf: signed_in.csrf(),
        hidden: &request.params,
        client_id: &emulator.config().client_id,
        redirect_uri: &request.redirect_uri,
        name,
        email,
        scopes: descriptions
            .into_iter()
            .filter(|(scope, _)| SCOPES.split(' ').any(|held| held == *scope))
            .collect(),
    };
    html(StatusCode::OK, &page)
}

async fn authorize(
    State(emulator): State<Emulator>,
    Visitor(visitor): Visitor,
    RawQuery(query): RawQuery,
) -> Response {
    let fields = Fields::parse(query.unwrap_or_default().as_bytes());
    let request = match AuthorizeRequest::parse(&emulator, &fields) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    match visitor {
        None => sign_in_page(&emulator, AfterSignIn::Consent, &request.params, None),
        Some(signed_in) => consent_page(&emulator, &request, &signed_in),
    }
}

async fn decide(
    State(emulator): State<Emulator>,
    Visitor(visitor): Visitor,
    body: Bytes,
) -> Response {
    let form = Fields::parse(&body);
    let request = match AuthorizeRequest::parse(&emulator, &form) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let Some(signed_in) = visitor else {
        return sign_in_page(&emulator, AfterSignIn::Consent, &request.params, None);
    };
    if !signed_in.csrf_matches(form.get("csrf")) {
        return PageError::stale_form().into_response();
    }
    match form.get("decision") {
        Some("allow") => {
            let code = {
                let mut world = emulator.world();
                let now = world.now();
                world.grants.issue_code(
                    &signed_in.user_id,
                    &request.redirect_uri,
                    request.challenge.clone(),
                    now,
                )
            };
            request.redirect_back(("code", &code))
        }
        Some("deny") => request.redirect_back(("error", "access_denied")),
        _ => PageError::bad_request(
            "Choose Allow or Deny",
            "The form did not say whether to allow access.",
        )
        .into_response(),
    }
}

async fn sign_in(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    let next = AfterSignIn::parse(form.get("next"));
    let request = match next {
        AfterSignIn::Consent => match AuthorizeRequest::parse(&emulator, &form) {
            Ok(request) => Some(request),
            Err(error) => return error.into_response(),
        },
        AfterSignIn::Apps | AfterSignIn::Meetings => None,
    };
    let params = request
        .as_ref()
        .map(|request| request.params.as_slice())
        .unwrap_or_default();
    let email = form.get("email").unwrap_or_default().trim();
    let signed_in = {
        let mut world = emulator.world();
        let now = world.now();
        if !world
            .sessions
            .consume_nonce(form.get("nonce").unwrap_or_default(), now)
        {
            return PageError::stale_form().into_response();
        }
        if !is_plausible_email(email) {
            drop(world);
            return sign_in_page(
                &emulator,
                next,
                params,
                Some("Enter an email address like name@example.com."),
            );
        }
        let user_id = world.users.sign_in(email, now).id.clone();
        let session_id = world.sessions.start(&user_id);
        world.sessions.signed_in(&session_id)
    };
    let Some(signed_in) = signed_in else {
        return PageError::stale_form().into_response();
    };
    let mut response = match (next, &request) {
        (AfterSignIn::Consent, Some(request)) => consent_page(&emulator, request, &signed_in),
        (AfterSignIn::Meetings, _) => see_other(&emulator, "/meetings"),
        _ => see_other(&emulator, "/apps"),
    };
    if let Some(cookie) = session_cookie_header(&emulator, &signed_in.session_id) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn sign_out(
    State(emulator): State<Emulator>,
    Visitor(visitor): Visitor,
    body: Bytes,
) -> Response {
    let form = Fields::parse(&body);
    if let Some(signed_in) = visitor {
        if !signed_in.csrf_matches(form.get("csrf")) {
            return PageError::stale_form().into_response();
        }
        emulator.world().sessions.end(&signed_in.session_id);
    }
    let mut response = match AuthorizeRequest::parse(&emulator, &form) {
        Ok(request) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&request.params)
                .finish();
            see_other(&emulator, &format!("/oauth/authorize?{query}"))
        }
        Err(_) => see_other(&emulator, "/apps"),
    };
    if let Some(cookie) = clear_cookie_header(&emulator) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
