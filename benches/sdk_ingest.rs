//! The rate at which the ingest daemon takes in the same events sent natively
//! and by the formats of analytics SDKs, in one criterion group so that the
//! ratios come from one run (issue 18: each SDK path at least 0.8 of native).
//!
//! - `native`: `POST /v1/batch`, Tally's own NDJSON, Bearer key.
//! - `segment`: `POST /v1/batch`, a Segment batch, HTTP Basic key.
//! - `posthog`: `POST /batch/`, a PostHog batch, `api_key` in the body.
//! - `cloudevents`: `POST /api/v1/events`, a batch of CloudEvents.
//!
//! Every variant sends the same events (logins, page visits and activities of
//! 5,000 users, in that mix) in bodies of 1,000 messages, which keeps a
//! Segment batch under its 500 KB limit, from two client threads, each to a
//! file of its own. One iteration sends 50,000 fresh events. Figures and the
//! command are in docs/PERFORMANCE.md.

// The in-process daemon the ingest benchmark also posts to.
mod daemon;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use tally_benches::{agent, scratch_tempdir};
use tally_calendar::AccountCalendar;
use tally_store::{NewAccount, Store, StoreOptions};

use daemon::Daemon;

const EVENTS_PER_ITERATION: usize = 50_000;
const MESSAGES_PER_BODY: usize = 1_000;
const SENDERS: usize = 2;
const USERS: usize = 5_000;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_group!(benches, sdk_ingest, sdk_check);
criterion_main!(benches);

/// One event, as every format is made from it.
struct Sample {
    id: String,
    at: String,
    user: String,
    what: What,
}

enum What {
    Login,
    PageVisit(String),
    Activity { module: &'static str, action: &'static str, secs: u32 },
}

/// The `n`th event of the stream: 2 logins, 5 page visits and 3 activities in
/// every 10, a second apart, users in turn.
fn sample(n: usize) -> Sample {
    let at = chrono::DateTime::from_timestamp(1_772_438_400 + n as i64, 0)
        .expect("an instant")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let what = match n % 10 {
        0 | 5 => What::Login,
        1..=4 | 6 => What::PageVisit(format!("/catalog/{}", n % 97)),
        _ => What::Activity { module: "Dashboard", action: "export", secs: (n % 300) as u32 },
    };
    Sample { id: format!("e-{n}"), at, user: format!("u-{}", n % USERS), what }
}

