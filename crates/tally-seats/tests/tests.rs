//! Tests of the seat rule, one module per part of `docs/seats.md`.

mod common;

mod instants;
mod properties;
mod readings;
mod rule;
