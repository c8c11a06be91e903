//! Integration tests of the live usage monitor, with a controlled clock: every
//! "now" is an argument, so each instant below is exact.

mod common;

mod figures;
mod rollover;
mod scope;
mod stream;
mod top;
mod tracking;
