//! The audit log's filter rules: a form of field, operator and value rows
//! that becomes the listing's own filter parameters in the page's address.

use maud::{Markup, html};
use tally_events::{AuditStatus, Operation, OriginType, SourceType};

use super::{RULE_FIELD, RULE_OPERATOR, RULE_VALUE, query_string};
use crate::error::ApiError;

/// A filter rule's field: with its operator it maps onto one of the listing's
/// filter parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleField {
    Date,
    Source,
    SourceType,
    Operation,
    Origin,
    Status,
    Error,
    User,
    Blueprint,
    Entity,
    RunId,
    Integration,
}

/// How a rule compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleOperator {
    Is,
    Contains,
    OnOrAfter,
    Before,
}

impl RuleOperator {
    const ALL: [RuleOperator; 4] =
        [RuleOperator::Is, RuleOperator::Contains, RuleOperator::OnOrAfter, RuleOperator::Before];

    fn name(self) -> &'static str {
        match self {
            RuleOperator::Is => "is",
            RuleOperator::Contains => "contains",
            RuleOperator::OnOrAfter => "on-or-after",
            RuleOperator::Before => "before",
        }
    }

    fn title(self) -> &'static str {
        match self {
            RuleOperator::Is => "is",
            RuleOperator::Contains => "contains",
            RuleOperator::OnOrAfter => "on or after",
            RuleOperator::Before => "before",
        }
    }
}

impl RuleField {
    const ALL: [RuleField; 12] = [
        RuleField::Date,
        RuleField::Source,
        RuleField::SourceType,
        RuleField::Operation,
        RuleField::Origin,
        RuleField::Status,
        RuleField::Error,
        RuleField::User,
        RuleField::Blueprint,
        RuleField::Entity,
        RuleField::RunId,
        RuleField::Integration,
    ];

    fn name(self) -> &'static str {
        match self {
            RuleField::Date => "date",
            RuleField::Source => "source",
            RuleField::SourceType => "source_type",
            RuleField::Operation => "operation",
            RuleField::Origin => "origin",
            RuleField::Status => "status",
            RuleField::Error => "error",
            RuleField::User => "user",
            RuleField::Blueprint => "blueprint",
            RuleField::Entity => "entity",
            RuleField::RunId => "run_id",
            RuleField::Integration => "integration",
        }
    }

    fn title(self) -> &'static str {
        match self {
            RuleField::Date => "Date",
            RuleField::Source => "Source",
            RuleField::SourceType => "Source type",
            RuleField::Operation => "Operation",
            RuleField::Origin => "Type",
            RuleField::Status => "Status",
            RuleField::Error => "Error",
            RuleField::User => "User",
            RuleField::Blueprint => "Blueprint",
            RuleField::Entity => "Entity",
            RuleField::RunId => "Run ID",
            RuleField::Integration => "Integration",
        }
    }

    /// The operators the listing has a filter for: dates compare, source and
    /// error match text anywhere, everything else matches exactly.
    fn operators(self) -> &'static [RuleOperator] {
        match self {
            RuleField::Date => &[RuleOperator::OnOrAfter, RuleOperator::Before],
            RuleField::Source | RuleField::Error => &[RuleOperator::Contains],
            RuleField::SourceType
            | RuleField::Operation
            | RuleField::Origin
            | RuleField::Status
            | RuleField::User
            | RuleField::Blueprint
            | RuleField::Entity
            | RuleField::RunId
            | RuleField::Integration => &[RuleOperator::Is],
        }
    }

    /// The listing's filter parameter for this field and operator.
    fn parameter(self, operator: RuleOperator) -> Option<&'static str> {
        match (self, operator) {
            (RuleField::Date, RuleOperator::OnOrAfter) => Some("from"),
            (RuleField::Date, RuleOperator::Before) => Some("to"),
            (RuleField::Error, RuleOperator::Contains) => Some("error"),
            (field, operator) if field.operators().contains(&operator) => Some(field.name()),
            _ => None,
        }
    }

    /// The values a closed field takes, offered as suggestions.
    fn suggestions(self) -> &'static [&'static str] {
        match self {
            RuleField::Operation => Operation::WIRE_NAMES,
            RuleField::Status => AuditStatus::WIRE_NAMES,
            RuleField::SourceType => SourceType::WIRE_NAMES,
            RuleField::Origin => OriginType::KNOWN,
            RuleField::Date
            | RuleField::Source
            | RuleField::Error
            | RuleField::User
            | RuleField::Blueprint
            | RuleField::Entity
            | RuleField::RunId
            | RuleField::Integration => &[],
        }
    }

    fn hint(self) -> &'static str {
        match self {
            RuleField::Date => "an RFC 3339 instant, such as 2026-12-01T00:00:00Z",
            _ => "",
        }
    }

    /// The rule a listing parameter holds, if it is a filter.
    fn of_parameter(name: &str) -> Option<(RuleField, RuleOperator)> {
        RuleField::ALL.into_iter().find_map(|field| {
            RuleOperator::ALL
                .into_iter()
                .find(|operator| field.parameter(*operator) == Some(name))
                .map(|operator| (field, operator))
        })
    }
}

