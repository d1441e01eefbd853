#![allow(clippy::unwrap_used, clippy::expect_used)]
// Tests may unwrap: a failure here is a test failure, not a user-facing error.

//! heron-mime's integration tests: the fixture corpus, the hostile HTML list and the
//! inputs the fuzz target once failed on.

mod corpus;
mod fuzz_regressions;
mod hostile;
mod parts;
