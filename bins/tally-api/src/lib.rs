//! Tally's HTTP API: versioned JSON under `/v1` over the store the ingest daemon
//! writes, behind bearer tokens, with an OpenAPI document generated from the
//! handlers themselves (`/v1/openapi.json`).
//!
//! Who may read what is decided by `tally-access` and enforced by the store's
//! reading functions; this crate turns requests into those calls and answers
//! into JSON, CSV or XLSX (through `tally-report`), and every error into an
//! RFC 9457 problem document.

pub mod cache;
pub mod error;
pub mod list;
pub mod live;
pub mod query;
pub mod routes;
pub mod state;
pub mod streams;
pub mod web;
pub mod whole;

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tally API",
        description = "Usage, seats and runs of an account, and the usage monitor across accounts. \
                       Authenticate with `Authorization: Bearer <token>` (see `tally-api token create`). \
                       Errors are RFC 9457 problem documents; list conventions are in docs/api.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    // The listings' rows, which each listing's `ListingPage` refers to.
    components(schemas(
        error::Problem,
        tally_figures::usage::EventCount,
        tally_figures::usage::AccountEventCount,
        tally_figures::seats::MonthlySeatsRow,
        tally_figures::seats::ActivatedSeatRow,
        tally_figures::runs::RunRow,
        tally_figures::audit::AuditRow,
        tally_figures::dashboard::ActivityRow,
        tally_figures::monitor::ActivityItem,
    )),
    tags(
        (name = "usage", description = "An account's usage, from its events."),
        (name = "dashboard", description = "The usage dashboard's tabs and widgets, and the activity behind them."),
        (name = "seats", description = "Active seats (D1-D3)."),
        (name = "runs", description = "Action runs."),
        (name = "audit", description = "The audit log (A1-A6)."),
        (name = "monitor", description = "The vendor's usage monitor across accounts."),
        (name = "reports", description = "Usage report downloads (R1-R5)."),
        (name = "ingest", description = "How the ingest daemon reads an account's messages: its event mapping rules."),
        (name = "service", description = "Health and identity."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tally_at_<12 hex>_<48 hex>")
                    .build(),
            ),
        );
    }
}

/// Every route with its documentation.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(routes::meta::healthz))
        .routes(routes!(routes::meta::me))
        .routes(routes!(routes::usage::event_counts))
        .routes(routes!(routes::seats::monthly_seats))
        .routes(routes!(routes::seats::activated_seats))
        .routes(routes!(routes::seats::seat_explanation))
        .routes(routes!(routes::runs::runs))
        .routes(routes!(routes::audit::audit_entries))
        .routes(routes!(routes::audit::audit_entry))
        .routes(routes!(routes::monitor::monitor_event_counts))
        .routes(routes!(routes::monitor::tracking, routes::monitor::set_tracking))
        .routes(routes!(routes::monitor::tracking_changes))
        .routes(routes!(routes::activities::activities))
        .routes(routes!(routes::activities::activity_list))
        .routes(routes!(routes::reports::usage_reports))
        .routes(routes!(routes::ingest::event_mappings))
        .routes(routes!(routes::dashboard::dashboard_tab))
        .routes(routes!(routes::dashboard::dashboard_widget))
        .routes(routes!(routes::dashboard::activity))
        .routes(routes!(routes::live::today))
        .routes(routes!(routes::live::today_events))
        .routes(routes!(routes::live::stream))
        .routes(routes!(routes::live::stream_events))
        .routes(routes!(routes::live::item_events))
        .routes(routes!(routes::live::top))
}

/// The OpenAPI document of every route.
pub fn openapi() -> OpenApiDocument {
    let (_, mut document) = documented_routes().split_for_parts();
    narrow_query_parameters(&mut document);
    document
}

/// Narrows the documented query parameters to exactly what is accepted: no
/// empty text (an empty filter is refused), and the values of `kind`. A generic
/// tester then finds that a request the document allows is answered. The other
/// choices (`sort`, `format`, closed-set filters) are documented by the
/// parameters' own structs from the same lists the handlers read, and kept here.
fn narrow_query_parameters(document: &mut OpenApiDocument) {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::{RefOr, path::ParameterIn};
    for item in document.paths.paths.values_mut() {
        for operation in [item.get.as_mut(), item.put.as_mut()].into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else { continue };
                if parameter.parameter_in != ParameterIn::Query
                    || matches!(parameter.name.as_str(), "limit" | "every")
                {
                    // The list convention's choices come from the listing's own
                    // parameters (`ListParameters`); `limit` and a stream's
                    // `every` are numbers.
                    continue;
                }
                let choices: Option<Vec<String>> = match parameter.name.as_str() {
                    "kind" => Some(
                        tally_events::EventKind::WIRE_NAMES
                            .iter()
                            .map(|kind| kind.to_string())
                            .collect(),
                    ),
                    _ => None,
                };
                let (pattern, format, documented_choices) = match &parameter.schema {
                    Some(RefOr::T(Schema::Object(object))) => {
                        (object.pattern.clone(), object.format.clone(), object.enum_values.clone())
                    }
                    _ => (None, None, None),
                };
                let mut schema = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .pattern(pattern)
                    .format(format);
                if let Some(choices) = choices {
                    schema = schema.enum_values(Some(choices));
                } else if let Some(choices) = documented_choices {
                    schema = schema.enum_values(Some(choices));
                }
                parameter.schema = Some(RefOr::T(Schema::Object(schema.build())));
            }
        }
    }
}

/// The service's routes over `state`.
pub fn app(state: AppState) -> Router {
    let (router, mut document) = documented_routes().split_for_parts();
    narrow_query_parameters(&mut document);
    let document_json =
        serde_json::to_vec_pretty(&document).expect("the OpenAPI document serialises");
    router
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || async move {
                ([(header::CONTENT_TYPE, "application/json")], document_json.clone())
            }),
        )
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found(request: Request) -> Response {
    ApiError::NotFound(format!("no endpoint at {}", request.uri().path())).into_response()
}

async fn method_not_allowed(request: Request) -> Response {
    ApiError::MethodNotAllowed(request.method().to_string()).into_response()
}

/// Serves `app` on `listener` within `connections` until `shutdown` completes,
/// then lets requests in flight finish (for at most `grace`). The usage
/// monitor's event streams never finish by themselves: they end as soon as
/// `shutdown` completes, so that stopping waits for them no longer than for
/// any other request.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    connections: tally_service::ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let stopping = state.live().stopping().clone();
    let shutdown = async move {
        shutdown.await;
        stopping.cancel();
    };
    tally_service::serve(listener, app(state), connections, shutdown, grace).await
}
