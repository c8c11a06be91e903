//! The daemon's OpenAPI document, served at `GET /v1/openapi.json`: Tally's
//! own `POST /v1/batch` and every endpoint of the analytics SDKs' formats
//! ([`crate::compat`]), with what each takes and answers.
//!
//! The compatible paths are built from the tables the router is built from
//! (`SegmentCall::ALL`, `POSTHOG_PATHS`), so that a route cannot be served
//! undocumented. The answers' schemas are derived from the answer types; the
//! request bodies are written here, as loose as the readers are: a message the
//! mapping cannot read is rejected on its own in a 200 answer, not refused.

use utoipa::ToSchema;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
    PathItemBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, ComponentsBuilder, KnownFormat,
    ObjectBuilder, Ref, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Required,
};

use tally_compat::segment::SegmentCall;
use tally_events::EventKind;
use tally_service::Problem;

use crate::compat::{CompatAnswer, POSTHOG_PATHS};
use crate::server::BatchAnswer;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/v1/openapi.json";

/// The daemon's OpenAPI document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new()
        .path("/v1/batch", PathItem::new(HttpMethod::Post, batch_operation()))
        .path("/api/v1/events", PathItem::new(HttpMethod::Post, cloudevents_operation()))
        .path("/healthz", PathItem::new(HttpMethod::Get, healthz_operation()))
        .path(DOCUMENT_PATH, PathItem::new(HttpMethod::Get, document_operation()));
    for call in SegmentCall::ALL {
        paths = paths.path(
            format!("/v1/{}", call.name()),
            PathItem::new(HttpMethod::Post, segment_call_operation(call)),
        );
    }
    // Each path as the router serves it: also with a trailing slash.
    for path in POSTHOG_PATHS {
        for path in [path.to_string(), format!("{path}/")] {
            paths = paths.path(
                path,
                PathItemBuilder::new()
                    .operation(HttpMethod::Get, posthog_get_operation())
                    .operation(HttpMethod::Post, posthog_post_operation())
                    .build(),
            );
        }
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tally ingest daemon")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Events into Tally: its own batches (docs/events.md) and the bodies of \
                     Segment's, PostHog's and CloudEvents SDKs (docs/ingest-compat.md). Every \
                     refusal is an RFC 9457 problem document (`application/problem+json`), as \
                     are an unknown path (404) and a method a path does not answer (405). A \
                     body may be sent plain or `Content-Encoding: gzip`.",
                ))
                .license(Some(
                    LicenseBuilder::new().name("Apache-2.0").identifier(Some("Apache-2.0")).build(),
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components()))
        .tags(Some([
            tag("native", "Tally's own batches of events."),
            tag("segment", "Segment's HTTP tracking API."),
            tag("posthog", "PostHog's capture API."),
            tag("cloudevents", "CloudEvents 1.0 over HTTP, where OpenMeter's SDKs send."),
            tag("service", "Health and this document."),
        ]))
        .build()
}

fn components() -> utoipa::openapi::Components {
    let mut schemas = Vec::new();
    BatchAnswer::schemas(&mut schemas);
    CompatAnswer::schemas(&mut schemas);
    ComponentsBuilder::new()
        .schema_from::<Problem>()
        .schema_from::<BatchAnswer>()
        .schema_from::<CompatAnswer>()
        .schemas_from_iter(schemas)
        .schema("Event", event_schema())
        .schema("SegmentMessage", segment_message_schema())
        .schema("SegmentBatch", segment_batch_schema())
        .schema("PostHogEvent", posthog_event_schema())
        .schema("PostHogBatch", posthog_batch_schema())
        .schema("CloudEvent", cloudevent_schema())
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("an account's write key")
                    .description(Some(
                        "`Authorization: Bearer <write key>`, the key `tally-ingest account \
                         create` prints.",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            SEGMENT_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "HTTP Basic with the write key as user name and an empty password, as \
                         every Segment SDK sends it.",
                    ))
                    .build(),
            ),
        )
        .build()
}

const BEARER: &str = "bearer";
const SEGMENT_BASIC: &str = "segment_basic";

fn tag(name: &str, description: &str) -> utoipa::openapi::tag::Tag {
    TagBuilder::new().name(name).description(Some(description)).build()
}

