//! Fuzz entry points (shared with the corpus replay test in
//! host-driver/tests/fuzz_corpus.rs, which includes `entry.rs` by path).

#[path = "entry.rs"]
mod entry;
pub use entry::*;
