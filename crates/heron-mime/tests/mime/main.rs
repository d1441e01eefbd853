#![allow(clippy::unwrap_used, clippy::expect_used)]
// Tests may unwrap: a failure here is a test failure, not a user-facing error.

//! heron-mime's integration tests: the fixture corpus and the hostile HTML list.

mod corpus;
mod hostile;
mod parts;
