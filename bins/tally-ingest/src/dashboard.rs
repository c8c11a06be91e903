//! The demo's dashboard: `tally-api`'s pages and API served beside the ingest
//! daemon from the same process, so that one command shows the product (the
//! binary's own module).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use tally_access::StaffScope;
use tally_api::live::{LiveMonitor, MonitorArgs};
use tally_api::state::AppState;
use tally_ingest::demo::Demo;
use tally_service::{ConnectionLimits, ListenAddress};
use tally_store::{NewToken, StaffTeam, Store, StoreOptions, TokenGrant};

/// The staff team the demo's staff token belongs to: every account.
const DEMO_STAFF_TEAM: &str = "demo-staff";

/// Tokens to sign in to the demo's dashboard with.
pub struct DemoTokens {
    /// An administrator of the first account, who may also download its usage reports.
    pub administrator: String,
    /// The vendor's staff over every account, for the usage monitor.
    pub staff: String,
}

/// Creates the tokens the demo prints.
pub fn create_tokens(db: &Path, demo: &Demo) -> anyhow::Result<DemoTokens> {
    let mut store = Store::open(db, &StoreOptions::default())
        .with_context(|| format!("opening the database {}", db.display()))?;
    store.set_staff_team(&StaffTeam {
        team: DEMO_STAFF_TEAM.into(),
        scope: StaffScope::AllAccounts,
    })?;
    let mut token = |grant: TokenGrant, label: &str| -> anyhow::Result<String> {
        let (_, token) =
            store.create_token(&NewToken { grant, label: label.into(), expires_at: None })?;
        Ok(token.expose().to_owned())
    };
    Ok(DemoTokens {
        administrator: token(
            TokenGrant::Administrator {
                account: demo.accounts[0].account.slug.clone(),
                server_management_read: true,
            },
            "demo administrator",
        )?,
        staff: token(
            TokenGrant::Staff { team: DEMO_STAFF_TEAM.into(), admin: true },
            "demo staff",
        )?,
    })
}

/// The dashboard, ready to serve: the API's state and the live monitor that
/// keeps its figures (dropped when serving ends).
pub struct Dashboard {
    state: AppState,
    _monitor: LiveMonitor,
}

impl Dashboard {
    /// Opens the dashboard over `db`.
    pub fn open(db: &Path, audit_key: &Path, monitor: &MonitorArgs) -> anyhow::Result<Dashboard> {
        let (live_monitor, live_feed) = LiveMonitor::start(db, monitor.config())
            .with_context(|| format!("starting the usage monitor over {}", db.display()))?;
        let state = AppState::open(db.to_owned(), audit_key, live_feed)
            .with_context(|| format!("opening {} for the dashboard", db.display()))?;
        Ok(Dashboard { state, _monitor: live_monitor })
    }

    /// Serves the dashboard on `listen` until `shutdown`; prints its URL and
    /// the tokens to sign in with once it accepts connections.
    pub async fn serve(
        self,
        listen: &ListenAddress,
        connections: ConnectionLimits,
        tokens: &DemoTokens,
        demo: &Demo,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let listener = listen.bind().await.with_context(|| format!("listening on {listen}"))?;
        let address = listener.local_addr().context("reading the bound address")?;
        println!("\nthe dashboard: http://{address}/");
        println!(
            "  sign in as the administrator of {}: {}",
            demo.accounts[0].account.slug, tokens.administrator
        );
        println!("  or as the vendor's staff (the usage monitor): {}", tokens.staff);
        tally_api::serve(listener, self.state, connections, shutdown, Duration::from_secs(10))
            .await
            .context("serving the dashboard")
    }
}
