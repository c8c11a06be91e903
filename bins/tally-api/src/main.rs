//! `tally-api`: the HTTP API service, its tokens and staff teams.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use tally_access::{Role, StaffScope, TokenId};
use tally_api::state::AppState;
use tally_store::{NewToken, StaffTeam, Store, StoreOptions, TokenGrant, TokenInfo};

#[derive(Parser)]
#[command(name = "tally-api", version, about = "Tally's HTTP API, its tokens and staff teams")]
struct Cli {
    #[command(flatten)]
    database: tally_service::DatabaseArgs,
    #[command(flatten)]
    log: tally_service::LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until SIGTERM or Ctrl-C.
    Serve {
        /// Address to listen on, HOST:PORT (a host name is resolved); port 0 picks
        /// a free port (the chosen address is printed).
        #[arg(long, env = "TALLY_API_LISTEN", default_value = "127.0.0.1:8081")]
        listen: tally_service::ListenAddress,
        #[command(flatten)]
        connections: tally_service::ConnectionArgs,
        #[command(flatten)]
        monitor: tally_api::live::MonitorArgs,
    },
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Set the accounts a staff team may see in the usage monitor.
    #[command(subcommand)]
    StaffTeam(StaffTeamCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (shown only this once; only its hash is kept).
    Create(CreateToken),
    /// List tokens: id, role, whose, label, created, expires, revoked.
    List,
    /// Revoke a token by its id: it stops working at once.
    Revoke {
        /// The token's id (the 12 hex digits after `tally_at_`).
        id: String,
    },
}

#[derive(Args)]
struct CreateToken {
    /// administrator, member, staff or staff-admin.
    #[arg(long)]
    role: Role,
    /// The account, for administrator and member tokens.
    #[arg(long)]
    account: Option<String>,
    /// The member's user id in the account's events, for member tokens.
    #[arg(long)]
    user: Option<String>,
    /// The staff team, for staff and staff-admin tokens.
    #[arg(long)]
    team: Option<String>,
    /// Grant an administrator read permission on server management (needed for
    /// the usage-reports download).
    #[arg(long)]
    server_management_read: bool,
    /// When the token stops working, as an RFC 3339 instant.
    #[arg(long, conflicts_with = "expires_in_days")]
    expires_at: Option<DateTime<Utc>>,
    /// Days from now until the token stops working.
    #[arg(long)]
    expires_in_days: Option<u32>,
    /// A note for whoever lists tokens, such as who holds this one.
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Subcommand)]
enum StaffTeamCommand {
    /// Create a staff team or change its accounts.
    Set {
        /// The team's name.
        #[arg(long)]
        team: String,
        /// The accounts it may see, comma-separated slugs.
        #[arg(long, value_delimiter = ',', required_unless_present = "all_accounts")]
        accounts: Vec<String>,
        /// Every account, present and future.
        #[arg(long, conflicts_with = "accounts")]
        all_accounts: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tally_service::init_logging(cli.log.log_format, "info,tower_http=debug");
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tally-api: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // The API never makes a database: every command needs one with accounts.
    let db = cli.database.existing_database()?;
    match cli.command {
        Command::Serve { listen, connections, monitor } => {
            serve(db, &cli.database.audit_key_file(), listen, connections.limits(), &monitor)
        }
        Command::Token(TokenCommand::Create(args)) => create_token(db, args),
        Command::Token(TokenCommand::List) => list_tokens(db),
        Command::Token(TokenCommand::Revoke { id }) => {
            let id = TokenId::parse(&id)?;
            let info = open_store(db)?.revoke_token(&id)?;
            println!("revoked token {} ({})", info.id, describe(&info));
            Ok(())
        }
        Command::StaffTeam(StaffTeamCommand::Set { team, accounts, all_accounts }) => {
            let scope = if all_accounts {
                StaffScope::AllAccounts
            } else {
                StaffScope::Accounts(accounts.into_iter().collect::<BTreeSet<_>>())
            };
            open_store(db)?.set_staff_team(&StaffTeam { team: team.clone(), scope })?;
            println!("staff team {team} set");
            Ok(())
        }
    }
}

fn open_store(db: &Path) -> anyhow::Result<Store> {
    Store::open(db, &StoreOptions::default())
        .with_context(|| format!("opening the database {}", db.display()))
}

fn serve(
    db: &Path,
    audit_key: &Path,
    listen: tally_service::ListenAddress,
    connections: tally_service::ConnectionLimits,
    monitor: &tally_api::live::MonitorArgs,
) -> anyhow::Result<()> {
    let (live_monitor, live_feed) = tally_api::live::LiveMonitor::start(db, monitor.config())
        .with_context(|| format!("starting the usage monitor over {}", db.display()))?;
    let state = AppState::open(db.to_owned(), audit_key, live_feed).with_context(|| {
        format!(
            "opening the database {} and its audit log with the key file {} (name the key \
             file with --audit-key-file or TALLY_AUDIT_KEY_FILE)",
            db.display(),
            audit_key.display()
        )
    })?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = listen.bind().await.with_context(|| format!("listening on {listen}"))?;
        let address = listener.local_addr().context("reading the bound address")?;
        // Before the address is printed: a SIGTERM from then on stops cleanly.
        let shutdown = tally_service::shutdown_signal();
        // Tests and scripts wait for this line: it is printed once the port accepts.
        println!("tally-api listening on http://{address} (database {})", db.display());
        tally_api::serve(listener, state, connections, shutdown, Duration::from_secs(10))
            .await
            .context("serving HTTP")?;
        drop(live_monitor);
        tracing::info!("stopped");
        Ok(())
    })
}

