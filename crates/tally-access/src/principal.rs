//! Principals and the capabilities they are granted.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The roles a token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// An account's administrator: everything of that account.
    Administrator,
    /// An account's member: their own action runs.
    Member,
    /// The vendor's staff: the usage monitor, for the accounts in their team's scope.
    Staff,
    /// Staff who also choose which modules and activities are tracked.
    StaffAdmin,
}

impl Role {
    /// Every role, in the order above.
    pub const ALL: [Role; 4] = [Role::Administrator, Role::Member, Role::Staff, Role::StaffAdmin];

    /// The role's name on command lines and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Member => "member",
            Role::Staff => "staff",
            Role::StaffAdmin => "staff-admin",
        }
    }

    /// Whether the role belongs to an account's people (as opposed to the vendor's staff).
    pub fn is_account_role(self) -> bool {
        matches!(self, Role::Administrator | Role::Member)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a role: use administrator, member, staff or staff-admin")]
pub struct RoleError {
    /// The name given.
    pub given: String,
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(text: &str) -> Result<Role, RoleError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| RoleError { given: text.to_owned() })
    }
}

/// The accounts a staff team may look at in the usage monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffScope {
    /// Every account, present and future.
    AllAccounts,
    /// These accounts, by slug.
    Accounts(BTreeSet<String>),
}

impl StaffScope {
    /// Whether the account with this slug is in scope.
    pub fn includes(&self, account: &str) -> bool {
        match self {
            StaffScope::AllAccounts => true,
            StaffScope::Accounts(accounts) => accounts.contains(account),
        }
    }
}

/// Whoever a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An account's administrator.
    Administrator {
        /// The account's slug.
        account: String,
        /// Read permission on server management, which the usage-reports
        /// download needs besides the Administrator role.
        server_management_read: bool,
    },
    /// An account's member, who is `user` in the account's events.
    Member {
        /// The account's slug.
        account: String,
        /// The member's user id, as the account's events name them.
        user: String,
    },
    /// One of the vendor's staff.
    Staff {
        /// The staff team whose scope applies.
        team: String,
        /// The accounts the team may look at.
        scope: StaffScope,
        /// Whether they are a staff admin, who also chooses what is tracked.
        admin: bool,
    },
}

/// Why a principal may not read something.
///
/// The two cases answer differently on purpose: a principal learns nothing about
/// accounts outside its reach, not even whether they exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The account is outside the principal's reach, or does not exist: the same
    /// answer either way.
    #[error("no account {account:?} is visible to this token")]
    NotFound {
        /// The account asked for.
        account: String,
    },
    /// The principal may see that the thing exists but not read it.
    #[error("this needs {needs}")]
    Forbidden {
        /// What would be needed, such as "the account's administrator role".
        needs: &'static str,
    },
}

/// Leave to read an account's usage: the dashboard, event counts and seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUsage {
    account: String,
}

impl AccountUsage {
    /// The account's slug.
    pub fn account(&self) -> &str {
        &self.account
    }
}

/// Leave to read an account's action runs: all of them, or one user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsView {
    account: String,
    only_user: Option<String>,
}

impl RunsView {
    /// The account's slug.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The only user whose runs may be read, or `None` for every run.
    pub fn only_user(&self) -> Option<&str> {
        self.only_user.as_deref()
    }
}

/// Leave to read an account's audit log: all of it, or only the audit details of
/// one member's own action runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    account: String,
    member_runs: Option<RunsView>,
}

impl AuditView {
    /// The account's slug.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// For a member, their runs: only entries of these may be read. `None` for
    /// the whole log.
    pub fn member_runs(&self) -> Option<&RunsView> {
        self.member_runs.as_ref()
    }
}

/// Leave to read the cross-account usage monitor, for the accounts in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorView {
    scope: StaffScope,
}

impl MonitorView {
    /// The accounts that may be shown.
    pub fn scope(&self) -> &StaffScope {
        &self.scope
    }
}

/// Leave to change which modules and activities the usage monitor tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingChange {
    team: String,
}

impl TrackingChange {
    /// The staff team making the change, for the record.
    pub fn team(&self) -> &str {
        &self.team
    }
}

/// Leave to download an account's usage reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReports {
    account: String,
}

impl UsageReports {
    /// The account's slug.
    pub fn account(&self) -> &str {
        &self.account
    }
}

const ADMINISTRATOR: &str = "the account's administrator role";
const STAFF: &str = "the staff or staff-admin role";
const STAFF_ADMIN: &str = "the staff-admin role";
const SERVER_MANAGEMENT: &str =
    "the account's administrator role with read permission on server management";

