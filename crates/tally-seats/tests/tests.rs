//! Tests of the seat rule, one module per part of `docs/seats.md`.

mod common;

mod properties;
mod readings;
mod rule;
