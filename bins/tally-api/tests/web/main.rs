//! End-to-end tests of the web dashboard: headless Chromium, driven over
//! WebDriver, signed in to the real `tally-api` serving the demo database on
//! loopback, beside the real ingest daemon.

#[allow(dead_code)]
#[path = "../common.rs"]
mod common;
mod support;

mod audit;
mod chain;
mod dashboard;
mod every_page;
mod monitor;
mod reports;
mod session;
