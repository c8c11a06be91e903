//! Integration tests of `tally-events`, one binary with a module per concern.

mod batches;
mod canonical;
mod docs_examples;
mod proptests;
mod rejections;
