//! The dashboard's filters as a page's URL gives them, read as the API reads
//! them, and written back into the links the page makes.

use maud::{Markup, html};
use tally_store::{Organization, Team};

use crate::error::ApiError;
use crate::query;
use crate::routes::dashboard::DashboardParameters;

/// The filters of a dashboard page's URL: the query string without its empty
/// fields, which a GET form sends for a filter left blank and which mean "no
/// filter" on a page (the API refuses them, so they are never passed on).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// The query string as given, percent-encoded, empty fields left out.
    given: String,
}

impl Filters {
    /// The filters of `raw`, the text after `?`.
    pub fn read(raw: Option<&str>) -> Filters {
        let given: Vec<&str> = raw
            .unwrap_or("")
            .split('&')
            .filter(|piece| piece.split_once('=').is_some_and(|(_, value)| !value.is_empty()))
            .collect();
        Filters { given: given.join("&") }
    }

    /// The filters read exactly as the API's widget endpoints read them, so a
    /// bad value is refused with the API's words. `format` and `bom` ask for
    /// a file, which the page's download menus link to instead.
    pub fn parameters(&self) -> Result<DashboardParameters, ApiError> {
        let parameters: DashboardParameters = query::parse(Some(&self.given))?;
        if parameters.format.is_some() {
            return Err(ApiError::bad_parameter(
                "format",
                "a page shows the figures; download a file from a widget's Download menu",
            ));
        }
        if parameters.bom.is_some() {
            return Err(ApiError::bad_parameter(
                "bom",
                "a page shows the figures; download a file from a widget's Download menu",
            ));
        }
        Ok(parameters)
    }

    /// The query string to keep the same view on another page: empty, or
    /// starting with `?`.
    pub fn query(&self) -> String {
        if self.given.is_empty() { String::new() } else { format!("?{}", self.given) }
    }

    /// The query string with `at` given as `pinned` when the URL gave none, so
    /// that a chart or a download shows the figures of the instant the page
    /// was computed at rather than of the moment it is fetched.
    pub fn pinned(&self, pinned: &str) -> String {
        if self.value("at").is_some() {
            return self.given.clone();
        }
        let mut query = form_urlencoded::Serializer::for_suffix(self.given.clone(), 0);
        query.append_pair("at", pinned);
        query.finish()
    }

    /// The decoded value of the filter `name`, as given.
    pub fn value(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.given.as_bytes())
            .find(|(given, _)| given == name)
            .map(|(_, value)| value.into_owned())
    }

    /// The form that sets the filters, for `action` (the page's path), with
    /// the account's organizations and teams to choose from and the account's
    /// time zone named.
    pub fn form(
        &self,
        action: &str,
        organizations: &[Organization],
        teams: &[Team],
        zone: &str,
    ) -> Markup {
        let organization = self.value("organization");
        let team = self.value("team");
        // A value in the URL that is not configured (events may name
        // organizations no one set up) is still shown as chosen.
        let unlisted_organization = organization
            .clone()
            .filter(|given| !organizations.iter().any(|known| &known.organization == given));
        let unlisted_team =
            team.clone().filter(|given| !teams.iter().any(|known| &known.team == given));
        html! {
            form class="filters dashboard-filters" method="get" action=(action) role="search"
                aria-label="Dashboard filters" {
                label {
                    "Organization"
                    select name="organization" {
                        option value="" { "Every organization" }
                        @for known in organizations {
                            option value=(known.organization)
                                selected[organization.as_deref() == Some(known.organization.as_str())] {
                                (known.name)
                            }
                        }
                        @if let Some(given) = &unlisted_organization {
                            option value=(given) selected { (given) }
                        }
                    }
                }
                label {
                    "Team"
                    select name="team" {
                        option value="" { "Every team" }
                        @for known in teams {
                            option value=(known.team) selected[team.as_deref() == Some(known.team.as_str())] {
                                (known.name)
                            }
                        }
                        @if let Some(given) = &unlisted_team {
                            option value=(given) selected { (given) }
                        }
                    }
                }
                label {
                    "From"
                    input type="date" name="from" value=[self.value("from")];
                }
                label {
                    "To"
                    input type="date" name="to" value=[self.value("to")];
                }
                label {
                    "As of"
                    input type="text" name="at" value=[self.value("at")] placeholder="now"
                        aria-describedby="dashboard-at-hint" spellcheck="false" size="22";
                }
                button type="submit" { "Apply" }
                a class="button quiet" href=(action) { "Clear filters" }
            }
            p class="hint" id="dashboard-at-hint" {
                "Days are in the account's time zone, " (zone) ". Without From and To each widget \
                 covers its own period ending with the day of \u{201c}As of\u{201d}: a date \
                 (2026-04-01, the start of that day) or an instant (2026-04-01T09:00:00Z); empty \
                 for now."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, kept: &str) {
        assert_eq!(Filters::read(Some(raw)).given, kept, "{raw}");
    }

    #[test]
    fn empty_fields_of_the_form_are_no_filter() {
        check("organization=&team=&from=2026-04-01&to=&at=", "from=2026-04-01");
        check("organization=acme%2Dlab&team", "organization=acme%2Dlab");
        check("", "");
    }

    #[test]
    fn bad_values_are_refused_as_the_api_refuses_them() {
        let refused = |raw: &str| {
            Filters::read(Some(raw)).parameters().map(|_| ()).map_err(|error| error.to_string())
        };
        assert_eq!(refused("from=2026-04-01&organization=&at="), Ok(()));
        assert_eq!(
            refused("from=2026-13-01"),
            Err("query parameter \"from\": \"2026-13-01\" is not a date such as 2026-04-01"
                .to_owned())
        );
        assert!(refused("colour=red").is_err());
        assert!(refused("format=csv").is_err());
    }

    #[test]
    fn a_pinned_instant_is_added_only_when_none_was_given() {
        let given = Filters::read(Some("team=Data"));
        assert_eq!(given.pinned("2026-04-01T09:00:00Z"), "team=Data&at=2026-04-01T09%3A00%3A00Z");
        let with_at = Filters::read(Some("at=2026-03-01&team=Data"));
        assert_eq!(with_at.pinned("2026-04-01T09:00:00Z"), "at=2026-03-01&team=Data");
    }
}
