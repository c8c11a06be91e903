//! `tally-ingest`: the ingest daemon, the import command, account set-up and the demo.

mod accounts;
mod cli;
mod console;
mod dashboard;
mod event_mappings;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tally_events::Limits;
use tally_ingest::ServeOptions;
use tally_ingest::audit::AuditLog;
use tally_ingest::demo::Demo;
use tally_ingest::import::import;
use tally_ingest::writer::Writer;
use tally_store::{Durability, Store, StoreOptions};

use crate::accounts::account;
use crate::cli::{
    AccountCommand, AuditCommand, Cli, Command, DurabilityArg, FixturesArgs, ScaleArg, ServeArgs,
};
use crate::console::{print_demo, print_summary, progress_bar};

/// mimalloc instead of the system allocator: checking a batch allocates many small
/// values on one thread and the writer frees them on another, which glibc's malloc
/// does slowly and with memory kept per thread (see docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tally_service::init_logging(cli.log.log_format, "info");
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tally-ingest: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let database = &cli.database;
    let audit_key = database.audit_key_file();
    // Only the commands that create may be given a path with no database.
    match cli.command {
        Command::Serve { create: true, serve: args } => serve(&database.db, &audit_key, &args),
        Command::Serve { create: false, serve: args } => {
            serve(database.existing_database()?, &audit_key, &args)
        }
        Command::Import { account, file } => {
            import_file(database.existing_database()?, &audit_key, &account, &file)
        }
        Command::Account(command @ AccountCommand::Create { .. }) => {
            account(&database.db, &audit_key, command)
        }
        Command::Account(command) => account(database.existing_database()?, &audit_key, command),
        Command::Audit(command) => audit(database.existing_database()?, &audit_key, command),
        Command::Fixtures(args) => fixtures(&args),
        Command::Demo { no_serve, serve: args, dashboard_listen, monitor } => {
            demo(&database.db, &audit_key, no_serve, &args, &dashboard_listen, &monitor)
        }
    }
}

fn open_audit_log(db: &Path, key_file: &Path) -> anyhow::Result<AuditLog> {
    AuditLog::open(db, key_file).with_context(|| {
        format!(
            "opening the audit log in {} with the key file {} (name the key file with \
             --audit-key-file or TALLY_AUDIT_KEY_FILE)",
            db.display(),
            key_file.display()
        )
    })
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
    serve_with_dashboard(db, audit_key, args, None)
}

/// The demo's dashboard: served beside the ingest daemon, with what to print.
type DemoDashboard<'a> =
    (dashboard::Dashboard, &'a tally_service::ListenAddress, dashboard::DemoTokens, &'a Demo);

