//! Tests of the seat rule, one module per part of `docs/seats.md`.

mod common;

mod figures;
mod properties;
mod rule;