fn batch_operation() -> Operation {
    let native_json = batch_of("Event");
    refused(OperationBuilder::new())
        .tag("native")
        .tag("segment")
        .summary(Some("Store a batch of events: Tally's own, or a Segment batch"))
        .description(Some(
            "One path, two formats, told apart by the `Authorization` scheme: HTTP Basic is a \
             Segment batch (`{\"batch\": [...]}`, at most 500 KB), answered as a `CompatAnswer`; \
             Bearer (or no header) is Tally's own batch, NDJSON or a JSON array of events \
             (docs/events.md), answered as a `BatchAnswer`. Tally's own is refused before its \
             body is read when it has no key. Each event is checked on its own: a bad one is \
             rejected in the 200 answer, the others stored. Sent again, an event is a duplicate.",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/x-ndjson",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String).description(
                            Some("Tally's own: one event (an `Event` object) a line."),
                        )))
                        .build(),
                )
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(
                            AnyOfBuilder::new()
                                .item(native_json)
                                .item(Ref::from_schema_name("SegmentBatch"))
                                .description(Some(
                                    "Tally's own as an array of events (Bearer), or a Segment \
                                     batch (HTTP Basic).",
                                )),
                        ))
                        .build(),
                )
                .build(),
        ))
        .securities(Some([
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
            SecurityRequirement::new(SEGMENT_BASIC, Vec::<String>::new()),
        ]))
        .response(
            "200",
            ResponseBuilder::new()
                .description(
                    "The batch was read: what was stored, and each event not stored and why.",
                )
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(
                            AnyOfBuilder::new()
                                .item(Ref::from_schema_name(BatchAnswer::name()))
                                .item(Ref::from_schema_name(CompatAnswer::name())),
                        ))
                        .build(),
                )
                .build(),
        )
        .build()
}

fn segment_call_operation(call: SegmentCall) -> Operation {
    let summary = match call {
        SegmentCall::Track => "Segment `track`: an event by name",
        SegmentCall::Identify => "Segment `identify`: the user's traits",
        SegmentCall::Page => "Segment `page`: a web page viewed",
        SegmentCall::Screen => "Segment `screen`: an app screen viewed",
        SegmentCall::Group => "Segment `group`: the user joins a group",
        SegmentCall::Alias => "Segment `alias`: two ids of one user",
    };
    refused(OperationBuilder::new())
        .tag("segment")
        .summary(Some(summary))
        .description(Some(format!(
            "One Segment message; its `type` is `{}` when it has none. The write key is the \
             HTTP Basic user name, a Bearer key, or the body's `writeKey`. Mapped as \
             docs/ingest-compat.md says; a message that cannot be mapped is rejected in the \
             200 answer.",
            call.name()
        )))
        .request_body(Some(json_body("application/json", Ref::from_schema_name("SegmentMessage"))))
        .securities(Some([
            SecurityRequirement::new(SEGMENT_BASIC, Vec::<String>::new()),
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
            // The key may be the body's `writeKey` instead.
            SecurityRequirement::default(),
        ]))
        .response("200", compat_answer("The message was read: stored, or rejected and why."))
        .build()
}

const POSTHOG_DESCRIPTION: &str = "A PostHog capture body: an object with `batch`, one event, \
     or an array of events; or a form whose `data` (in the body, or in a GET's query) holds that \
     JSON, as is or in base64. `?compression=gzip-js` means the body is gzip, as posthog-js says \
     it. The write key is the body's `api_key` (or `token`, or an event's `properties.token`), \
     or a Bearer key.";

fn posthog_get_operation() -> Operation {
    posthog_operation()
        .summary(Some("PostHog capture: one event or a batch, in the query"))
        .parameter(
            ParameterBuilder::new()
                .name("data")
                .parameter_in(ParameterIn::Query)
                .required(Required::True)
                .description(Some(
                    "The JSON (an event, an array of events or a `PostHogBatch`), as is or in \
                     base64.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)))),
        )
        .build()
}

fn posthog_post_operation() -> Operation {
    let form = ObjectBuilder::new()
        .property(
            "data",
            ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).description(Some(
                "The JSON (an event, an array of events or a `PostHogBatch`), as is or in \
                 base64.",
            )),
        )
        .required("data");
    posthog_operation()
        .summary(Some("PostHog capture: one event or a batch"))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(
                            AnyOfBuilder::new()
                                .item(Ref::from_schema_name("PostHogBatch"))
                                .item(Ref::from_schema_name("PostHogEvent"))
                                .item(batch_of("PostHogEvent")),
                        ))
                        .build(),
                )
                .content(
                    "application/x-www-form-urlencoded",
                    ContentBuilder::new().schema(Some(form)).build(),
                )
                .build(),
        ))
        .build()
}

