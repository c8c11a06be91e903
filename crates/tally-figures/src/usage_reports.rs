//! The Usage Reports download (R1-R5): `Usage Reports.zip` holding two
//! workbooks, the last 6 months and the last year, each with the seed's six
//! sheets. The definitions of every figure are in docs/usage-reports.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Seek, Write};

use chrono::{DateTime, Months, NaiveDateTime, TimeZone, Utc};
use tally_access::UsageReports;
use tally_calendar::AccountCalendar;
use tally_identity::{Matcher, Matching, Observation, Person};
use tally_report::{
    Cell, Column, ColumnKind, ReportError, Table, TableHeader, TableSink, WorkbookWriter,
    WriteOptions,
};
use tally_store::{EntitySyncRecord, Store, StoreError};

/// The zip's file name.
pub const ZIP_NAME: &str = "Usage Reports.zip";

/// What can go wrong making the reports.
#[derive(Debug, thiserror::Error)]
pub enum UsageReportError {
    /// Reading the store failed.
    #[error("reading the usage report data")]
    Store(#[from] StoreError),
    /// Writing a workbook failed.
    #[error("writing the workbook {name:?}")]
    Workbook {
        /// The workbook's file name.
        name: String,
        /// The writer's error.
        #[source]
        source: ReportError,
    },
    /// Writing the zip failed.
    #[error("writing {ZIP_NAME}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing to the output failed.
    #[error("writing {ZIP_NAME}")]
    Io(#[from] std::io::Error),
}

/// One report's period: from `from` up to, not including, `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    /// `Last 6 Months` or `Last 1 Year`.
    pub name: &'static str,
    /// The first instant.
    pub from: DateTime<Utc>,
    /// The instant after the last.
    pub to: DateTime<Utc>,
}

impl ReportPeriod {
    /// The workbook's file name, as the seed names it.
    pub fn file_name(&self) -> String {
        format!("Usage Report ({}).xlsx", self.name)
    }
}

/// The two periods ending at `end`: each starts at the same wall-clock time of
/// the account's zone 6 and 12 calendar months earlier (the last day of the
/// month when that month is shorter; the first valid instant after a
/// daylight-saving gap).
pub fn periods(calendar: &AccountCalendar, end: DateTime<Utc>) -> [ReportPeriod; 2] {
    let zone = calendar.time_zone;
    let local_end = end.with_timezone(&zone).naive_local();
    let start = |months: u32| {
        let local: NaiveDateTime =
            local_end.checked_sub_months(Months::new(months)).unwrap_or(local_end);
        // A gap (clocks moved forward) has no such instant: try later minutes.
        (0..=180)
            .find_map(|minutes| {
                zone.from_local_datetime(&(local + chrono::Duration::minutes(minutes))).earliest()
            })
            .map_or(end, |at| at.with_timezone(&Utc))
    };
    [
        ReportPeriod { name: "Last 6 Months", from: start(6), to: end },
        ReportPeriod { name: "Last 1 Year", from: start(12), to: end },
    ]
}

/// Writes `Usage Reports.zip` for the periods ending at `end` to `out`.
/// `progress` is told each step's name as it starts (for a progress bar).
///
/// The year's observations and syncs are read once; the 6 months' are their
/// latest part.
pub fn write_usage_reports<W: Write + Seek>(
    store: &Store,
    reports: &UsageReports,
    end: DateTime<Utc>,
    matcher: &Matcher,
    mut progress: impl FnMut(&str),
    out: W,
) -> Result<W, UsageReportError> {
    let account = store.account(reports.account())?;
    let options = WriteOptions::new(account.calendar.time_zone);
    let periods = periods(&account.calendar, end);
    let earliest = periods.iter().map(|period| period.from).min().unwrap_or(end);
    progress("reading the observations and syncs");
    let (observations, syncs) = read_period(store, reports, earliest, end)?;
    // The two periods are matched, built and written at once, a thread each:
    // they share only the observations, read once above. Each workbook goes
    // to a temporary file, so that its bytes are not held in memory either.
    progress("matching users and writing both workbooks");
    let workbook = |period: &ReportPeriod| -> Result<File, UsageReportError> {
        let report = PeriodReport::new(
            since(&observations, period.from, |seen| seen.at),
            since(&syncs, period.from, |sync| sync.at),
            matcher,
        );
        let file = tempfile::tempfile()?;
        let mut file = report
            .write(&options, BufWriter::new(file))
            .map_err(|source| UsageReportError::Workbook { name: period.file_name(), source })?
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.rewind()?;
        Ok(file)
    };
    let workbooks: Vec<Result<File, UsageReportError>> = std::thread::scope(|scope| {
        let threads: Vec<_> =
            periods.iter().map(|period| scope.spawn(move || workbook(period))).collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("building a usage report does not panic"))
            .collect()
    });
    progress("writing the zip");
    let mut zip = zip::ZipWriter::new(out);
    for (period, workbook) in periods.iter().zip(workbooks) {
        // A workbook is a zip already: storing it as it is saves compressing it
        // again for nothing.
        zip.start_file(
            period.file_name(),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )?;
        std::io::copy(&mut workbook?, &mut zip)?;
    }
    Ok(zip.finish()?)
}

