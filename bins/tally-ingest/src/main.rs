//! `tally-ingest`: the ingest daemon, the import command, account set-up and the demo.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tally_calendar::{AccountCalendar, SubscriptionTerm};
use tally_events::Limits;
use tally_ingest::audit::AuditLog;
use tally_ingest::import::{ImportSummary, import};
use tally_ingest::writer::Writer;
use tally_store::{Durability, NewAccount, Organization, Store, StoreOptions, Team};

/// mimalloc instead of the system allocator: checking a batch allocates many small
/// values on one thread and the writer frees them on another, which glibc's malloc
/// does slowly and with memory kept per thread (see docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tally-ingest",
    version,
    about = "Tally's ingest daemon, importer and account set-up"
)]
struct Cli {
    /// The SQLite file Tally keeps everything in (created when missing).
    #[arg(long, global = true, env = "TALLY_DB", default_value = "tally.sqlite")]
    db: PathBuf,
    /// The audit log's secret key (made when missing); by default the database's
    /// path with `.audit-key` added. Keep it away from the database's backups.
    #[arg(long, global = true, env = "TALLY_AUDIT_KEY_FILE")]
    audit_key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve `POST /v1/batch` until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Import a file of events (NDJSON or a JSON array) for one account; `-` reads stdin.
    Import {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The file to import, or `-` for standard input.
        file: PathBuf,
    },
    /// Create and configure accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The audit log's retention (docs/audit.md).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write the deterministic fixture set as NDJSON files, one per account.
    Fixtures(FixturesArgs),
    /// Build a demo database from the fixtures, then serve it.
    Demo {
        /// Only build the database; do not serve.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "TALLY_INGEST_LISTEN", default_value = "127.0.0.1:7411")]
    listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "TALLY_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    max_body_bytes: usize,
    /// What an acknowledged batch survives: a killed process, or also a power loss (slower).
    #[arg(long, env = "TALLY_DURABILITY", value_enum, default_value_t = DurabilityArg::Process)]
    durability: DurabilityArg,
    /// Seconds between updates of every account's seat figures and event counts.
    #[arg(long, alias = "seats-every", env = "TALLY_FIGURES_EVERY", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    figures_every: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Process,
    PowerLoss,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Remove the audit entries past their retention now, in small batches (the
    /// daemon also does it at every figures update).
    Purge {
        /// Only this account's entries; every account's by default.
        #[arg(long)]
        account: Option<String>,
        /// Entries removed per transaction.
        #[arg(long, default_value_t = std::num::NonZeroUsize::new(500).expect("500 is not zero"))]
        batch: std::num::NonZeroUsize,
    },
    /// Set how long an account's audit entries are kept.
    SetRetention {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Days audit entries are kept.
        #[arg(long, default_value_t = 90)]
        audit_days: u32,
        /// Days sign-in and account-access entries are kept.
        #[arg(long, default_value_t = 30)]
        sign_in_days: u32,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account and print its write key (shown only this once).
    Create {
        /// Short name for command lines and URLs: lower-case letters, digits, dashes.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// IANA time zone, such as Europe/Berlin.
        #[arg(long, default_value = "UTC", value_parser = tally_calendar::parse_time_zone)]
        time_zone: chrono_tz::Tz,
        /// First day of the account's week.
        #[arg(long, default_value = "monday", value_parser = tally_calendar::parse_weekday)]
        week_start: chrono::Weekday,
        /// Subscription term START..END (END exclusive); repeat for renewals.
        #[arg(long = "term")]
        terms: Vec<SubscriptionTerm>,
    },
    /// List accounts with their calendars and terms.
    List,
    /// Add a subscription term (a renewal).
    AddTerm {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The term, START..END.
        term: SubscriptionTerm,
    },
    /// Replace the write key; the old one stops working at once.
    RotateKey {
        /// The account's slug.
        #[arg(long)]
        account: String,
    },
    /// Name an organization of the account (events may use it before it is named).
    SetOrganization {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The id events use.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Name a team of the account.
    SetTeam {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The id events use.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The organization it belongs to.
        #[arg(long)]
        organization: Option<String>,
    },
    /// Set what makes a user an active seat of the account (see docs/seats.md).
    SetSeatRule {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Distinct calendar weeks needed.
        #[arg(long, default_value_t = 3)]
        weeks_needed: u32,
        /// Logins needed in all.
        #[arg(long, default_value_t = 3)]
        logins_needed: u32,
        /// Logins a week needs to count as one of the weeks.
        #[arg(long, default_value_t = 1)]
        logins_per_week: u32,
    },
}

#[derive(Args)]
struct FixturesArgs {
    /// Generator seed: the same seed and end give byte-identical files.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Size of the set.
    #[arg(long, value_enum, default_value_t = ScaleArg::Small)]
    scale: ScaleArg,
    /// The fixed clock: the last instant generated (RFC 3339).
    #[arg(long, default_value = "2026-11-23T00:00:00Z")]
    end: chrono::DateTime<chrono::Utc>,
    /// Directory to write `<account>.ndjson` and `accounts.json` into.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScaleArg {
    Small,
    Demo,
    Large,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tally-ingest: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let audit_key =
        cli.audit_key_file.clone().unwrap_or_else(|| tally_audit::key_file_for(&cli.db));
    match cli.command {
        Command::Serve(args) => serve(&cli.db, &audit_key, &args),
        Command::Import { account, file } => import_file(&cli.db, &audit_key, &account, &file),
        Command::Account(command) => account(&cli.db, command),
        Command::Audit(command) => audit(&cli.db, &audit_key, command),
        Command::Fixtures(args) => fixtures(&args),
        Command::Demo { no_serve, serve: args } => demo(&cli.db, &audit_key, no_serve, &args),
    }
}

fn open_audit_log(db: &Path, key_file: &Path) -> anyhow::Result<AuditLog> {
    AuditLog::open(db, key_file)
        .with_context(|| format!("opening the audit log in {}", db.display()))
}

fn open_store(db: &Path, durability: DurabilityArg) -> anyhow::Result<Store> {
    let durability = match durability {
        DurabilityArg::Process => Durability::Process,
        DurabilityArg::PowerLoss => Durability::PowerLoss,
    };
    Store::open(db, &StoreOptions { durability, ..StoreOptions::default() })
        .with_context(|| format!("opening the database {}", db.display()))
}

fn serve(db: &Path, audit_key: &Path, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let audit = open_audit_log(db, audit_key)?;
    let write_store = open_store(db, args.durability)?;
    let key_store = open_store(db, args.durability)?;
    let figures = tally_ingest::figures::FigureRefresher::start(
        open_store(db, args.durability)?,
        open_audit_log(db, audit_key)?,
        std::time::Duration::from_secs(args.figures_every),
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        // Tests and scripts wait for this line: it is printed once the port accepts.
        println!("tally-ingest listening on http://{address} (database {})", db.display());
        tally_ingest::serve(
            listener,
            write_store,
            key_store,
            audit,
            Limits::default(),
            args.max_body_bytes,
            shutdown_signal(),
        )
        .await
        .context("serving HTTP")?;
        drop(figures);
        tracing::info!("stopped after committing every batch in flight");
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the batches in flight");
}

fn import_file(db: &Path, audit_key: &Path, slug: &str, file: &Path) -> anyhow::Result<ExitCode> {
    let store = open_store(db, DurabilityArg::Process)?;
    let audit = open_audit_log(db, audit_key)?;
    let account = store.account(slug)?;
    let (input, total_bytes): (Box<dyn std::io::Read>, Option<u64>) = if file == Path::new("-") {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let opened =
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let length = opened.metadata().map(|metadata| metadata.len()).ok();
        (Box::new(opened), length)
    };
    let bar = progress_bar(total_bytes);
    let (writer, handle) = Writer::start(store, 2);
    let result = import(input, &account, &handle, &audit, &Limits::default(), |bytes| {
        bar.set_position(bytes)
    });
    drop(handle);
    writer.join();
    bar.finish_and_clear();
    let summary =
        result.with_context(|| format!("importing {} into account {slug}", file.display()))?;
    print_summary(&summary);
    Ok(if summary.rejections.is_empty() && summary.conflicts.is_empty() {
        ExitCode::SUCCESS
    } else {
        // Completed, but some lines were not stored: scripts should notice.
        ExitCode::from(3)
    })
}

fn progress_bar(total_bytes: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match total_bytes {
        Some(total) => indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} importing {bytes} ({bytes_per_sec})")
                .expect("a valid template"),
        ),
    }
}

/// Rejections printed in full; the rest are counted.
const REJECTIONS_SHOWN: usize = 20;

fn print_summary(summary: &ImportSummary) {
    println!(
        "accepted {}, duplicates {}, conflicting {}, rejected {}",
        summary.accepted,
        summary.duplicates,
        summary.conflicts.len(),
        summary.rejections.len()
    );
    for conflict in summary.conflicts.iter().take(REJECTIONS_SHOWN) {
        println!(
            "  line {}: id {:?} is stored with other contents; not imported",
            conflict.line, conflict.id
        );
    }
    for rejection in summary.rejections.iter().take(REJECTIONS_SHOWN) {
        println!("  {rejection}");
    }
    let hidden = summary.rejections.len().saturating_sub(REJECTIONS_SHOWN)
        + summary.conflicts.len().saturating_sub(REJECTIONS_SHOWN);
    if hidden > 0 {
        println!("  ... and {hidden} more");
    }
}

fn audit(db: &Path, audit_key: &Path, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let log = open_audit_log(db, audit_key)?;
    match command {
        AuditCommand::Purge { account, batch } => {
            let purged = log
                .purge_expired(account.as_deref(), chrono::Utc::now(), batch)
                .context("purging expired audit entries")?;
            println!("purged {purged} expired audit entries");
        }
        AuditCommand::SetRetention { account, audit_days, sign_in_days } => {
            log.set_retention(&account, tally_audit::RetentionPolicy { audit_days, sign_in_days })
                .with_context(|| format!("setting the audit retention of {account}"))?;
            println!(
                "{account}: audit entries kept {audit_days} days, sign-in and account-access \
                 entries {sign_in_days} days"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn account(db: &Path, command: AccountCommand) -> anyhow::Result<ExitCode> {
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
        AccountCommand::RotateKey { account } => {
            let key = store.rotate_write_key(&account)?;
            println!(
                "new write key for {account} (shown once; the old key no longer works): {}",
                key.expose()
            );
        }
        AccountCommand::SetOrganization { account, id, name } => {
            store.set_organization(&account, &Organization { organization: id, name })?;
        }
        AccountCommand::SetTeam { account, id, name, organization } => {
            store.set_team(&account, &Team { team: id, name, organization })?;
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

fn fixture_config(
    seed: u64,
    scale: ScaleArg,
    end: chrono::DateTime<chrono::Utc>,
) -> tally_fixtures::FixtureConfig {
    let scale = match scale {
        ScaleArg::Small => tally_fixtures::Scale::Small,
        ScaleArg::Demo => tally_fixtures::Scale::Demo,
        ScaleArg::Large => {
            tally_fixtures::Scale::Large { logins_per_user_per_week: 5, users_per_account: 2_000 }
        }
    };
    tally_fixtures::FixtureConfig { seed, scale, end }
}

fn fixtures(args: &FixturesArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let accounts = tally_fixtures::generate(&fixture_config(args.seed, args.scale, args.end));
    let mut index = Vec::new();
    for account in &accounts {
        let path = args.out.join(format!("{}.ndjson", account.slug));
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        tally_fixtures::write_ndjson(&account.events, &mut out)
            .and_then(|()| std::io::Write::flush(&mut out))
            .with_context(|| format!("writing {}", path.display()))?;
        index.push(serde_json::json!({
            "slug": account.slug,
            "name": account.name,
            "time_zone": account.calendar.time_zone.name(),
            "week_start": account.calendar.week_start.to_string(),
            "terms": account.terms.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "organizations": account.organizations,
            "teams": account.teams,
            "events": account.events.len(),
        }));
        println!("wrote {} events to {}", account.events.len(), path.display());
    }
    let index_path = args.out.join("accounts.json");
    std::fs::write(&index_path, serde_json::to_string_pretty(&index)? + "\n")
        .with_context(|| format!("writing {}", index_path.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn demo(db: &Path, audit_key: &Path, no_serve: bool, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    if db.exists() {
        if db.file_name().and_then(|name| name.to_str()) == Some("tally.sqlite") {
            bail!(
                "{} exists; the demo starts from an empty file, so point --db (or TALLY_DB) at a demo file such as tally-demo.sqlite",
                db.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing the old demo file {}", path.display()))?;
            }
        }
    }
    let end = chrono::Utc::now();
    let accounts = tally_fixtures::generate(&fixture_config(7, ScaleArg::Demo, end));
    let mut store = open_store(db, DurabilityArg::Process)?;
    let mut keys = Vec::new();
    for fixture in &accounts {
        let (account, key) = store.create_account(&NewAccount {
            slug: fixture.slug.clone(),
            name: fixture.name.clone(),
            calendar: fixture.calendar.clone(),
            terms: fixture.terms.clone(),
        })?;
        for organization in &fixture.organizations {
            store.set_organization(
                &account.slug,
                &Organization { organization: organization.clone(), name: organization.clone() },
            )?;
        }
        for team in &fixture.teams {
            store.set_team(
                &account.slug,
                &Team { team: team.clone(), name: team.clone(), organization: None },
            )?;
        }
        keys.push((account, key));
    }
    let audit = open_audit_log(db, audit_key)?;
    let (writer, handle) = Writer::start(store, 2);
    println!("importing the demo fixtures (seed 7, ending now) into {}", db.display());
    for ((account, _), fixture) in keys.iter().zip(&accounts) {
        let mut ndjson = Vec::new();
        tally_fixtures::write_ndjson(&fixture.events, &mut ndjson).context("rendering fixtures")?;
        let bar = progress_bar(Some(ndjson.len() as u64));
        let summary =
            import(ndjson.as_slice(), account, &handle, &audit, &Limits::default(), |bytes| {
                bar.set_position(bytes)
            })
            .with_context(|| format!("importing the fixtures of {}", account.slug))?;
        bar.finish_and_clear();
        println!(
            "  {:<10} {:<24} {:>8} events accepted ({} duplicates, {} rejected)",
            account.slug,
            account.calendar.time_zone.name(),
            summary.accepted,
            summary.duplicates,
            summary.rejections.len()
        );
    }
    drop(handle);
    writer.join();
    let store = open_store(db, DurabilityArg::Process)?;
    println!("\nstored events per kind:");
    for (account, _) in &keys {
        let counts = store.event_counts(account.id)?;
        let line: Vec<String> =
            counts.iter().map(|count| format!("{} {}", count.kind, count.events)).collect();
        println!("  {}: {}", account.slug, line.join(", "));
    }
    let mut store = store;
    println!("\nactive seats this month (3 logins in 3 calendar weeks of the term):");
    for (account, _) in &keys {
        store.update_seats(&account.slug)?;
        store.update_usage_months(&account.slug, tally_store::USAGE_EVENTS_PER_STEP)?;
        let this_month = tally_seats::Month::of(tally_seats::local_date(&account.calendar, end));
        let figures = store.monthly_seats(&administrator_of(&account.slug), None)?;
        match figures.iter().find(|figure| figure.month == this_month) {
            Some(figure) => println!(
                "  {:<13} {} seats in {} ({:+} from the month before)",
                account.slug, figure.seats, figure.month, figure.change
            ),
            None => println!("  {:<13} no term covers {this_month}", account.slug),
        }
    }
    println!("\nwrite keys (send batches with `Authorization: Bearer <key>`):");
    for (account, key) in &keys {
        println!("  {:<13} {}", account.slug, key.expose());
    }
    println!(
        "\nread the figures over HTTP: `tally-api --db {db} token create --role administrator --account {}`, \
         then `tally-api --db {db} serve` (docs/api.md)",
        keys[0].0.slug,
        db = db.display()
    );
    if no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let (first, key) = &keys[0];
    println!(
        "\ntry: curl -s -H 'Authorization: Bearer {}' --data-binary '{{\"id\":\"demo-1\",\"kind\":\"login\",\"at\":\"{}\",\"user\":\"u-0001\"}}' http://{}/v1/batch   (account {})",
        key.expose(),
        end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        args.listen,
        first.slug
    );
    drop(store);
    drop(audit);
    serve(db, audit_key, args)
}

/// The demo reads an account's figures as its administrator would.
fn administrator_of(slug: &str) -> tally_access::AccountUsage {
    tally_access::Principal::Administrator {
        account: slug.to_owned(),
        server_management_read: false,
    }
    .read_usage(slug)
    .expect("an administrator may read their own account's usage")
}