impl Principal {
    /// Whoever holds the database file, as the command-line tools that open it
    /// directly read it: the administrator of `account`, with read permission
    /// on server management (`server_management_read: true`).
    ///
    /// Holding the file is holding every account's data already, so no token
    /// stands between the holder and it; the exporter's usage-reports download
    /// is the one read that needs server management, and the demo's seat line
    /// reads only usage. The role is still named, so that the store's reads
    /// demand a capability on this path as they do behind the API.
    pub fn database_holder(account: &str) -> Principal {
        Principal::Administrator { account: account.to_owned(), server_management_read: true }
    }

    /// The principal's role.
    pub fn role(&self) -> Role {
        match self {
            Principal::Administrator { .. } => Role::Administrator,
            Principal::Member { .. } => Role::Member,
            Principal::Staff { admin: false, .. } => Role::Staff,
            Principal::Staff { admin: true, .. } => Role::StaffAdmin,
        }
    }

    /// The account the principal belongs to, for account roles.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Administrator { account, .. } | Principal::Member { account, .. } => {
                Some(account)
            }
            Principal::Staff { .. } => None,
        }
    }

    /// The usage dashboard, event counts and seats of `account`: its administrators only.
    pub fn read_usage(&self, account: &str) -> Result<AccountUsage, Denied> {
        match self.within(account)? {
            Role::Administrator => Ok(AccountUsage { account: account.to_owned() }),
            _ => Err(Denied::Forbidden { needs: ADMINISTRATOR }),
        }
    }

    /// The usage and settings of the principal's own account, for endpoints
    /// that name no account (such as its event mapping rules): its
    /// administrators only; staff have no account of their own.
    pub fn read_own_usage(&self) -> Result<AccountUsage, Denied> {
        match self.account() {
            Some(account) => self.read_usage(account),
            None => Err(Denied::Forbidden { needs: ADMINISTRATOR }),
        }
    }

    /// The action runs of `account`: all of them for its administrators, their own
    /// for a member (the seed's "My inbox > Runs").
    pub fn read_runs(&self, account: &str) -> Result<RunsView, Denied> {
        match self {
            Principal::Administrator { account: own, .. } if own == account => {
                Ok(RunsView { account: account.to_owned(), only_user: None })
            }
            Principal::Member { account: own, user } if own == account => {
                Ok(RunsView { account: account.to_owned(), only_user: Some(user.clone()) })
            }
            _ => Err(self.outside(account)),
        }
    }

    /// The audit log of `account`: all of it for its administrators; for a member,
    /// the audit details of their own action runs (the seed's "My inbox > Runs").
    pub fn read_audit(&self, account: &str) -> Result<AuditView, Denied> {
        let runs = self.read_runs(account)?;
        let member_runs = runs.only_user().is_some().then_some(runs);
        Ok(AuditView { account: account.to_owned(), member_runs })
    }

    /// The usage monitor across accounts: the vendor's staff, limited to their scope.
    pub fn read_monitor(&self) -> Result<MonitorView, Denied> {
        match self {
            Principal::Staff { scope, .. } => Ok(MonitorView { scope: scope.clone() }),
            _ => Err(Denied::Forbidden { needs: STAFF }),
        }
    }

    /// Choosing which modules and activities are tracked: staff admins only.
    pub fn change_tracking(&self) -> Result<TrackingChange, Denied> {
        match self {
            Principal::Staff { team, admin: true, .. } => Ok(TrackingChange { team: team.clone() }),
            _ => Err(Denied::Forbidden { needs: STAFF_ADMIN }),
        }
    }

    /// The usage-reports download of `account`: the Administrator role plus read
    /// permission on server management, as the seed says.
    pub fn download_usage_reports(&self, account: &str) -> Result<UsageReports, Denied> {
        match self {
            Principal::Administrator { account: own, server_management_read: true }
                if own == account =>
            {
                Ok(UsageReports { account: account.to_owned() })
            }
            _ => match self.within(account) {
                Ok(_) => Err(Denied::Forbidden { needs: SERVER_MANAGEMENT }),
                Err(denied) => Err(denied),
            },
        }
    }

    /// The usage-reports download of the principal's own account (the seed's
    /// `GET /export/usage-reports`, which names no account): staff have none.
    pub fn download_own_usage_reports(&self) -> Result<UsageReports, Denied> {
        match self.account() {
            Some(account) => self.download_usage_reports(account),
            None => Err(Denied::Forbidden { needs: SERVER_MANAGEMENT }),
        }
    }

    /// The principal's role, if `account` is within its reach at all.
    fn within(&self, account: &str) -> Result<Role, Denied> {
        match self {
            Principal::Administrator { account: own, .. }
            | Principal::Member { account: own, .. }
                if own == account =>
            {
                Ok(self.role())
            }
            Principal::Staff { scope, .. } if scope.includes(account) => Ok(self.role()),
            _ => Err(self.outside(account)),
        }
    }

    /// Why `account` is refused when it is not the principal's own.
    ///
    /// Staff may know that an account in their scope exists (the monitor lists
    /// it), so they are told it is forbidden; everyone else is told it is not found.
    fn outside(&self, account: &str) -> Denied {
        match self {
            Principal::Staff { scope, .. } if scope.includes(account) => {
                Denied::Forbidden { needs: ADMINISTRATOR }
            }
            _ => Denied::NotFound { account: account.to_owned() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn administrator(server_management_read: bool) -> Principal {
        Principal::Administrator { account: "acme".into(), server_management_read }
    }

    fn member() -> Principal {
        Principal::Member { account: "acme".into(), user: "u-1".into() }
    }

    fn staff(admin: bool, accounts: &[&str]) -> Principal {
        Principal::Staff {
            team: "support".into(),
            scope: StaffScope::Accounts(accounts.iter().map(|slug| slug.to_string()).collect()),
            admin,
        }
    }

    /// What each principal gets for each capability on account `acme`, written
    /// out by hand: `Ok`, `403` or `404`.
    #[test]
    fn the_access_matrix() {
        fn outcome<T>(result: Result<T, Denied>) -> &'static str {
            match result {
                Ok(_) => "ok",
                Err(Denied::Forbidden { .. }) => "403",
                Err(Denied::NotFound { .. }) => "404",
            }
        }
        let cases = [
            // principal, usage, runs, monitor, tracking, usage reports, audit
            (administrator(true), ["ok", "ok", "403", "403", "ok", "ok"]),
            // The database's holder reads acme as its administrator with
            // server-management read: the same row as the one above.
            (Principal::database_holder("acme"), ["ok", "ok", "403", "403", "ok", "ok"]),
            (administrator(false), ["ok", "ok", "403", "403", "403", "ok"]),
            (member(), ["403", "ok", "403", "403", "403", "ok"]),
            (staff(false, &["acme"]), ["403", "403", "ok", "403", "403", "403"]),
            (staff(true, &["acme"]), ["403", "403", "ok", "ok", "403", "403"]),
            (staff(false, &["globex"]), ["404", "404", "ok", "403", "404", "404"]),
            (
                Principal::Administrator { account: "globex".into(), server_management_read: true },
                ["404", "404", "403", "403", "404", "404"],
            ),
            (
                Principal::Member { account: "globex".into(), user: "u-1".into() },
                ["404", "404", "403", "403", "404", "404"],
            ),
        ];
        for (principal, expected) in cases {
            let found = [
                outcome(principal.read_usage("acme")),
                outcome(principal.read_runs("acme")),
                outcome(principal.read_monitor()),
                outcome(principal.change_tracking()),
                outcome(principal.download_usage_reports("acme")),
                outcome(principal.read_audit("acme")),
            ];
            assert_eq!(found, expected, "{principal:?}");
        }
    }

    #[test]
    fn only_an_administrator_with_server_management_downloads_their_own_reports() {
        assert_eq!(administrator(true).download_own_usage_reports().unwrap().account(), "acme");
        for principal in [administrator(false), member(), staff(true, &["acme"])] {
            assert!(
                matches!(principal.download_own_usage_reports(), Err(Denied::Forbidden { .. })),
                "{principal:?}"
            );
        }
    }

    #[test]
    fn only_an_administrator_reads_their_own_accounts_usage() {
        assert_eq!(administrator(false).read_own_usage().unwrap().account(), "acme");
        let globex =
            Principal::Administrator { account: "globex".into(), server_management_read: false };
        assert_eq!(globex.read_own_usage().unwrap().account(), "globex");
        for principal in [member(), staff(false, &["acme"]), staff(true, &["acme"])] {
            assert!(
                matches!(principal.read_own_usage(), Err(Denied::Forbidden { .. })),
                "{principal:?}"
            );
        }
    }

    #[test]
    fn a_member_sees_only_their_own_runs_and_an_administrator_all() {
        assert_eq!(member().read_runs("acme").unwrap().only_user(), Some("u-1"));
        assert_eq!(administrator(false).read_runs("acme").unwrap().only_user(), None);
        let audit = member().read_audit("acme").unwrap();
        assert_eq!(audit.member_runs().and_then(RunsView::only_user), Some("u-1"));
        assert_eq!(administrator(false).read_audit("acme").unwrap().member_runs(), None);
    }

    #[test]
    fn a_staff_scope_names_its_accounts() {
        let view = staff(false, &["acme", "initech"]).read_monitor().unwrap();
        assert!(view.scope().includes("acme"));
        assert!(view.scope().includes("initech"));
        assert!(!view.scope().includes("globex"));
        assert!(StaffScope::AllAccounts.includes("globex"));
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!("admin".parse::<Role>().unwrap_err().given, "admin");
        assert_eq!(staff(true, &[]).role(), Role::StaffAdmin);
    }
}
