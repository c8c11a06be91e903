//! A chart's figures, read out of its table: the categories in row order and
//! one series of values per value column, or per distinct value of the
//! series column for a table in long form.

use tally_report::{Cell, Chart, Table};

use crate::is_percentage;

/// What a chart draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The title of the category column (the axis under the plot).
    pub category_title: String,
    /// The title of the values (the axis beside the plot): the value
    /// column's title when there is one, empty otherwise.
    pub value_title: String,
    /// Whether values are percentages (a fraction is scaled to percent).
    pub percentage: bool,
    /// The categories, in the order of their first row.
    pub categories: Vec<String>,
    /// The series, in the order of their first row or of the value columns.
    pub series: Vec<Series>,
}

/// One series: a value per category, `None` where the table has none (drawn
/// as a gap, never as zero).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The series' name in the legend.
    pub name: String,
    /// One value per category.
    pub values: Vec<Option<f64>>,
}

impl Plot {
    /// Reads `chart`'s figures from `table`, whose header has been checked.
    pub fn of(table: &Table, chart: &Chart) -> Plot {
        let header = &table.header;
        let index = |name: &str| header.column_index(name).expect("a checked chart column");
        let category = index(&chart.category);
        let values: Vec<usize> = chart.values.iter().map(|name| index(name)).collect();
        let percentage = values.iter().all(|value| is_percentage(header.columns[*value].kind));
        let mut categories: Vec<String> = Vec::new();
        let position = |categories: &mut Vec<String>, label: String| match categories
            .iter()
            .position(|known| *known == label)
        {
            Some(found) => found,
            None => {
                categories.push(label);
                categories.len() - 1
            }
        };
        let mut series: Vec<Series> = match &chart.series {
            Some(_) => Vec::new(),
            None => values
                .iter()
                .map(|value| Series { name: header.columns[*value].title.clone(), values: vec![] })
                .collect(),
        };
        for row in &table.rows {
            let at = position(&mut categories, label(&row[category]));
            match &chart.series {
                Some(name) => {
                    let name = label(&row[index(name)]);
                    let slot = match series.iter().position(|known| known.name == name) {
                        Some(found) => found,
                        None => {
                            series.push(Series { name, values: Vec::new() });
                            series.len() - 1
                        }
                    };
                    put(&mut series[slot], at, number(&row[values[0]]));
                }
                None => {
                    for (slot, value) in values.iter().enumerate() {
                        put(&mut series[slot], at, number(&row[*value]));
                    }
                }
            }
        }
        for one in &mut series {
            one.values.resize(categories.len(), None);
        }
        let value_title = match (&chart.series, values.as_slice()) {
            (Some(_), [value]) | (None, [value]) => header.columns[*value].title.clone(),
            _ => String::new(),
        };
        Plot {
            category_title: header.columns[category].title.clone(),
            value_title,
            percentage,
            categories,
            series,
        }
    }

    /// The largest value drawn: of one value for lines and bars, of a
    /// category's sum for stacked bars.
    pub fn largest(&self, stacked: bool) -> f64 {
        let mut largest: f64 = 0.0;
        for at in 0..self.categories.len() {
            let values = self.series.iter().filter_map(|series| series.values[at]);
            let value = if stacked {
                values.filter(|value| *value > 0.0).sum()
            } else {
                values.fold(0.0, f64::max)
            };
            largest = largest.max(value);
        }
        largest
    }
}

/// Sets the value of `series` at category `at`; a category met twice for the
/// same series adds up.
fn put(series: &mut Series, at: usize, value: Option<f64>) {
    if series.values.len() <= at {
        series.values.resize(at + 1, None);
    }
    series.values[at] = match (series.values[at], value) {
        (Some(held), Some(more)) => Some(held + more),
        (held, None) => held,
        (None, more) => more,
    };
}

/// A cell as a category or series label.
fn label(cell: &Cell) -> String {
    match cell {
        Cell::Empty => "(none)".to_owned(),
        Cell::Text(text) => text.clone(),
        Cell::Integer(value) => value.to_string(),
        Cell::Decimal(value) | Cell::Percentage(value) => value.to_string(),
        Cell::Percent(value) => (value * 100.0).to_string(),
        Cell::Date(date) => date.to_string(),
        Cell::DateTime(at) => at.to_rfc3339(),
    }
}

/// A cell as a value to draw; a fraction becomes percent.
fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Integer(value) => Some(*value as f64),
        Cell::Decimal(value) | Cell::Percentage(value) => Some(*value),
        Cell::Percent(value) => Some(value * 100.0),
        Cell::Empty | Cell::Text(_) | Cell::Date(_) | Cell::DateTime(_) => None,
    }
}