/// The account's sync observations and entity syncs in `[from, to)`, by instant.
///
/// The observations are read in two halves of the period at once, the later
/// half through a second connection to the same file: reading is mostly
/// parsing, and there are two cores.
pub fn read_period(
    store: &Store,
    reports: &UsageReports,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Vec<Observation>, Vec<EntitySyncRecord>), StoreError> {
    let middle = from + (to - from) / 2;
    let path = store.path().to_owned();
    // Room for all of them at once: growing by doubling would hold up to twice
    // their size while copying. The earlier half is read straight into it,
    // the later half moved in after.
    let count = store.count_sync_observations(reports, from, to)?;
    let mut observations = Vec::with_capacity(usize::try_from(count).unwrap_or_default());
    std::thread::scope(|scope| {
        let later = scope.spawn(move || -> Result<Vec<Observation>, StoreError> {
            let second = Store::open(&path, &tally_store::StoreOptions::default())?;
            let count = second.count_sync_observations(reports, middle, to)?;
            let mut later = Vec::with_capacity(usize::try_from(count).unwrap_or_default());
            read_observations(&second, reports, middle, to, &mut later)?;
            Ok(later)
        });
        let earlier = read_observations(store, reports, from, middle, &mut observations);
        let later = later.join().expect("reading observations does not panic");
        earlier?;
        observations.extend(later?);
        Ok::<_, StoreError>(())
    })?;
    let mut syncs = Vec::new();
    store.for_each_entity_sync(reports, from, to, |record| syncs.push(record))?;
    Ok((observations, syncs))
}

fn read_observations(
    store: &Store,
    reports: &UsageReports,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    observations: &mut Vec<Observation>,
) -> Result<(), StoreError> {
    store.for_each_sync_observation(reports, from, to, |record| {
        observations.push(Observation {
            system: record.system,
            // No sheet shows an observation's project: the projects counted
            // are the entity syncs'.
            project: None,
            email: record.email,
            username: record.username,
            display_name: record.display_name,
            interaction: Some(record.interaction),
            at: record.at,
            service_account: record.service_account,
        })
    })?;
    Ok(())
}

/// The part of `items` (sorted by instant) at or after `from`.
fn since<T>(items: &[T], from: DateTime<Utc>, at: impl Fn(&T) -> DateTime<Utc>) -> &[T] {
    &items[items.partition_point(|item| at(item) < from)..]
}

/// One period's report: its people, matched from its observations, and its
/// syncs, tallied; ready to be written.
pub struct PeriodReport<'a> {
    observations: &'a [Observation],
    matching: Matching,
    tallies: SyncTallies,
}

