//! The widgets counted from catalogs: entities and data sources. A total at a
//! day is every creation up to that day less every deletion up to it; an item
//! deleted in May is not counted in June.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tally_report::{Cell, ChartKind, ColumnKind, Table};
use tally_seats::Month;
use tally_store::{Catalog, CatalogDay, FloorOf, StoreError};

use super::{Answer, Computed, chart, count, header, month_cell, share, text};

/// The catalog's changes per day, of the query's organization.
fn days_of(answer: &mut Answer<'_>, catalog: Catalog) -> Result<Vec<CatalogDay>, StoreError> {
    if answer.query.team.is_some() {
        let what = match catalog {
            Catalog::Entities => "entities",
            Catalog::DataSources => "data sources",
        };
        answer.notes.push(format!("{what} belong to no team, so the team filter does not apply"));
    }
    answer.store.catalog_days(answer.usage, catalog, answer.query.organization.as_deref())
}

/// Items living at the end of `day`, per category.
fn totals_at(days: &[CatalogDay], day: NaiveDate) -> BTreeMap<&str, u64> {
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for change in days.iter().take_while(|change| change.day <= day) {
        *totals.entry(&change.category).or_default() +=
            change.created as i64 - change.deleted as i64;
    }
    totals
        .into_iter()
        .filter(|(_, total)| *total > 0)
        .map(|(category, total)| (category, total as u64))
        .collect()
}

/// Items at the end of each month of the widget's days (the last month at its
/// last day), with the month's creations and deletions.
pub(super) fn monthly_totals(
    answer: &mut Answer<'_>,
    catalog: Catalog,
) -> Result<Computed, StoreError> {
    let days = days_of(answer, catalog)?;
    let floor = answer.floor(&[FloorOf::Catalog(catalog)])?;
    let months = answer.months(floor);
    let (value, title) = match catalog {
        Catalog::Entities => ("entities", "Entities"),
        Catalog::DataSources => ("data_sources", "Data sources"),
    };
    let header = header(
        answer.widget,
        &[
            ("month", "Month", ColumnKind::Text),
            (value, title, ColumnKind::Integer),
            ("created", "Created", ColumnKind::Integer),
            ("deleted", "Deleted", ColumnKind::Integer),
        ],
    )
    .with_chart(chart(ChartKind::Line, "month", &[value]));
    let rows = months
        .iter()
        .map(|month| {
            let last = month.next().first_day().pred_opt().expect("a month has a last day");
            let end = last.min(answer.days.last);
            let total: u64 = totals_at(&days, end).values().sum();
            let in_month =
                days.iter().filter(|change| Month::of(change.day) == *month && change.day <= end);
            let (created, deleted) = in_month.fold((0, 0), |(created, deleted), change| {
                (created + change.created, deleted + change.deleted)
            });
            vec![month_cell(*month), count(total), count(created), count(deleted)]
        })
        .collect::<Vec<_>>();
    let drill = vec![None; rows.len()];
    Ok((Table::new(header, rows), drill, floor))
}

/// Items at the end of the widget's last day.
pub(super) fn total(answer: &mut Answer<'_>, catalog: Catalog) -> Result<Computed, StoreError> {
    let days = days_of(answer, catalog)?;
    let floor = answer.floor(&[FloorOf::Catalog(catalog)])?;
    let (value, title) = match catalog {
        Catalog::Entities => ("entities", "Entities"),
        Catalog::DataSources => ("data_sources", "Data sources"),
    };
    let header = header(
        answer.widget,
        &[("as_of", "As of the end of", ColumnKind::Date), (value, title, ColumnKind::Integer)],
    );
    let total: u64 = totals_at(&days, answer.days.last).values().sum();
    let rows = vec![vec![Cell::Date(answer.days.last), count(total)]];
    Ok((Table::new(header, rows), vec![None], floor))
}

