//! `tally-ingest account ...`: creating, listing, configuring and deleting
//! accounts, each through one typed function of the store.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use tally_calendar::AccountCalendar;
use tally_store::{NewAccount, Organization, Team};

use crate::cli::{AccountCommand, DurabilityArg, NamingArgs};
use crate::{event_mappings, open_audit_log, open_store};

/// Runs one `account` command on the database at `db`.
pub fn account(db: &Path, audit_key: &Path, command: AccountCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store(db, DurabilityArg::Process)?;
    match command {
        AccountCommand::Create { slug, name, time_zone, week_start, terms } => {
            let (account, key) = store.create_account(&NewAccount {
                slug,
                name,
                calendar: AccountCalendar { time_zone, week_start },
                terms,
            })?;
            println!("created account {} ({})", account.slug, account.name);
            println!("write key (shown once, store it now): {}", key.expose());
        }
        AccountCommand::List => {
            for account in store.accounts()? {
                let terms: Vec<String> = account.terms.iter().map(ToString::to_string).collect();
                println!(
                    "{}\t{}\t{}\tweek starts {}\tterms {}",
                    account.slug,
                    account.name,
                    account.calendar.time_zone,
                    account.calendar.week_start,
                    if terms.is_empty() { "none".to_owned() } else { terms.join(", ") }
                );
            }
        }
        AccountCommand::AddTerm { account, term } => {
            store.add_term(&account, term)?;
            println!("added term {term} to account {account}");
        }
        AccountCommand::RemoveTerm { account, term, yes } => {
            store.account(&account)?;
            if !yes {
                bail!(
                    "removing term {term} from account {account} changes its seat figures, which \
                     are recounted without it: run again with --yes to remove it"
                );
            }
            store.remove_term(&account, term)?;
            println!("removed term {term} from account {account}");
        }
        AccountCommand::Delete { account, yes } => {
            store.account(&account)?;
            if !yes {
                bail!(
                    "deleting account {account} removes its events, seat figures, configuration \
                     and API tokens from {} for good: run again with --yes to delete it",
                    db.display()
                );
            }
            // The audit log is append-only evidence: an account with a chain
            // in it stays, or its slug, made again, would take the chain over.
            if open_audit_log(db, audit_key)?
                .has_chain(&account)
                .context("reading the audit log's accounts")?
            {
                bail!(
                    "the audit log holds a chain for account {account}, and audit history is never \
                     deleted: retire the account instead (rotate its write key, revoke its tokens, \
                     remove its terms); see docs/RELIABILITY.md"
                );
            }
            let deleted = store.delete_account(&account)?;
            println!(
                "deleted account {account}: {} events, {} API tokens{}",
                deleted.events,
                deleted.tokens,
                if deleted.staff_teams.is_empty() {
                    String::new()
                } else {
                    format!(", and its place in staff teams {}", deleted.staff_teams.join(", "))
                }
            );
        }
        AccountCommand::RotateKey { account } => {
            let key = store.rotate_write_key(&account)?;
            println!(
                "new write key for {account} (shown once; the old key no longer works): {}",
                key.expose()
            );
        }
        AccountCommand::SetOrganization { naming: NamingArgs { account, id, name } } => {
            store.set_organization(&account, &Organization { organization: id, name })?;
        }
        AccountCommand::SetTeam { naming: NamingArgs { account, id, name }, organization } => {
            store.set_team(&account, &Team { team: id, name, organization })?;
        }
        AccountCommand::MapEvent(args) => event_mappings::map_event(&mut store, args)?,
        AccountCommand::UnmapEvent { account, event } => {
            event_mappings::unmap_event(&mut store, &account, &event)?;
        }
        AccountCommand::EventMappings { account, json } => {
            event_mappings::list_event_mappings(&store, &account, json)?;
        }
        AccountCommand::SetSeatRule { account, weeks_needed, logins_needed, logins_per_week } => {
            let rule = tally_seats::SeatRule { weeks_needed, logins_needed, logins_per_week };
            store.set_seat_rule(&account, rule)?;
            println!(
                "{account}: a seat after {logins_needed} logins in {weeks_needed} calendar weeks \
                 of at least {logins_per_week} login(s) each; seat figures are recounted at the \
                 next update"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