impl<'a> PeriodReport<'a> {
    /// Matches the period's observations into people and tallies its syncs.
    pub fn new(
        observations: &'a [Observation],
        syncs: &[EntitySyncRecord],
        matcher: &Matcher,
    ) -> PeriodReport<'a> {
        let mut tallies = SyncTallies::default();
        for sync in syncs {
            tallies.add(sync);
        }
        PeriodReport { observations, matching: matcher.match_people(observations), tallies }
    }

    /// The number of people: the Detailed User Report's rows.
    pub fn people(&self) -> usize {
        self.matching.people.len()
    }

    /// Writes the workbook of the six sheets, in the seed's order, to `out`.
    /// The detailed sheet's rows, one per person, are made as they are written
    /// and never held together.
    pub fn write<W: Write + Send>(&self, options: &WriteOptions, out: W) -> Result<W, ReportError> {
        let (matching, tallies) = (&self.matching, &self.tallies);
        let mut workbook = WorkbookWriter::new(options);
        for table in [
            summary(matching, tallies),
            unique_user_count(matching),
            tallies.entity_type_count(),
            tallies.integrated_project_count(),
            tallies.synced_data_count(),
        ] {
            workbook.table(&table)?;
        }
        workbook.start_sheet(&detailed_user_report_header())?;
        for person in &matching.people {
            workbook.row(&detailed_user_row(self.observations, person, options.time_zone))?;
        }
        workbook.finish(out)
    }
}

fn table(title: &str, columns: &[(&str, &str, ColumnKind)], rows: Vec<Vec<Cell>>) -> Table {
    Table::new(header(title, columns), rows)
}