/// Entities at the end of the widget's last day, by blueprint, with shares.
pub(super) fn entities_by_blueprint(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let days = days_of(answer, Catalog::Entities)?;
    let floor = answer.floor(&[FloorOf::Catalog(Catalog::Entities)])?;
    let totals = totals_at(&days, answer.days.last);
    let all: u64 = totals.values().sum();
    let mut ranked: Vec<(&str, u64)> = totals.into_iter().collect();
    ranked.sort_by(|(a, total_a), (b, total_b)| total_b.cmp(total_a).then_with(|| a.cmp(b)));
    let header = header(
        answer.widget,
        &[
            ("blueprint", "Blueprint", ColumnKind::Text),
            ("entities", "Entities", ColumnKind::Integer),
            ("share", "Share", ColumnKind::Percentage),
        ],
    )
    .with_chart(chart(ChartKind::Pie, "blueprint", &["entities"]));
    let rows = ranked
        .into_iter()
        .map(|(blueprint, total)| vec![text(blueprint), count(total), share(total, all)])
        .collect::<Vec<_>>();
    let drill = vec![None; rows.len()];
    Ok((Table::new(header, rows), drill, floor))
}

/// Entities by organization and blueprint: at the end of the widget's last
/// day, and created and deleted in its days.
pub(super) fn entities_by_organization(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let days = days_of(answer, Catalog::Entities)?;
    let floor = answer.floor(&[FloorOf::Catalog(Catalog::Entities)])?;
    let mut figures: BTreeMap<(String, String), (i64, u64, u64)> = BTreeMap::new();
    for change in days.iter().take_while(|change| change.day <= answer.days.last) {
        let (total, created, deleted) =
            figures.entry((change.organization.clone(), change.category.clone())).or_default();
        *total += change.created as i64 - change.deleted as i64;
        if change.day >= answer.days.first {
            *created += change.created;
            *deleted += change.deleted;
        }
    }
    let header = header(
        answer.widget,
        &[
            ("organization", "Organization", ColumnKind::Text),
            ("blueprint", "Blueprint", ColumnKind::Text),
            ("entities", "Entities", ColumnKind::Integer),
            ("created", "Created in the period", ColumnKind::Integer),
            ("deleted", "Deleted in the period", ColumnKind::Integer),
        ],
    );
    let rows = figures
        .into_iter()
        .filter(|(_, (total, created, deleted))| *total > 0 || *created > 0 || *deleted > 0)
        .map(|((organization, blueprint), (total, created, deleted))| {
            vec![
                text(organization),
                text(blueprint),
                count(total.max(0) as u64),
                count(created),
                count(deleted),
            ]
        })
        .collect::<Vec<_>>();
    let drill = vec![None; rows.len()];
    Ok((Table::new(header, rows), drill, floor))
}

/// Every data source living at the end of the widget's last day, by
/// organization and id.
pub(super) fn data_sources_log(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    days_of(answer, Catalog::DataSources)?;
    let floor = answer.floor(&[FloorOf::Catalog(Catalog::DataSources)])?;
    let last = answer.days.last;
    let day = |at| tally_calendar::local_date(&answer.calendar, at);
    let items = answer.store.catalog_items(
        answer.usage,
        Catalog::DataSources,
        answer.query.organization.as_deref(),
    )?;
    let header = header(
        answer.widget,
        &[
            ("data_source_type", "Type", ColumnKind::Text),
            ("name", "Name", ColumnKind::Text),
            ("organization", "Organization", ColumnKind::Text),
            ("data_source", "Id", ColumnKind::Text),
            ("created", "Created", ColumnKind::Date),
        ],
    );
    let mut rows = Vec::new();
    for item in items {
        // By day, as the totals are: living at the end of the last day.
        let living = item.lives.iter().find(|(created, deleted)| {
            day(*created) <= last && deleted.is_none_or(|deleted| day(deleted) > last)
        });
        if let Some((created, _)) = living {
            rows.push(vec![
                text(item.category),
                text(item.name),
                text(item.organization),
                text(item.item),
                Cell::Date(day(*created)),
            ]);
        }
    }
    let drill = vec![None; rows.len()];
    Ok((Table::new(header, rows), drill, floor))
}
