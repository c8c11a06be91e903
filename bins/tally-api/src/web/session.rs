//! Who is looking: the API token in the session cookie, and the CSRF token
//! every state-changing form carries.
//!
//! The cookie holds the token itself (HttpOnly, SameSite=Strict, Secure when
//! the request came over TLS), so signing in stores nothing on the server and
//! revoking the token signs every browser out. The CSRF token is a random
//! value in a second cookie, repeated in each form (double submit); a form is
//! also refused when the browser says it came from another site.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use chrono::Utc;
use cookie::{Cookie, SameSite};
use rand::{RngCore, SeedableRng, rngs::StdRng};
use tally_access::{ApiToken, Principal};

use crate::error::ApiError;
use crate::state::AppState;
use crate::web::WebError;

/// The cookie that holds the signed-in viewer's API token.
pub const TOKEN_COOKIE: &str = "tally_token";
/// The cookie that holds the CSRF token forms repeat.
pub const CSRF_COOKIE: &str = "tally_csrf";
/// The form field that repeats it.
pub const CSRF_FIELD: &str = "csrf";

/// The value of the cookie `name` among the request's cookies.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// The API token of the session cookie, for a request that only reads (GET or
/// HEAD): the API accepts it in place of a bearer token so that the pages'
/// downloads and live streams work. A request that changes something must
/// send its token in the `Authorization` header, which another site cannot.
pub fn cookie_token(method: &Method, headers: &HeaderMap) -> Option<ApiToken> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    cookie_value(headers, TOKEN_COOKIE).and_then(|text| ApiToken::parse(&text).ok())
}

/// Whether the request came over TLS, as a proxy in front says.
fn over_tls(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|text| text.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// A `Set-Cookie` value for one of the session's cookies; `None` clears it.
pub fn set_cookie(headers: &HeaderMap, name: &'static str, value: Option<&str>) -> HeaderValue {
    let mut cookie = Cookie::build((name, value.unwrap_or("").to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(headers));
    if value.is_none() {
        cookie = cookie.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&cookie.build().to_string())
        .expect("a cookie of hex and fixed names is a valid header value")
}

/// A new CSRF token: 32 random bytes, hex.
pub fn new_csrf_token() -> String {
    let mut random = [0u8; 32];
    StdRng::from_os_rng().fill_bytes(&mut random);
    hex::encode(random)
}

/// Refuses a state-changing request whose form does not repeat the CSRF
/// cookie, or that the browser says another site sent.
pub fn check_csrf(headers: &HeaderMap, field: Option<&str>) -> Result<(), WebError> {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    // Behind a proxy that rewrites Host, the host the browser saw is the one
    // the proxy forwards.
    let host = headers.get("x-forwarded-host").or_else(|| headers.get(header::HOST));
    let origin_differs = match (headers.get(header::ORIGIN), host) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or_default();
            let host = host.to_str().unwrap_or_default();
            origin.split_once("://").map(|(_, rest)| rest) != Some(host)
        }
        _ => false,
    };
    let expected = cookie_value(headers, CSRF_COOKIE);
    let repeated =
        matches!((expected.as_deref(), field), (Some(a), Some(b)) if !a.is_empty() && a == b);
    if cross_site || origin_differs || !repeated {
        return Err(WebError::Csrf);
    }
    Ok(())
}

/// The signed-in person looking at a page: their token's principal, and the
/// CSRF token their forms carry. A request without a working token is sent to
/// the sign-in page.
pub struct Viewer {
    /// What the token may see.
    pub principal: Principal,
    /// The CSRF token for this browser's forms.
    pub csrf: String,
}

impl Viewer {
    /// The first page for this viewer.
    pub fn home(&self) -> &'static str {
        match self.principal {
            Principal::Administrator { .. } => "/dashboard/users-activity",
            Principal::Member { .. } => "/runs",
            Principal::Staff { .. } => "/monitor",
        }
    }

    /// The account whose administrator is looking, or a 403.
    pub fn administered_account(&self) -> Result<&str, WebError> {
        match &self.principal {
            Principal::Administrator { account, .. } => Ok(account),
            _ => Err(WebError::Api(ApiError::Forbidden { needs: "an account's administrator" })),
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let next = parts.uri.path_and_query().map(|pq| pq.as_str().to_owned()).unwrap_or_default();
        let sign_in = || WebError::SignIn { next: next.clone() };
        let token = cookie_value(&parts.headers, TOKEN_COOKIE)
            .and_then(|text| ApiToken::parse(&text).ok())
            .ok_or_else(sign_in)?;
        let principal = state
            .with_store(move |store| Ok(store.authenticate(&token, Utc::now())?))
            .await?
            .ok_or_else(sign_in)?;
        // Signing in sets the CSRF cookie; a browser that lost it signs in again.
        let csrf = cookie_value(&parts.headers, CSRF_COOKIE)
            .filter(|value| !value.is_empty())
            .ok_or_else(sign_in)?;
        Ok(Viewer { principal, csrf })
    }
}
