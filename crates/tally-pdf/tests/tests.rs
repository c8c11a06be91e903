//! PDFs of hand-built reports, read back with poppler-utils.

mod pdf;
