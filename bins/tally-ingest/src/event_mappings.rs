//! `tally-ingest account map-event`, `unmap-event` and `event-mappings`: an
//! account's own rules for the messages of analytics SDKs (docs/ingest-compat.md).

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use tally_compat::MappingRule;
use tally_store::Store;

use crate::cli::MapEventArgs;

/// Sets the rule `args` describe and prints it.
pub fn map_event(store: &mut Store, args: MapEventArgs) -> anyhow::Result<()> {
    let MapEventArgs { account: slug, event, kind, set, set_json, from } = args;
    let account = store.account(&slug)?;
    let mut constants = BTreeMap::new();
    for (field, value) in set.into_iter().chain(set_json) {
        if constants.contains_key(&field) {
            bail!(
                "the field {field} is given more than one constant; give it one --set or --set-json"
            );
        }
        constants.insert(field, value);
    }
    let mut properties = BTreeMap::new();
    for (field, property) in from {
        if let Some(earlier) = properties.insert(field.clone(), property.clone()) {
            bail!(
                "the field {field} is taken from two properties, {earlier:?} and {property:?}; \
                 give it one --from"
            );
        }
    }
    let rule = MappingRule::new(event, kind, constants, properties).with_context(|| {
        format!("refusing the rule of account {slug} mapping messages to `{}`", kind.wire_name())
    })?;
    store
        .set_event_mapping(account.id, &rule)
        .with_context(|| format!("setting an event mapping rule of account {slug}"))?;
    println!("{slug}: {}", describe(&rule));
    println!("events already stored are not changed; messages from now on are mapped by this rule");
    Ok(())
}

/// Removes the account's rule for `event`, failing when it had none.
pub fn unmap_event(store: &mut Store, slug: &str, event: &str) -> anyhow::Result<()> {
    let account = store.account(slug)?;
    let removed = store
        .remove_event_mapping(account.id, event)
        .with_context(|| format!("removing an event mapping rule of account {slug}"))?;
    if !removed {
        let rules = store
            .event_mappings(account.id)
            .with_context(|| format!("reading the event mapping rules of account {slug}"))?;
        let names: Vec<String> = rules.iter().map(|rule| format!("{:?}", rule.event())).collect();
        bail!(
            "account {slug} has no rule for the event {event:?} (names are matched exactly); \
             its rules are for: {}",
            if names.is_empty() { "no event".to_owned() } else { names.join(", ") }
        );
    }
    println!("{slug}: removed the rule for {event:?}; such messages get the default mapping again");
    Ok(())
}

/// Prints the account's rules, one a line, or as a JSON array.
pub fn list_event_mappings(store: &Store, slug: &str, json: bool) -> anyhow::Result<()> {
    let account = store.account(slug)?;
    let rules = store
        .event_mappings(account.id)
        .with_context(|| format!("reading the event mapping rules of account {slug}"))?;
    if json {
        let text = serde_json::to_string_pretty(&rules).expect("rules serialise to JSON");
        println!("{text}");
    } else {
        for rule in &rules {
            println!("{}", describe(rule));
        }
    }
    Ok(())
}

/// A rule in one line: `"Deploy Service" -> action_run; set action="deploy_service";
/// from run_id=property "runId"`.
fn describe(rule: &MappingRule) -> String {
    let mut line = format!("{:?} -> {}", rule.event(), rule.kind().wire_name());
    if !rule.set().is_empty() {
        let constants: Vec<String> =
            rule.set().iter().map(|(field, value)| format!("{field}={value}")).collect();
        line.push_str(&format!("; set {}", constants.join(", ")));
    }
    if !rule.from().is_empty() {
        let properties: Vec<String> = rule
            .from()
            .iter()
            .map(|(field, property)| format!("{field}=property {property:?}"))
            .collect();
        line.push_str(&format!("; from {}", properties.join(", ")));
    }
    line
}
