//! Reasoning about requests nobody wrote down.
//!
//! - [`domain`]: every fact's values cut into the finitely many classes the
//!   rules can tell apart, one representative value each;
//! - [`depend`]: which facts a request left out would change a single-valued
//!   outcome, found by evaluating every combination of their classes with the
//!   real evaluator (`tenet eval` marks such a decision provisional; `--ask`
//!   names the fewest facts that settle it).

pub mod analyze;
pub mod depend;
pub mod domain;
pub mod report;
pub mod sample;
pub mod space;
pub mod symbolic;