/// The listing's filter parameters of the rules a form sent, in its order;
/// a rule without a value is left out.
pub(super) fn rule_parameters(
    rules: &[(String, String, String)],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for (field_name, operator_name, value) in rules {
        if value.trim().is_empty() {
            continue;
        }
        let field = RuleField::ALL.into_iter().find(|field| field.name() == field_name);
        let field = field.ok_or_else(|| {
            ApiError::bad_parameter(RULE_FIELD, format!("{field_name:?} is not a field to filter"))
        })?;
        let operator = RuleOperator::ALL.into_iter().find(|op| op.name() == operator_name);
        let parameter =
            operator.and_then(|operator| field.parameter(operator)).ok_or_else(|| {
                let operators: Vec<&str> = field.operators().iter().map(|op| op.title()).collect();
                ApiError::bad_parameter(
                    RULE_OPERATOR,
                    format!(
                        "{} takes {}, not {operator_name:?}",
                        field.title(),
                        operators.join(" or ")
                    ),
                )
            })?;
        pairs.push((parameter.to_owned(), value.trim().to_owned()));
    }
    Ok(pairs)
}

/// The filter rules: each of the listing's filters as a rule to change or
/// remove, and a blank rule to add one; sent, they become the listing's
/// filter parameters in the address.
pub(super) fn rules_form(path: &str, listing: &[(String, String)]) -> Markup {
    let rules: Vec<(usize, RuleField, RuleOperator, &str)> = listing
        .iter()
        .enumerate()
        .filter_map(|(index, (name, value))| {
            RuleField::of_parameter(name).map(|(field, op)| (index, field, op, value.as_str()))
        })
        .collect();
    let sort = listing.iter().find(|(name, _)| name == "sort").map(|(_, value)| value.as_str());
    html! {
        form method="get" action=(path) class="rules" {
            fieldset {
                legend { "Filter rules" }
                @if let Some(sort) = sort {
                    input type="hidden" name="sort" value=(sort);
                }
                ol class="rule-list" {
                    @for (number, (index, field, op, value)) in rules.iter().enumerate() {
                        (rule_row(number + 1, Some((*field, *op, *value)), Some(
                            format!("{path}{}", query_string(
                                listing.iter().enumerate()
                                    .filter(|(other, (name, _))| other != index && name != "cursor")
                                    .map(|(_, (name, value))| (name.as_str(), value.as_str()))
                            ))
                        )))
                    }
                    (rule_row(rules.len() + 1, None, None))
                }
                div class="rule-actions" {
                    button type="button" class="quiet add-rule" hidden { "Add a rule" }
                    button type="submit" { "Apply rules" }
                    @if !rules.is_empty() {
                        a href=(format!("{path}{}", query_string(sort.map(|sort| ("sort", sort))))) { "Clear all rules" }
                    }
                }
                datalist id="rule-suggestions" {
                    @for field in RuleField::ALL {
                        @for suggestion in field.suggestions() {
                            option value=(suggestion) data-field=(field.name()) {}
                        }
                    }
                }
            }
        }
    }
}