fn header(title: &str, columns: &[(&str, &str, ColumnKind)]) -> TableHeader {
    let columns =
        columns.iter().map(|(name, title, kind)| Column::new(*name, *title, *kind)).collect();
    TableHeader::new(title, columns)
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn integer(value: usize) -> Cell {
    Cell::Integer(value as i64)
}

/// The Summary sheet's metric names, in order.
pub const SUMMARY_METRICS: [&str; 8] = [
    "Total Unique Users",
    "Identified by Usernames or Emails",
    "Identified by Emails",
    "Identified by Display Names",
    "Identified by Usernames",
    "Total Unique Entity Types",
    "Total Unique Projects",
    "Total Entities Synced",
];

fn summary(matching: &Matching, syncs: &SyncTallies) -> Table {
    let all = matching.unique_users.all_systems;
    let values = [
        all.unique_users,
        all.by_username_or_email,
        all.by_email,
        all.by_display_name,
        all.by_username,
        syncs.entity_types().len(),
        syncs.projects().len(),
        syncs.entities_synced() as usize,
    ];
    let rows = SUMMARY_METRICS
        .iter()
        .zip(values)
        .map(|(metric, value)| vec![text(*metric), integer(value)])
        .collect();
    table(
        "Summary",
        &[("metric", "Metric", ColumnKind::Text), ("count", "Count", ColumnKind::Integer)],
        rows,
    )
}

fn unique_user_count(matching: &Matching) -> Table {
    let rows = matching
        .unique_users
        .systems
        .iter()
        .map(|system| {
            let users = system.users;
            vec![
                text(system.system.clone()),
                integer(users.unique_users),
                integer(users.by_username_or_email),
                integer(users.by_email),
                integer(users.by_display_name),
                integer(users.by_username),
                integer(users.service_accounts),
            ]
        })
        .collect();
    table(
        "Unique User Count",
        &[
            ("system", "System / Source", ColumnKind::Text),
            ("count", "Count", ColumnKind::Integer),
            ("usernames_or_emails", "Identifiers: Usernames or Emails", ColumnKind::Integer),
            ("emails", "Identifiers: Emails", ColumnKind::Integer),
            ("display_names", "Identifiers: Display Names", ColumnKind::Integer),
            ("usernames", "Identifiers: Usernames", ColumnKind::Integer),
            ("service_accounts", "Service Accounts", ColumnKind::Integer),
        ],
        rows,
    )
}

/// The latest status of something synced, and when it was last updated and
/// last synced while active.
#[derive(Debug, Clone, Default)]
struct SyncState {
    status_at: Option<DateTime<Utc>>,
    status: String,
    last_synced: Option<DateTime<Utc>>,
    entities: u64,
}

impl SyncState {
    fn add(&mut self, record: &EntitySyncRecord) {
        // Ties at one instant go to `inactive`, so a stop is never hidden.
        if self
            .status_at
            .is_none_or(|at| record.at > at || (record.at == at && record.status == "inactive"))
        {
            self.status_at = Some(record.at);
            self.status.clone_from(&record.status);
        }
        if record.status == "active" {
            self.last_synced = self.last_synced.max(Some(record.at));
        }
        self.entities += record.entities;
    }
}

/// The entity syncs of a period, tallied per sheet key.
#[derive(Debug, Default)]
struct SyncTallies {
    /// (source system, target system, entity type).
    entity_types: BTreeMap<(String, String, String), SyncState>,
    /// (source system, target system, source project, target project).
    projects: BTreeMap<(String, String, String, String), SyncState>,
    /// (source system, target system).
    pairs: BTreeMap<(String, String), SyncState>,
}

impl SyncTallies {
    fn add(&mut self, record: &EntitySyncRecord) {
        let (source, target) = (record.source_system.clone(), record.target_system.clone());
        self.entity_types
            .entry((source.clone(), target.clone(), record.entity_type.clone()))
            .or_default()
            .add(record);
        self.projects
            .entry((
                source.clone(),
                target.clone(),
                record.source_project.clone().unwrap_or_default(),
                record.target_project.clone().unwrap_or_default(),
            ))
            .or_default()
            .add(record);
        self.pairs.entry((source, target)).or_default().add(record);
    }

    fn entity_types(&self) -> BTreeSet<&str> {
        self.entity_types.keys().map(|(_, _, entity_type)| entity_type.as_str()).collect()
    }

    /// Projects named on either side of a project pair, by (system, project).
    fn projects(&self) -> BTreeSet<(&str, &str)> {
        self.projects
            .keys()
            .flat_map(|(source, target, source_project, target_project)| {
                [
                    (source.as_str(), source_project.as_str()),
                    (target.as_str(), target_project.as_str()),
                ]
            })
            .filter(|(_, project)| !project.is_empty())
            .collect()
    }

    fn entities_synced(&self) -> u64 {
        self.pairs.values().map(|state| state.entities).sum()
    }

    fn entity_type_count(&self) -> Table {
        let rows = self
            .entity_types
            .iter()
            .map(|((source, target, entity_type), state)| {
                vec![
                    text(format!("{source} → {target}")),
                    text(target.clone()),
                    text(entity_type.clone()),
                    text(status(&state.status)),
                    at(state.last_synced),
                ]
            })
            .collect();
        table(
            "Entity Type Count",
            &[
                ("system_pair", "System Pairs", ColumnKind::Text),
                ("end_system", "End System", ColumnKind::Text),
                ("entity_type", "Entity Types", ColumnKind::Text),
                ("status", "Status", ColumnKind::Text),
                ("last_synced", "Last Synced", ColumnKind::DateTime),
            ],
            rows,
        )
    }

    fn integrated_project_count(&self) -> Table {
        let rows = self
            .projects
            .iter()
            .map(|((source, target, source_project, target_project), state)| {
                vec![
                    text(source.clone()),
                    text(target.clone()),
                    text(source_project.clone()),
                    text(target_project.clone()),
                    text(status(&state.status)),
                    at(state.status_at),
                    at(state.last_synced),
                ]
            })
            .collect();
        table(
            "Integrated Project Count",
            &[
                ("end_system_1", "End System 1", ColumnKind::Text),
                ("end_system_2", "End System 2", ColumnKind::Text),
                ("end_system_1_project", "End System 1 Project", ColumnKind::Text),
                ("end_system_2_project", "End System 2 Project", ColumnKind::Text),
                ("status", "Status", ColumnKind::Text),
                ("last_updated", "Last Updated", ColumnKind::DateTime),
                ("last_synced", "Last Synced", ColumnKind::DateTime),
            ],
            rows,
        )
    }

    fn synced_data_count(&self) -> Table {
        let rows = self
            .pairs
            .iter()
            .map(|((source, target), state)| {
                vec![
                    text(source.clone()),
                    text(target.clone()),
                    Cell::Integer(state.entities as i64),
                    at(state.last_synced),
                ]
            })
            .collect();
        table(
            "Synced Data Count",
            &[
                ("end_system_1", "End System 1", ColumnKind::Text),
                ("end_system_2", "End System 2", ColumnKind::Text),
                ("count", "Counts Based on System Pair", ColumnKind::Integer),
                ("last_synced", "Last Synced", ColumnKind::DateTime),
            ],
            rows,
        )
    }
}

fn status(status: &str) -> &'static str {
    if status == "inactive" { "Inactive" } else { "Active" }
}

