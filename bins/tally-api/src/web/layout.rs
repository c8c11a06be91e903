//! The frame every page shares, and the pieces pages are built of: tabs,
//! tables, instants shown in the viewer's time zone, download menus.

use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use maud::{DOCTYPE, Markup, html};
use tally_access::Principal;

use crate::web::session::{CSRF_FIELD, Viewer};

/// The parts of the site, for the navigation's current item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The usage dashboard's tabs.
    Dashboard,
    /// The audit log's tabs.
    Audit,
    /// A member's own runs.
    MyRuns,
    /// The usage monitor.
    Monitor,
}

/// A page: the frame around `body`, with the page's own `scripts` (names
/// under `/assets/`) after the shared one.
pub fn page(
    viewer: &Viewer,
    title: &str,
    section: Section,
    scripts: &[&str],
    body: Markup,
) -> Markup {
    let links: Vec<(&str, &str, Section)> = match viewer.principal {
        Principal::Administrator { .. } => vec![
            ("Usage dashboard", "/dashboard/users-activity", Section::Dashboard),
            ("Audit log", "/audit", Section::Audit),
        ],
        Principal::Member { .. } => vec![("My runs", "/runs", Section::MyRuns)],
        Principal::Staff { .. } => vec![("Usage monitor", "/monitor", Section::Monitor)],
    };
    let who = who(&viewer.principal);
    let reports =
        matches!(viewer.principal, Principal::Administrator { server_management_read: true, .. });
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, scripts))
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="site" {
                    a class="brand" href="/" { "Tally" }
                    nav aria-label="Sections" {
                        ul {
                            @for (label, href, of) in &links {
                                li {
                                    @if *of == section {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    div class="who" {
                        @if reports {
                            a class="button" href="/export/usage-reports" download { "Usage Reports.zip" }
                        }
                        span { (who) }
                        form method="post" action="/sign-out" {
                            input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page's `<head>`: its title, the stylesheet, the shared script and the
/// page's own `scripts`.
fn head(title: &str, scripts: &[&str]) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Tally" }
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/app.js" defer {}
            @for script in scripts {
                script src={ "/assets/" (script) } defer {}
            }
        }
    }
}

/// Who the viewer is, in words.
pub fn who(principal: &Principal) -> String {
    match principal {
        Principal::Administrator { account, .. } => format!("Administrator of {account}"),
        Principal::Member { account, user } => format!("{user}, member of {account}"),
        Principal::Staff { team, admin, .. } => {
            format!("Staff{} of team {team}", if *admin { " admin" } else { "" })
        }
    }
}

/// A page for a signed-out visitor or an error: the frame without navigation.
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, &[]))
            body {
                header class="site" { a class="brand" href="/" { "Tally" } }
                main id="main" class="narrow" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The page of an error: what went wrong, in the API's words.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    bare_page(
        title,
        html! {
            p role="alert" { (message) }
            p { a href="/" { "Back to your first page" } " · " a href="/sign-in" { "Sign in with another token" } }
        },
    )
}

/// A row of tabs, the current one marked.
pub fn tabs<'a>(label: &str, items: impl IntoIterator<Item = (&'a str, String, bool)>) -> Markup {
    html! {
        nav class="tabs" aria-label=(label) {
            ul {
                @for (name, href, current) in items {
                    li {
                        @if current {
                            a href=(href) aria-current="page" { (name) }
                        } @else {
                            a href=(href) { (name) }
                        }
                    }
                }
            }
        }
    }
}

/// An instant, shown by the page's script in the viewer's own time zone with
/// the zone named; without the script, in UTC.
pub fn instant(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(SecondsFormat::Secs, true)) data-local {
            (at.format("%Y-%m-%d %H:%M UTC"))
        }
    }
}

/// A menu of download links, each `(label, href)`.
pub fn download_menu<'a>(
    label: &str,
    links: impl IntoIterator<Item = (&'a str, String)>,
) -> Markup {
    html! {
        details class="menu" {
            summary { (label) }
            ul {
                @for (name, href) in links {
                    li { a href=(href) download { (name) } }
                }
            }
        }
    }
}