#[derive(Clone, Copy)]
enum Variant {
    Native,
    Segment,
    PostHog,
    CloudEvents,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Native => "native",
            Variant::Segment => "segment",
            Variant::PostHog => "posthog",
            Variant::CloudEvents => "cloudevents",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Variant::Native | Variant::Segment => "/v1/batch",
            Variant::PostHog => "/batch/",
            Variant::CloudEvents => "/api/v1/events",
        }
    }

    fn message(self, sample: &Sample) -> Value {
        let Sample { id, at, user, what } = sample;
        match (self, what) {
            (Variant::Native, What::Login) => json!({"id":id,"kind":"login","at":at,"user":user}),
            (Variant::Native, What::PageVisit(page)) => {
                json!({"id":id,"kind":"page_visit","at":at,"user":user,"page":page})
            }
            (Variant::Native, What::Activity { module, action, secs }) => {
                json!({"id":id,"kind":"activity","at":at,
                "user":user,"module":module,"action":action,"time_spent_secs":secs})
            }
            (Variant::Segment, What::Login) => {
                json!({"type":"track","event":"Signed In","messageId":id,
                "timestamp":at,"userId":user})
            }
            (Variant::Segment, What::PageVisit(page)) => {
                json!({"type":"page","messageId":id,"timestamp":at,
                "userId":user,"properties":{"path":page}})
            }
            (Variant::Segment, What::Activity { module, action, secs }) => json!({"type":"track",
                "event":action,"messageId":id,"timestamp":at,"userId":user,
                "properties":{"module":module,"time_spent_secs":secs}}),
            (Variant::PostHog, What::Login) => {
                json!({"event":"login","uuid":id,"timestamp":at,"distinct_id":user})
            }
            (Variant::PostHog, What::PageVisit(page)) => {
                json!({"event":"$pageview","uuid":id,"timestamp":at,
                "distinct_id":user,"properties":{"$pathname":page}})
            }
            (Variant::PostHog, What::Activity { module, action, secs }) => {
                json!({"event":action,"uuid":id,
                "timestamp":at,"distinct_id":user,"properties":{"module":module,"time_spent_secs":secs}})
            }
            (Variant::CloudEvents, What::Login) => {
                json!({"specversion":"1.0","id":id,"source":"bench",
                "type":"login","time":at,"subject":user})
            }
            (Variant::CloudEvents, What::PageVisit(page)) => json!({"specversion":"1.0","id":id,
                "source":"bench","type":"page_visit","time":at,"subject":user,"data":{"page":page}}),
            (Variant::CloudEvents, What::Activity { module, action, secs }) => {
                json!({"specversion":"1.0",
                "id":id,"source":"bench","type":"activity","time":at,"subject":user,
                "data":{"module":module,"action":action,"time_spent_secs":secs}})
            }
        }
    }

    fn body(self, samples: &[Sample], write_key: &str) -> Vec<u8> {
        let messages: Vec<Value> = samples.iter().map(|sample| self.message(sample)).collect();
        match self {
            Variant::Native => {
                messages.iter().map(Value::to_string).collect::<Vec<_>>().join("\n").into_bytes()
            }
            Variant::Segment => json!({"batch": messages}).to_string().into_bytes(),
            Variant::PostHog => {
                json!({"api_key": write_key, "batch": messages}).to_string().into_bytes()
            }
            Variant::CloudEvents => Value::Array(messages).to_string().into_bytes(),
        }
    }

    fn post(self, agent: &ureq::Agent, base: &str, write_key: &str, body: &[u8]) -> u64 {
        let url = format!("{base}{}", self.path());
        let request = agent.post(&url);
        let request = match self {
            Variant::Native => request
                .header("Authorization", &format!("Bearer {write_key}"))
                .header("Content-Type", "application/x-ndjson"),
            Variant::Segment => {
                use base64::Engine;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{write_key}:"));
                request.header("Authorization", &format!("Basic {encoded}"))
            }
            Variant::PostHog => request.header("Content-Type", "application/json"),
            Variant::CloudEvents => request
                .header("Authorization", &format!("Bearer {write_key}"))
                .header("Content-Type", "application/cloudevents-batch+json"),
        };
        let mut response = request.send(body).unwrap_or_else(|error| panic!("{url}: {error}"));
        let answer: Value =
            serde_json::from_str(&response.body_mut().read_to_string().expect("an answer"))
                .expect("a JSON answer");
        assert_eq!(response.status().as_u16(), 200, "{url}: {answer}");
        answer["accepted"].as_u64().expect("accepted")
    }
}

fn create_account(path: &Path) -> String {
    let mut store = Store::open(path, &StoreOptions::default()).expect("create the store");
    let (_, write_key) = store
        .create_account(&NewAccount {
            slug: "bench".into(),
            name: "Benchmark".into(),
            calendar: AccountCalendar::default(),
            terms: vec!["2026-01-01..2027-01-01".parse().expect("a term")],
        })
        .expect("create the account");
    write_key.expose().to_owned()
}