fn at(instant: Option<DateTime<Utc>>) -> Cell {
    instant.map_or(Cell::Empty, Cell::DateTime)
}

fn detailed_user_report_header() -> TableHeader {
    header(
        "Detailed User Report",
        &[
            ("email", "Email", ColumnKind::Text),
            ("username", "Username", ColumnKind::Text),
            ("display_name", "Display Name", ColumnKind::Text),
            ("interaction_types", "Interaction Types", ColumnKind::Text),
            ("observed_in", "Observed In", ColumnKind::Text),
            ("service_account", "Service Account", ColumnKind::Text),
            ("last_seen", "Last Seen", ColumnKind::DateTime),
            ("duplicates", "Duplicates", ColumnKind::Text),
        ],
    )
}

/// One person's row of the Detailed User Report.
fn detailed_user_row(
    observations: &[Observation],
    person: &Person,
    zone: chrono_tz::Tz,
) -> [Cell; 8] {
    let mut emails = BTreeSet::new();
    let mut usernames = BTreeSet::new();
    let mut display_names = BTreeSet::new();
    let mut interactions = BTreeSet::new();
    let mut systems: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    fn keep<'a>(set: &mut BTreeSet<&'a str>, value: &'a Option<String>) {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            set.insert(value);
        }
    }
    for &index in &person.observations {
        let seen = &observations[index];
        keep(&mut emails, &seen.email);
        keep(&mut usernames, &seen.username);
        keep(&mut display_names, &seen.display_name);
        keep(&mut interactions, &seen.interaction);
        let last = systems.entry(seen.system.trim()).or_insert(seen.at);
        *last = (*last).max(seen.at);
    }
    let join = |set: BTreeSet<&str>| set.into_iter().collect::<Vec<_>>().join("; ");
    let observed_in = systems
        .iter()
        .map(|(system, last)| format!("{system} ({})", last.with_timezone(&zone).to_rfc3339()))
        .collect::<Vec<_>>()
        .join("; ");
    let duplicates = person
        .duplicates
        .iter()
        .map(|duplicate| {
            let usernames: Vec<String> = duplicate
                .usernames
                .iter()
                .map(|seen| format!("{} ({})", seen.username, seen.system))
                .collect();
            format!("{}: {}", duplicate.email, usernames.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    [
        text(join(emails)),
        text(join(usernames)),
        text(join(display_names)),
        text(join(interactions)),
        text(observed_in),
        text(if person.service_account { "Yes" } else { "No" }),
        Cell::DateTime(person.last_seen),
        text(duplicates),
    ]
}
