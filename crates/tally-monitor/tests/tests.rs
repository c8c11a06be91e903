//! Integration tests of the live usage monitor.
