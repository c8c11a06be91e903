//! Tests of the table writers, one module per format, as `docs/reports.md`
//! describes them.

mod common;

mod csv_output;
mod docs_example;
mod errors;
mod json_output;
mod properties;
mod streaming;
mod xlsx_output;