/// One rule's controls, numbered for their labels; `remove` is the address
/// without it.
fn rule_row(
    number: usize,
    rule: Option<(RuleField, RuleOperator, &str)>,
    remove: Option<String>,
) -> Markup {
    let id = |part: &str| format!("rule-{number}-{part}");
    let (field, operator, value) = match rule {
        Some((field, operator, value)) => (Some(field), Some(operator), value),
        None => (None, None, ""),
    };
    let hint = field.map(RuleField::hint).filter(|hint| !hint.is_empty());
    html! {
        li class="rule" {
            label for=(id("field")) { "Field" span class="visually-hidden" { " of rule " (number) } }
            select id=(id("field")) name=(RULE_FIELD) {
                @for option in RuleField::ALL {
                    option value=(option.name()) selected[Some(option) == field] { (option.title()) }
                }
            }
            label for=(id("op")) { "Operator" span class="visually-hidden" { " of rule " (number) } }
            select id=(id("op")) name=(RULE_OPERATOR) {
                @for option in RuleOperator::ALL {
                    option value=(option.name()) selected[Some(option) == operator]
                        data-fields=(RuleField::ALL.iter().filter(|field| field.operators().contains(&option)).map(|field| field.name()).collect::<Vec<_>>().join(" "))
                    { (option.title()) }
                }
            }
            label for=(id("value")) { "Value" span class="visually-hidden" { " of rule " (number) } }
            input id=(id("value")) name=(RULE_VALUE) type="text" value=(value) list="rule-suggestions"
                spellcheck="false" autocomplete="off" title=[hint];
            @if let Some(remove) = remove {
                a href=(remove) class="remove-rule" { "Remove" span class="visually-hidden" { " rule " (number) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rules: &[(&str, &str, &str)], expected: Result<&[(&str, &str)], &str>) {
        let rules: Vec<(String, String, String)> = rules
            .iter()
            .map(|(field, op, value)| (field.to_string(), op.to_string(), value.to_string()))
            .collect();
        let found = rule_parameters(&rules).map_err(|error| match error {
            ApiError::BadParameter { reason, .. } => reason,
            other => panic!("{other:?}"),
        });
        let expected = expected
            .map(|pairs| pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect())
            .map_err(str::to_owned);
        assert_eq!(found, expected, "{rules:?}");
    }

    #[test]
    fn rules_become_the_listings_filter_parameters() {
        check(
            &[
                ("date", "on-or-after", "2026-12-01T00:00:00Z"),
                ("date", "before", "2026-12-08T00:00:00Z"),
                ("source", "contains", " dana "),
                ("status", "is", "failure"),
                ("error", "contains", "timeout"),
                ("run_id", "is", "r_1"),
                // A blank rule is the form's "add one" row.
                ("origin", "is", ""),
            ],
            Ok(&[
                ("from", "2026-12-01T00:00:00Z"),
                ("to", "2026-12-08T00:00:00Z"),
                ("source", "dana"),
                ("status", "failure"),
                ("error", "timeout"),
                ("run_id", "r_1"),
            ]),
        );
        check(&[("status", "contains", "fail")], Err("Status takes is, not \"contains\""));
        check(&[("date", "is", "2026-12-01")], Err("Date takes on or after or before, not \"is\""));
        check(&[("colour", "is", "red")], Err("\"colour\" is not a field to filter"));
    }

    #[test]
    fn every_rule_reads_back_from_its_parameter() {
        for field in RuleField::ALL {
            for operator in field.operators() {
                let parameter = field.parameter(*operator).unwrap();
                assert_eq!(RuleField::of_parameter(parameter), Some((field, *operator)));
            }
        }
    }
}
