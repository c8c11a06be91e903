//! Signing in with an API token, and out.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;
use tally_access::ApiToken;

use crate::state::AppState;
use crate::web::WebError;
use crate::web::layout::bare_page;
use crate::web::session::{
    CSRF_COOKIE, CSRF_FIELD, TOKEN_COOKIE, check_csrf, cookie_value, new_csrf_token, set_cookie,
};

/// Signing in and out.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only a path on this site is followed after signing in.
fn local(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path
        }
        _ => "/",
    }
}

fn form(csrf: &str, next: &str, problem: Option<&str>) -> Markup {
    bare_page(
        "Sign in",
        html! {
            p { "Sign in with an API token. An account's administrator sees the account's usage dashboard and audit log, a member their own runs, the vendor's staff the usage monitor." }
            @if let Some(problem) = problem {
                p class="problem" role="alert" id="sign-in-problem" { (problem) }
            }
            form method="post" action="/sign-in" class="sign-in" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="next" value=(next);
                label for="token" { "API token" }
                input id="token" name="token" type="password" autocomplete="off" required
                    spellcheck="false" placeholder="tally_at_…"
                    aria-describedby=[problem.map(|_| "sign-in-problem")];
                button type="submit" { "Sign in" }
            }
            p class="hint" { "Create one with " code { "tally-api token create" } " (docs/api.md)." }
        },
    )
}

/// The sign-in form, with a CSRF cookie for it.
async fn sign_in_form(headers: HeaderMap, Query(next): Query<Next>) -> Response {
    let existing = cookie_value(&headers, CSRF_COOKIE).filter(|value| !value.is_empty());
    let csrf = existing.clone().unwrap_or_else(new_csrf_token);
    let page = form(&csrf, local(next.next.as_deref()), None);
    let mut response = page.into_response();
    if existing.is_none() {
        response
            .headers_mut()
            .append(header::SET_COOKIE, set_cookie(&headers, CSRF_COOKIE, Some(&csrf)));
    }
    response
}

#[derive(Deserialize)]
struct SignIn {
    token: String,
    csrf: Option<String>,
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form_fields): axum::Form<SignIn>,
) -> Result<Response, WebError> {
    check_csrf(&headers, form_fields.csrf.as_deref())?;
    let csrf = cookie_value(&headers, CSRF_COOKIE).unwrap_or_default();
    let next = local(form_fields.next.as_deref()).to_owned();
    let refused = |problem: &str| {
        (StatusCode::UNAUTHORIZED, form(&csrf, &next, Some(problem))).into_response()
    };
    let Ok(token) = ApiToken::parse(form_fields.token.trim()) else {
        return Ok(refused("That is not a Tally API token: they start with tally_at_."));
    };
    let text = form_fields.token.trim().to_owned();
    let principal =
        state.with_store(move |store| Ok(store.authenticate(&token, Utc::now())?)).await?;
    if principal.is_none() {
        return Ok(refused("That token is unknown, expired or revoked."));
    }
    let mut response = Redirect::to(&next).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&headers, TOKEN_COOKIE, Some(&text)));
    Ok(response)
}

#[derive(Deserialize)]
struct SignOut {
    csrf: Option<String>,
}

async fn sign_out(
    headers: HeaderMap,
    axum::Form(form_fields): axum::Form<SignOut>,
) -> Result<Response, WebError> {
    check_csrf(&headers, form_fields.csrf.as_deref())?;
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&headers, TOKEN_COOKIE, None));
    Ok(response)
}