/// What a PostHog capture is in either method.
fn posthog_operation() -> OperationBuilder {
    refused(OperationBuilder::new())
        .tag("posthog")
        .description(Some(POSTHOG_DESCRIPTION))
        .securities(Some([
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
            // The key is the body's `api_key`, as PostHog's SDKs send it.
            SecurityRequirement::default(),
        ]))
        .response(
            "200",
            compat_answer("The body was read: what was stored, and each event not stored and why."),
        )
}

fn cloudevents_operation() -> Operation {
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
    };
    refused(OperationBuilder::new())
        .tag("cloudevents")
        .summary(Some("CloudEvents: one event, a batch, or one event in binary mode"))
        .description(Some(
            "Structured mode (`application/cloudevents+json`, one event), batched mode \
             (`application/cloudevents-batch+json`, an array), or binary mode: the attributes \
             in `ce-` headers (`ce-specversion`, `ce-id`, `ce-source` and `ce-type` all \
             needed, percent-decoded) and the body the event's data, read as JSON when the \
             `Content-Type` is JSON. Without `ce-specversion`, an `application/json` body is \
             read as structured (an array as a batch). `source` and `id` are the idempotency \
             key.",
        ))
        .parameter(header("ce-specversion", "Binary mode: `1.0`."))
        .parameter(header("ce-id", "Binary mode: the event's id."))
        .parameter(header("ce-source", "Binary mode: the event's source."))
        .parameter(header("ce-type", "Binary mode: the event's type."))
        .parameter(header("ce-time", "Binary mode: the event's instant, RFC 3339."))
        .parameter(header("ce-subject", "Binary mode: the event's subject."))
        .request_body(Some(
            RequestBodyBuilder::new()
                // Binary mode's data may be empty.
                .required(Some(Required::False))
                .content(
                    "application/cloudevents+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("CloudEvent"))).build(),
                )
                .content(
                    "application/cloudevents-batch+json",
                    ContentBuilder::new().schema(Some(batch_of("CloudEvent"))).build(),
                )
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(
                            AnyOfBuilder::new()
                                .item(Ref::from_schema_name("CloudEvent"))
                                .item(batch_of("CloudEvent"))
                                .description(Some(
                                    "Structured or batched; with `ce-` headers, the event's data.",
                                )),
                        ))
                        .build(),
                )
                .build(),
        ))
        .securities(Some([SecurityRequirement::new(BEARER, Vec::<String>::new())]))
        .response(
            "200",
            compat_answer("The events were read: what was stored, and each not stored and why."),
        )
        .build()
}

fn healthz_operation() -> Operation {
    OperationBuilder::new()
        .tag("service")
        .summary(Some("Whether the daemon is up"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Up: `ok`.")
                .content(
                    "text/plain",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .build(),
                )
                .build(),
        )
        .build()
}

fn document_operation() -> Operation {
    OperationBuilder::new()
        .tag("service")
        .summary(Some("This document"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("The daemon's OpenAPI document.")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                        .build(),
                )
                .build(),
        )
        .build()
}

fn json_body(media_type: &str, schema: Ref) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content(media_type, ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

fn compat_answer(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name(CompatAnswer::name()))).build(),
        )
        .build()
}