fn sdk_ingest(criterion: &mut Criterion) {
    let dir = scratch_tempdir("sdk-ingest-bench-").expect("create a scratch directory");
    let mut group = criterion.benchmark_group("sdk_ingest");
    group
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(EVENTS_PER_ITERATION as u64));
    for variant in [Variant::Native, Variant::Segment, Variant::PostHog, Variant::CloudEvents] {
        let path = dir.path().join(format!("{}.sqlite", variant.name()));
        let write_key = create_account(&path);
        let daemon = Daemon::start(&path);
        let base = daemon.url.trim_end_matches("/v1/batch").to_string();
        let agent = agent();
        // Every variant sends the same events from the first one on.
        let mut next = 0;
        group.bench_function(variant.name(), |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    let samples: Vec<Sample> =
                        (next..next + EVENTS_PER_ITERATION).map(sample).collect();
                    next += EVENTS_PER_ITERATION;
                    let bodies: Vec<Vec<u8>> = samples
                        .chunks(MESSAGES_PER_BODY)
                        .map(|chunk| variant.body(chunk, &write_key))
                        .collect();
                    let started = Instant::now();
                    std::thread::scope(|scope| {
                        for sender in 0..SENDERS {
                            let (agent, bodies, base, write_key) =
                                (&agent, &bodies, &base, &write_key);
                            scope.spawn(move || {
                                for body in bodies.iter().skip(sender).step_by(SENDERS) {
                                    let accepted = variant.post(agent, base, write_key, body);
                                    assert_eq!(accepted, MESSAGES_PER_BODY as u64);
                                }
                            });
                        }
                    });
                    elapsed += started.elapsed();
                }
                elapsed
            })
        });
        daemon.stop();
        let rows: i64 = rusqlite::Connection::open(&path)
            .and_then(|connection| {
                connection.query_row("SELECT count(*) FROM events", [], |row| row.get(0))
            })
            .expect("count the events");
        println!("{}: {rows} events stored", variant.name());
    }
    group.finish();
}

/// The checking alone, on one thread, no daemon: what a body of 1,000
/// messages costs to read, map and check, against checking the same events
/// sent natively. The daemon's rate follows from this CPU time and the
/// writer's, which is the same for every format.
fn sdk_check(criterion: &mut Criterion) {
    use serde_json::value::RawValue;
    use tally_compat::{Mapping, posthog, segment};
    use tally_events::{CheckedEvent, Limits, check_batch_with};

    let samples: Vec<Sample> = (0..MESSAGES_PER_BODY).map(sample).collect();
    let limits = Limits::default();
    let received: &RawValue = serde_json::from_str("\"2026-03-02T08:00:00Z\"").expect("JSON");
    let mut group = criterion.benchmark_group("sdk_check_1000_messages");
    group.throughput(Throughput::Elements(MESSAGES_PER_BODY as u64));
    let native = Variant::Native.body(&samples, "key");
    group.bench_function("native", |bencher| {
        bencher.iter(|| {
            let mut events = 0;
            check_batch_with(&native, &limits, |_| events += 1).expect("a batch");
            assert_eq!(events, MESSAGES_PER_BODY);
        })
    });
    let mapping = Mapping::default();
    let segment_body = Variant::Segment.body(&samples, "key");
    group.bench_function("segment", |bencher| {
        bencher.iter(|| {
            let envelope = segment::read_batch(&segment_body, 10_000).expect("a batch");
            for (index, raw) in envelope.messages.iter().enumerate() {
                let message = segment::read_message(index, raw, None, received).expect("a message");
                let (_, fields) = mapping.translate_fields(message);
                CheckedEvent::check_fields(index + 1, fields, &limits).expect("an event");
            }
        })
    });
    let posthog_body = Variant::PostHog.body(&samples, "key");
    group.bench_function("posthog", |bencher| {
        bencher.iter(|| {
            let envelope = posthog::read_body(&posthog_body, None, 10_000).expect("a batch");
            for (index, raw) in envelope.messages.iter().enumerate() {
                let message = posthog::read_message(index, raw, received).expect("a message");
                let (_, fields) = mapping.translate_fields(message);
                CheckedEvent::check_fields(index + 1, fields, &limits).expect("an event");
            }
        })
    });
    group.finish();
}