fn create_token(db: &Path, args: CreateToken) -> anyhow::Result<()> {
    let needs = |what: Option<String>, flag: &str| {
        what.with_context(|| format!("a {} token needs {flag}", args.role))
    };
    let refuse = |given: bool, flag: &str| {
        if given {
            bail!("a {} token does not take {flag}", args.role)
        }
        Ok(())
    };
    let grant = match args.role {
        Role::Administrator => {
            refuse(args.user.is_some(), "--user")?;
            refuse(args.team.is_some(), "--team")?;
            TokenGrant::Administrator {
                account: needs(args.account.clone(), "--account")?,
                server_management_read: args.server_management_read,
            }
        }
        Role::Member => {
            refuse(args.team.is_some(), "--team")?;
            refuse(args.server_management_read, "--server-management-read")?;
            TokenGrant::Member {
                account: needs(args.account.clone(), "--account")?,
                user: needs(args.user.clone(), "--user")?,
            }
        }
        Role::Staff | Role::StaffAdmin => {
            refuse(args.account.is_some(), "--account (staff see their team's accounts)")?;
            refuse(args.user.is_some(), "--user")?;
            refuse(args.server_management_read, "--server-management-read")?;
            TokenGrant::Staff {
                team: needs(args.team.clone(), "--team")?,
                admin: args.role == Role::StaffAdmin,
            }
        }
    };
    let expires_at = match (args.expires_at, args.expires_in_days) {
        (Some(at), _) => Some(at),
        (None, Some(days)) => Some(Utc::now() + chrono::Duration::days(days.into())),
        (None, None) => None,
    };
    let mut store = open_store(db)?;
    let (info, token) = store.create_token(&NewToken { grant, label: args.label, expires_at })?;
    eprintln!("created token {} ({}); it is shown only this once:", info.id, describe(&info));
    println!("{}", token.expose());
    Ok(())
}

fn list_tokens(db: &Path) -> anyhow::Result<()> {
    let tokens = open_store(db)?.tokens()?;
    if tokens.is_empty() {
        println!("no tokens; create one with `tally-api token create`");
    }
    for info in tokens {
        let state = match (info.revoked_at, info.expires_at) {
            (Some(at), _) => format!("revoked {}", at.to_rfc3339()),
            (None, Some(at)) if at <= Utc::now() => format!("expired {}", at.to_rfc3339()),
            (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
            (None, None) => "no expiry".to_owned(),
        };
        println!(
            "{}  {:<40}  created {}  {state}{}",
            info.id,
            describe(&info),
            info.created_at.to_rfc3339(),
            if info.label.is_empty() { String::new() } else { format!("  {:?}", info.label) }
        );
    }
    Ok(())
}

fn describe(info: &TokenInfo) -> String {
    match &info.grant {
        TokenGrant::Administrator { account, server_management_read } => format!(
            "administrator of {account}{}",
            if *server_management_read { " + server management read" } else { "" }
        ),
        TokenGrant::Member { account, user } => format!("member {user} of {account}"),
        TokenGrant::Staff { team, .. } => format!("{} of team {team}", info.role()),
    }
}
