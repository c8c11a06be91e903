//! Signing in and out, the cookie, CSRF and the content security policy.

use crate::support::{Browser, demo};

/// A form POSTed over plain HTTP, redirects not followed: the status and the
/// answer's headers, by name (lower case), each value in order.
fn post_form(
    path: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>) {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut request = agent
        .post(format!("{}{path}", demo().api_url))
        .header("Content-Type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = serde_urlencoded::to_string(fields).unwrap();
    let response = request.send(body).expect("an answer");
    let answer_headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    (response.status().as_u16(), answer_headers)
}

fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
}

#[test]
fn signing_in_keeps_the_token_in_an_http_only_strict_cookie() {
    let token = &demo().tokens.administrator;
    let cookie = "tally_csrf=c0ffee";
    let (status, headers) = post_form(
        "/sign-in",
        &[("token", token), ("csrf", "c0ffee"), ("next", "/audit")],
        &[("Cookie", cookie)],
    );
    assert_eq!(status, 303);
    assert_eq!(header_values(&headers, "location"), ["/audit"]);
    let set = header_values(&headers, "set-cookie");
    assert_eq!(set.len(), 1, "{set:?}");
    let attributes: Vec<&str> = set[0].split(';').map(str::trim).collect();
    assert_eq!(attributes[0], format!("tally_token={token}"));
    for wanted in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&wanted), "{wanted} missing from {set:?}");
    }
    assert!(!attributes.contains(&"Secure"), "plain HTTP cannot keep a Secure cookie: {set:?}");

    // Behind a proxy that ends TLS, the cookie is sent over TLS only.
    let (status, headers) = post_form(
        "/sign-in",
        &[("token", token), ("csrf", "c0ffee")],
        &[("Cookie", cookie), ("X-Forwarded-Proto", "https")],
    );
    assert_eq!(status, 303);
    let set = header_values(&headers, "set-cookie");
    assert!(set[0].split(';').any(|a| a.trim() == "Secure"), "{set:?}");
}

#[test]
fn a_form_without_its_csrf_token_or_from_another_site_is_refused() {
    let token = &demo().tokens.administrator;
    let signed_in = format!("tally_token={token}; tally_csrf=c0ffee");
    // No token in the form, a wrong one, another site's origin, a cross-site fetch.
    type Fields<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Fields, Vec<(&str, &str)>); 4] = [
        (&[], vec![("Cookie", signed_in.as_str())]),
        (&[("csrf", "badbad")], vec![("Cookie", signed_in.as_str())]),
        (
            &[("csrf", "c0ffee")],
            vec![("Cookie", signed_in.as_str()), ("Origin", "http://evil.example")],
        ),
        (
            &[("csrf", "c0ffee")],
            vec![("Cookie", signed_in.as_str()), ("Sec-Fetch-Site", "cross-site")],
        ),
    ];
    for (fields, headers) in &cases {
        let (status, answer) = post_form("/sign-out", fields, headers);
        assert_eq!(status, 403, "{fields:?} {headers:?}");
        assert!(header_values(&answer, "set-cookie").is_empty(), "{answer:?}");
    }
    let (status, _) = post_form(
        "/sign-in",
        &[("token", token), ("csrf", "c0ffee")],
        &[("Cookie", "tally_csrf=c0ffee"), ("Origin", "http://evil.example")],
    );
    assert_eq!(status, 403, "a sign-in from another site");
    // Behind a proxy that rewrites Host, the host it forwards is the page's.
    let (status, _) = post_form(
        "/sign-out",
        &[("csrf", "c0ffee")],
        &[
            ("Cookie", signed_in.as_str()),
            ("Origin", "https://tally.example.com"),
            ("X-Forwarded-Host", "tally.example.com"),
        ],
    );
    assert_eq!(status, 303, "the origin the proxy forwarded");
    // The same form from the page's own origin is taken.
    let origin = demo().api_url.clone();
    let (status, answer) = post_form(
        "/sign-out",
        &[("csrf", "c0ffee")],
        &[("Cookie", signed_in.as_str()), ("Origin", origin.as_str())],
    );
    assert_eq!(status, 303, "{answer:?}");
}

#[test]
fn pages_carry_a_content_security_policy_without_unsafe_inline() {
    let answer = demo().api.get("/sign-in", None);
    assert_eq!(answer.status, 200);
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let response = agent.get(format!("{}/sign-in", demo().api_url)).call().unwrap();
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .expect("a Content-Security-Policy header")
        .to_owned();
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    for directive in
        ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]
    {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
}

#[test]
fn a_wrong_token_is_refused_and_a_right_one_signs_in_and_out() {
    let browser = Browser::new();
    browser.goto("/");
    assert!(browser.path().starts_with("/sign-in"), "{}", browser.path());
    browser.sign_in("tally_at_000000000000_000000000000000000000000000000000000000000000000");
    assert!(browser.text("[role=alert]").contains("unknown, expired or revoked"));
    browser.sign_in("not a token <script>");
    assert!(browser.text("[role=alert]").contains("not a Tally API token"));

    browser.sign_in(&demo().tokens.administrator);
    assert!(browser.path().starts_with("/dashboard/"), "{}", browser.path());
    // The token is out of the page's reach.
    let cookies = browser.script("return document.cookie");
    assert!(!cookies.as_str().unwrap_or("").contains("tally_token"), "{cookies}");

    browser.click("header.site form button[type=submit]");
    browser.wait_until("return location.pathname === '/sign-in'");
    browser.goto("/audit");
    assert!(browser.path().starts_with("/sign-in?next=%2Faudit"), "{}", browser.path());
}

#[test]
fn each_token_starts_on_its_own_page() {
    let tokens = &demo().tokens;
    for (token, first) in [
        (&tokens.administrator, "/dashboard/users-activity"),
        (&tokens.member, "/runs"),
        (&tokens.staff, "/monitor"),
    ] {
        let browser = Browser::new();
        browser.sign_in(token);
        assert_eq!(browser.path(), first);
    }
}

#[test]
fn the_sign_in_page_is_accessible_at_both_widths() {
    let mut browser = Browser::new();
    browser.goto("/sign-in");
    browser.assert_accessible();
    browser.screenshot("sign-in");
    browser.phone();
    browser.assert_accessible();
    // Nothing wider than the phone's screen.
    let overflow =
        browser.script("return document.documentElement.scrollWidth <= window.innerWidth");
    assert_eq!(overflow, serde_json::Value::Bool(true));
    browser.screenshot("sign-in");
}

#[test]
fn the_api_takes_the_session_cookie_for_reading_only() {
    let demo = demo();
    let staff_admin = &demo.tokens.staff_admin;
    let cookie = format!("tally_token={staff_admin}");
    let read = demo.api.send("GET", "/v1/me", None, None, &[("Cookie", &cookie)]);
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["role"], "staff-admin", "{}", read.text());
    // A change needs the bearer header, which another site's page cannot send.
    let body = r#"{"modules":[],"activities":[]}"#;
    let change =
        demo.api.send("PUT", "/v1/monitor/tracking", None, Some(body), &[("Cookie", &cookie)]);
    assert_eq!(change.status, 401, "{}", change.text());
    let bearer = demo.api.send(
        "GET",
        "/v1/me",
        Some(staff_admin),
        None,
        &[("Cookie", "tally_token=nonsense")],
    );
    assert_eq!(bearer.status, 200, "the header wins over the cookie: {}", bearer.text());
}
