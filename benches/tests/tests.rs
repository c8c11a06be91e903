//! Checks of the workspace as a whole. They live in `tally-benches`, the one
//! package that is never shipped and already builds against the whole workspace.

mod codemap;
