//! What every handler shares: store connections, and who the request acts for.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::Utc;
use tally_access::{ApiToken, Principal};
use tally_audit::{AuditError, AuditOptions, AuditStore};
use tally_store::{Store, StoreError, StoreOptions};

use crate::cache::ActivatedLogs;
use crate::error::ApiError;
use crate::list::CursorKey;
use crate::live::LiveFeed;

/// The service's shared state.
#[derive(Clone)]
pub struct AppState {
    stores: Arc<Pool<Store>>,
    audit_logs: Arc<Pool<AuditStore>>,
    activated_logs: Arc<ActivatedLogs>,
    cursor_key: CursorKey,
    live: LiveFeed,
    tracking_changes: Arc<Mutex<()>>,
    chain_checks: crate::web::chain::SharedChainChecks,
}

/// Open connections of one kind, reused across requests: opening one reads
/// the schema and sets up the connection, which is more than most reads cost.
/// A request takes one (opening another when none is idle) and gives it back,
/// so requests on blocking threads read side by side.
struct Pool<T> {
    idle: Mutex<Vec<T>>,
    open: Box<dyn Fn() -> Result<T, ApiError> + Send + Sync>,
}

impl<T> Pool<T> {
    fn new(first: T, open: impl Fn() -> Result<T, ApiError> + Send + Sync + 'static) -> Pool<T> {
        Pool { idle: Mutex::new(vec![first]), open: Box::new(open) }
    }

    fn take(&self) -> Result<T, ApiError> {
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        idle.map_or_else(|| (self.open)(), Ok)
    }

    fn give_back(&self, connection: T) {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(connection);
    }
}

impl AppState {
    /// State over the store at `path` and its audit log, sealed with the key in
    /// `audit_key` (made when missing while the log holds nothing, as the ingest
    /// daemon does; a missing or wrong key for a log with entries is refused).
    /// Both are opened (and upgraded) here so that a bad file is reported at
    /// start-up rather than on the first request. The usage monitor's Today
    /// is read from `live`.
    pub fn open(path: PathBuf, audit_key: &Path, live: LiveFeed) -> Result<AppState, OpenError> {
        let options = StoreOptions { cache_kib: 4 * 1024, ..StoreOptions::default() };
        let store = Store::open(&path, &options)?;
        let secret_key = tally_audit::load_or_create_key_for(&path, audit_key)?;
        let cursor_key = CursorKey::from_audit_key(&secret_key);
        let audit_options = AuditOptions::new(secret_key);
        let audit = AuditStore::open(&path, &audit_options)?;
        let stores = {
            let path = path.clone();
            Pool::new(store, move || Ok(Store::open(&path, &options)?))
        };
        let audit_logs = Pool::new(audit, move || {
            AuditStore::open(&path, &audit_options).map_err(|error| {
                tracing::error!(error = %crate::error::error_chain(&error), "opening the audit log");
                ApiError::Internal
            })
        });
        Ok(AppState {
            stores: Arc::new(stores),
            audit_logs: Arc::new(audit_logs),
            activated_logs: Arc::default(),
            cursor_key,
            live,
            tracking_changes: Arc::default(),
            chain_checks: Arc::default(),
        })
    }

    /// Each account's last verification of its audit chain, for the web pages.
    pub fn chain_checks(&self) -> crate::web::chain::SharedChainChecks {
        self.chain_checks.clone()
    }

    /// The key the listings' cursors are sealed with.
    pub fn cursor_key(&self) -> &CursorKey {
        &self.cursor_key
    }

    /// Held while the usage monitor's tracking list is changed and the change
    /// recorded, so that two changes are recorded in the order they were made
    /// and putting one back never undoes another.
    pub fn tracking_changes(&self) -> Arc<Mutex<()>> {
        Arc::clone(&self.tracking_changes)
    }

    /// The usage monitor's live snapshots.
    pub fn live(&self) -> &LiveFeed {
        &self.live
    }

    /// The activated seats logs computed lately.
    pub fn activated_logs(&self) -> Arc<ActivatedLogs> {
        Arc::clone(&self.activated_logs)
    }

    /// Runs `work` with a store connection and an audit log connection on a
    /// blocking thread.
    pub async fn with_audit<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &mut AuditStore) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        self.with_store(move |store| state.audit_log_beside(store, work)).await
    }

    /// Runs `work` with a store connection on a blocking thread.
    pub async fn with_store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.in_store(work)).await.map_err(|error| {
            tracing::error!(%error, "a store task failed");
            ApiError::Internal
        })?
    }

    /// Runs `work` with a store connection, on the calling thread, which must
    /// be one that may block: a whole table reads its pages so, one
    /// connection taken and given back per page.
    pub fn in_store<T>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut store = self.stores.take()?;
        let result = work(&mut store);
        self.stores.give_back(store);
        result
    }

    /// Runs `work` with a store connection and an audit log connection, on
    /// the calling thread, which must be one that may block.
    pub fn in_audit<T>(
        &self,
        work: impl FnOnce(&mut Store, &mut AuditStore) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.in_store(|store| self.audit_log_beside(store, work))
    }

    fn audit_log_beside<T>(
        &self,
        store: &mut Store,
        work: impl FnOnce(&mut Store, &mut AuditStore) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut log = self.audit_logs.take()?;
        let result = work(store, &mut log);
        self.audit_logs.give_back(log);
        result
    }
}

/// Why the service's state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit log or its key.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// Who the request acts for, from its `Authorization: Bearer` token.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A page's downloads and live streams send the session cookie instead.
        let token = match crate::web::session::cookie_token(&parts.method, &parts.headers) {
            Some(token) if !parts.headers.contains_key(header::AUTHORIZATION) => token,
            _ => bearer_token(&parts.headers)?,
        };
        let principal =
            state.with_store(move |store| Ok(store.authenticate(&token, Utc::now())?)).await?;
        let principal = principal
            .ok_or(ApiError::Unauthenticated("the token is unknown, expired or revoked"))?;
        Ok(Authenticated(principal))
    }
}

/// The token in the `Authorization: Bearer` header, read but not checked
/// against the store ([`Authenticated`] does that).
pub fn bearer_token(headers: &HeaderMap) -> Result<ApiToken, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("send an API token as Authorization: Bearer <token>"))?;
    let text = header.to_str().ok().and_then(|text| {
        let (scheme, token) = text.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    text.and_then(|text| ApiToken::parse(&text).ok()).ok_or(ApiError::Unauthenticated(
        "the Authorization header does not hold a Tally API token",
    ))
}

/// The path's parameters, like axum's `Path`, refused as a problem document.
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(ApiError::BadPath(rejection.body_text())),
        }
    }
}
