//! The charts drawn from hand-built tables, read back as XML.

mod charts;