/// `operation` with the refusals every batch endpoint answers, each a problem document.
fn refused(operation: OperationBuilder) -> OperationBuilder {
    let problem = |description: &str| {
        ResponseBuilder::new().description(description).content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name(Problem::name()))).build(),
        )
    };
    let refusals = [
        (
            "400",
            problem(
                "`malformed_body`: the body is not in the format (not JSON, not the shape, \
                 broken gzip); the detail names what is wrong. Nothing was stored.",
            )
            .build(),
        ),
        ("401", problem("`missing_write_key`: no write key was sent.").build()),
        ("403", problem("`wrong_write_key`: no account has this write key.").build()),
        ("408", problem("`body_timeout`: the body was sent too slowly.").build()),
        (
            "413",
            problem(
                "`body_too_large`: the body is over the daemon's limit (Segment's: 500 KB), as \
                 sent or once inflated.",
            )
            .build(),
        ),
        ("415", problem("`unsupported_encoding`: a `Content-Encoding` other than gzip.").build()),
        (
            "500",
            problem(
                "`internal`: the batch could not be written; nothing was written; the cause is \
                 in the daemon's log.",
            )
            .build(),
        ),
        (
            "503",
            problem(
                "`busy` (the bodies in flight hold the daemon's budget) or `store_unavailable`: \
                 nothing was written; retry.",
            )
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                    .description(Some("Seconds to wait before retrying, when busy."))
                    .build(),
            )
            .build(),
        ),
    ];
    refusals
        .into_iter()
        .fold(operation, |operation, (status, response)| operation.response(status, response))
}

/// One of Tally's own events: the fields every event has; each kind's own
/// fields are in docs/events.md.
fn event_schema() -> Schema {
    ObjectBuilder::new()
        .description(Some(
            "One event: `id`, `kind`, `at`, and the kind's own fields (docs/events.md).",
        ))
        .property(
            "id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .description(Some("The sender's id, unique within the account; 1 to 128 bytes.")),
        )
        .property("kind", event_kind_schema())
        .property("at", date_time())
        .property("properties", any_object())
        .required("id")
        .required("kind")
        .required("at")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

/// An event kind, by its wire name.
pub(crate) fn event_kind_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(EventKind::WIRE_NAMES.iter().copied()))
        .into()
}

fn segment_message_schema() -> Schema {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .description(Some("One Segment message (docs/ingest-compat.md says what is read)."))
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(SegmentCall::ALL.map(SegmentCall::name))),
        )
        .property("messageId", text())
        .property("userId", text())
        .property("anonymousId", text())
        .property("event", text())
        .property("name", text())
        .property("groupId", text())
        .property("timestamp", date_time())
        .property("properties", any_object())
        .property("traits", any_object())
        .property("context", any_object())
        .property("writeKey", text())
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

fn segment_batch_schema() -> Schema {
    ObjectBuilder::new()
        .description(Some("A Segment batch, as `POST /v1/batch` takes it with HTTP Basic."))
        .property("batch", batch_of("SegmentMessage"))
        .property("writeKey", ObjectBuilder::new().schema_type(Type::String))
        .required("batch")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

fn posthog_event_schema() -> Schema {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .description(Some("One PostHog event (docs/ingest-compat.md says what is read)."))
        .property("event", text())
        .property("distinct_id", text())
        .property("uuid", text())
        .property("timestamp", date_time())
        .property("properties", any_object())
        .property("api_key", text())
        .property("token", text())
        .required("event")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

fn posthog_batch_schema() -> Schema {
    ObjectBuilder::new()
        .description(Some("A PostHog batch; `api_key` (or `token`) is the write key."))
        .property("batch", batch_of("PostHogEvent"))
        .property("api_key", ObjectBuilder::new().schema_type(Type::String))
        .property("token", ObjectBuilder::new().schema_type(Type::String))
        .required("batch")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

fn cloudevent_schema() -> Schema {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .description(Some("A CloudEvent 1.0 in structured mode."))
        .property(
            "specversion",
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["1.0"])),
        )
        .property("id", text())
        .property("source", text())
        .property("type", text())
        .property("subject", text())
        .property("time", date_time())
        .property("datacontenttype", text())
        .property("data", ObjectBuilder::new().schema_type(SchemaType::AnyValue))
        .required("specversion")
        .required("id")
        .required("source")
        .required("type")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

fn date_time() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

fn any_object() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
}

/// An array of at least one `schema_name`: an empty batch is refused.
fn batch_of(schema_name: &str) -> ArrayBuilder {
    ArrayBuilder::new().items(Ref::from_schema_name(schema_name)).min_items(Some(1))
}