fn serve_with_dashboard(
    db: &Path,
    audit_key: &Path,
    args: &ServeArgs,
    dashboard: Option<DemoDashboard<'_>>,
) -> anyhow::Result<ExitCode> {
    if args.body_budget_bytes < args.max_body_bytes {
        anyhow::bail!(
            "--body-budget-bytes {} is below --max-body-bytes {}: a body of the largest size could never be read",
            args.body_budget_bytes,
            args.max_body_bytes
        );
    }
    let audit = open_audit_log(db, audit_key)?;
    let write_store = open_store(db, args.durability)?;
    let key_store = open_store(db, args.durability)?;
    let upkeep = tally_ingest::upkeep::Upkeep::start(
        open_store(db, args.durability)?,
        open_audit_log(db, audit_key)?,
        std::time::Duration::from_secs(args.figures_every),
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener =
            args.listen.bind().await.with_context(|| format!("listening on {}", args.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        // Before the address is printed: a SIGTERM from then on stops cleanly.
        let shutdown = tally_service::shutdown_signal();
        // Tests and scripts wait for this line: it is printed once the port accepts.
        println!("tally-ingest listening on http://{address} (database {})", db.display());
        let ingest = async {
            tally_ingest::serve(
                listener,
                write_store,
                key_store,
                audit,
                ServeOptions {
                    limits: Limits::default(),
                    max_body_bytes: args.max_body_bytes,
                    body_budget_bytes: args.body_budget_bytes,
                    connections: args.connections.limits(),
                },
                shutdown,
            )
            .await
            .context("serving HTTP")
        };
        match dashboard {
            None => ingest.await?,
            Some((dashboard, listen, tokens, demo)) => {
                let connections = args.connections.limits();
                let shown = dashboard.serve(
                    listen,
                    connections,
                    &tokens,
                    demo,
                    tally_service::shutdown_signal(),
                );
                tokio::try_join!(ingest, shown)?;
            }
        }
        drop(upkeep);
        tracing::info!("stopped after committing every batch in flight");
        Ok(ExitCode::SUCCESS)
    })
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
    Ok(if summary.is_complete() {
        ExitCode::SUCCESS
    } else {
        // Completed, but some lines were not stored: scripts should notice.
        ExitCode::from(3)
    })
}

/// Fails naming `account` unless the store has it or the audit log holds a
/// chain for it, so that a mistyped slug is not reported as purged or set.
fn require_audit_account(db: &Path, log: &AuditLog, account: &str) -> anyhow::Result<()> {
    if !log.has_chain(account).context("reading the audit log's accounts")? {
        open_store(db, DurabilityArg::Process)?.account(account)?;
    }
    Ok(())
}

fn audit(db: &Path, audit_key: &Path, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let log = open_audit_log(db, audit_key)?;
    match command {
        AuditCommand::Purge { account, batch } => {
            if let Some(account) = &account {
                require_audit_account(db, &log, account)?;
            }
            let purged = log
                .purge_expired(account.as_deref(), chrono::Utc::now(), batch)
                .context("purging expired audit entries")?;
            println!("purged {purged} expired audit entries");
        }
        AuditCommand::SetRetention { account, audit_days, sign_in_days } => {
            require_audit_account(db, &log, &account)?;
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
    let accounts = tally_fixtures::generate(&fixture_config(args.seed, args.scale, args.end));
    for file in tally_fixtures::write_fixture_set(&accounts, &args.out)? {
        println!("wrote {} events to {}", file.events, file.path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn demo(
    db: &Path,
    audit_key: &Path,
    no_serve: bool,
    args: &ServeArgs,
    dashboard_listen: &tally_service::ListenAddress,
    monitor: &tally_api::live::MonitorArgs,
) -> anyhow::Result<ExitCode> {
    let end = chrono::Utc::now();
    let mut bar: Option<(String, indicatif::ProgressBar)> = None;
    let mut printed_intro = false;
    let demo = tally_ingest::demo::build_demo(db, audit_key, end, |slug, bytes, total| {
        // Once the accounts exist and their import starts.
        if !printed_intro {
            println!("importing the demo fixtures (seed 7, ending now) into {}", db.display());
            printed_intro = true;
        }
        if bar.as_ref().is_none_or(|(shown, _)| shown != slug) {
            if let Some((_, done)) = bar.take() {
                done.finish_and_clear();
            }
            bar = Some((slug.to_owned(), progress_bar(Some(total))));
        }
        if let Some((_, bar)) = &bar {
            bar.set_position(bytes);
        }
    })?;
    if let Some((_, done)) = bar.take() {
        done.finish_and_clear();
    }
    print_demo(db, &demo);
    if no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let first = &demo.accounts[0];
    println!(
        "\ntry: curl -s -H 'Authorization: Bearer {}' --data-binary '{{\"id\":\"demo-1\",\"kind\":\"login\",\"at\":\"{}\",\"user\":\"u-0001\"}}' http://{}/v1/batch   (account {})",
        first.write_key.expose(),
        end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        args.listen,
        first.account.slug
    );
    let tokens = dashboard::create_tokens(db, &demo)?;
    let shown = dashboard::Dashboard::open(db, audit_key, monitor)?;
    serve_with_dashboard(db, audit_key, args, Some((shown, dashboard_listen, tokens, &demo)))
}
