//! Tests of the identity matcher, one module per part of `docs/identity.md`.

mod common;

mod generic;
mod normalisation;
mod properties;
mod rules;
mod unique_users;
