//! Invariants over arbitrary text: what CSV and JSON read back.

use proptest::prelude::*;
use tally_report::{
    Cell, Column, ColumnKind, Format, Table, TableHeader, WriteOptions, write_table,
};

fn notes_table(notes: &[String]) -> Table {
    let header = TableHeader::new(
        "Notes",
        vec![
            Column::new("note", "Note", ColumnKind::Text),
            Column::new("number", "Number", ColumnKind::Integer),
        ],
    );
    let rows = notes
        .iter()
        .enumerate()
        .map(|(index, note)| vec![Cell::Text(note.clone()), Cell::Integer(index as i64)])
        .collect();
    Table::new(header, rows)
}

/// Text of any characters, biased towards the ones CSV and formulas care about.
fn note() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[=+@\t\r\n\",' a-]{0,8}"]
}

proptest! {
    #[test]
    fn csv_reads_back_as_written_with_formulas_quoted(notes in prop::collection::vec(note(), 0..8)) {
        let mut out = Vec::new();
        write_table(Format::Csv, &notes_table(&notes), &WriteOptions::default(), &mut out).unwrap();
        let mut reader = csv::ReaderBuilder::new().from_reader(out.as_slice());
        prop_assert_eq!(reader.headers().unwrap(), vec!["note", "number"]);
        let read: Vec<(String, String)> =
            reader.records().map(|record| record.unwrap()).map(|record| (record[0].to_owned(), record[1].to_owned())).collect();
        // docs/reports.md: text starting with = + - @ tab or CR gets a `'`.
        let expected: Vec<(String, String)> = notes
            .iter()
            .enumerate()
            .map(|(index, note)| {
                let shown = if note.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{note}") } else { note.clone() };
                (shown, index.to_string())
            })
            .collect();
        prop_assert_eq!(read, expected);
    }

    #[test]
    fn json_reads_back_exactly(notes in prop::collection::vec(note(), 0..8)) {
        let mut out = Vec::new();
        write_table(Format::Json, &notes_table(&notes), &WriteOptions::default(), &mut out).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let read: Vec<String> = parsed["rows"].as_array().unwrap().iter().map(|row| row["note"].as_str().unwrap().to_owned()).collect();
        prop_assert_eq!(read, notes);
    }
}
