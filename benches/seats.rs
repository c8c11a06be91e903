//! The seat engine over a year of logins: 100,000 users and about 20 million
//! logins, fed one at a time in arrival order (the incremental path) and all at
//! once (a full recompute to the monthly figures), the monthly figures from the
//! resulting state, and DuckDB computing the same monthly figures over the same
//! logins in its own memory with two queries, a direct one and an expert's
//! (`duckdb/monthly_seats.py`, when Python's duckdb is installed). Figures and the command are in `docs/PERFORMANCE.md`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tally_benches::{LOGIN_USERS, user_name, year_of_logins};
use tally_calendar::{AccountCalendar, SubscriptionTerm};
use tally_seats::{Month, SeatLedger, SeatRule};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const JANUARY: Month = Month { year: 2026, month: 1 };
const DECEMBER: Month = Month { year: 2026, month: 12 };

criterion_group!(benches, seats);
criterion_main!(benches);

fn at(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).expect("an instant in 2026")
}

fn seats(criterion: &mut Criterion) {
    let started = Instant::now();
    let logins = year_of_logins(2026);
    let names: Vec<String> = (0..LOGIN_USERS).map(user_name).collect();
    eprintln!(
        "generated {} logins of {LOGIN_USERS} users in {:.1?}",
        logins.len(),
        started.elapsed()
    );
    let calendar =
        AccountCalendar { time_zone: chrono_tz::Europe::Berlin, ..AccountCalendar::default() };
    let terms: [SubscriptionTerm; 1] = ["2026-01-01..2027-01-01".parse().expect("a term")];
    let rule = SeatRule::default();

    let mut group = criterion.benchmark_group("seats_100k_users_20m_logins");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(logins.len() as u64));

    group.bench_function("incremental_in_arrival_order", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let mut ledger = SeatLedger::new(calendar.clone(), &terms, rule).expect("a ledger");
                let started = Instant::now();
                for (user, instant) in &logins {
                    ledger.record_login(&names[*user as usize], at(*instant));
                }
                elapsed += started.elapsed();
                drop(ledger);
            }
            elapsed
        })
    });

    group.bench_function("full_recompute", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                let ledger = SeatLedger::from_logins(
                    calendar.clone(),
                    &terms,
                    rule,
                    logins
                        .iter()
                        .map(|(user, instant)| (names[*user as usize].as_str(), at(*instant))),
                )
                .expect("a ledger");
                let figures = ledger.monthly_active_seats(JANUARY, DECEMBER);
                elapsed += started.elapsed();
                drop((ledger, figures));
            }
            elapsed
        })
    });

    let ledger = SeatLedger::from_logins(
        calendar.clone(),
        &terms,
        rule,
        logins.iter().map(|(user, instant)| (names[*user as usize].as_str(), at(*instant))),
    )
    .expect("a ledger");
    let engine_seats: Vec<u32> =
        ledger.monthly_active_seats(JANUARY, DECEMBER).iter().map(|figure| figure.seats).collect();

    match DuckDb::start(&logins, &names) {
        Ok(mut duckdb) => {
            for query in ["monthly_sql", "expert_sql"] {
                group.bench_function(format!("duckdb_{query}"), |bencher| {
                    bencher.iter_custom(|iterations| {
                        let mut elapsed = Duration::ZERO;
                        for _ in 0..iterations {
                            let (took, seats) = duckdb.run(query);
                            assert_eq!(
                                seats, engine_seats,
                                "DuckDB's {query} and the engine disagree"
                            );
                            elapsed += took;
                        }
                        elapsed
                    })
                });
            }
        }
        Err(why) => eprintln!("skipping the DuckDB variants: {why} (pip install duckdb)"),
    }

    group.throughput(Throughput::Elements(12));
    group.sample_size(20);
    group.bench_function("monthly_active_seats_2026", |bencher| {
        bencher.iter(|| ledger.monthly_active_seats(JANUARY, DECEMBER))
    });
    group.finish();

    // Proof of the work done, and what it came to.
    let figures = ledger.monthly_active_seats(JANUARY, DECEMBER);
    let activated = ledger.users().filter(|user| !ledger.activations(user).is_empty()).count();
    eprintln!("{} logins, {activated} of {LOGIN_USERS} users activated", logins.len());
    for figure in figures {
        eprintln!("  {} {} seats", figure.month, figure.seats);
    }
    eprintln!("peak resident memory of this process: {}", peak_memory());
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| status.lines().find(|line| line.starts_with("VmHWM")).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// `duckdb/monthly_seats.py`, holding the logins in DuckDB's memory and running
/// the monthly query on demand.
struct DuckDb {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    _csv: tempfile::TempPath,
}

impl DuckDb {
    /// Writes the logins, with the same user names the engine gets, for DuckDB to load.
    fn start(logins: &[(u32, i64)], names: &[String]) -> Result<DuckDb, String> {
        let started = Instant::now();
        let csv = tempfile::Builder::new()
            .suffix(".csv")
            .tempfile_in(tally_benches::scratch_dir())
            .map_err(|error| format!("cannot create the CSV: {error}"))?;
        {
            let mut writer = std::io::BufWriter::new(csv.as_file());
            writeln!(writer, "user_id,at_us").map_err(|error| error.to_string())?;
            for (user, instant) in logins {
                let name = &names[*user as usize];
                writeln!(writer, "{name},{instant}").map_err(|error| error.to_string())?;
            }
            writer.flush().map_err(|error| error.to_string())?;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/duckdb/monthly_seats.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(csv.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run python3: {error}"))?;
        let input = child.stdin.take().expect("piped");
        let mut output = BufReader::new(child.stdout.take().expect("piped"));
        let mut ready = String::new();
        output.read_line(&mut ready).map_err(|error| error.to_string())?;
        if !ready.starts_with("ready ") {
            let _ = child.kill();
            return Err("the DuckDB script did not start".into());
        }
        eprintln!("DuckDB loaded the logins in {:.1?}: {}", started.elapsed(), ready.trim());
        Ok(DuckDb { child, input, output, _csv: csv.into_temp_path() })
    }

    /// Runs the script's query named `query` once: DuckDB's own time for it, and
    /// the 12 monthly counts.
    fn run(&mut self, query: &str) -> (Duration, Vec<u32>) {
        writeln!(self.input, "run {query}").expect("write to the DuckDB script");
        self.input.flush().expect("flush to the DuckDB script");
        let mut line = String::new();
        self.output.read_line(&mut line).expect("read from the DuckDB script");
        let mut fields = line.split_whitespace();
        let nanos: u64 = fields.next().and_then(|text| text.parse().ok()).expect("a time");
        let seats = fields.map(|text| text.parse().expect("a count")).collect();
        (Duration::from_nanos(nanos), seats)
    }
}

impl Drop for DuckDb {
    fn drop(&mut self) {
        let _ = writeln!(self.input, "stop");
        let _ = self.child.wait();
    }
}
