//! Sample requests: each fact the rules read takes a value drawn at random from
//! its classes (the values the rules tell apart), so that a sample exercises the
//! rules' whole range rather than a few hand-written requests. For load tests,
//! benchmarks and replays at scale; reproducible from a seed.

use jiff::civil::Date;
use serde_json::Value as Json;

use crate::check::Program;

use super::space::Space;

/// An endless stream of requests on one date, every fact the rules read given (a
/// class with a value, never left out).
pub struct Sampler {
    space: Space,
    /// Per fact, the classes that have a value.
    present: Vec<Vec<usize>>,
    as_of: Date,
    state: u64,
}

impl Sampler {
    pub fn new(program: &Program, as_of: Date, seed: u64) -> Sampler {
        let space = Space::new(&[program], &[as_of]);
        let present = space
            .facts
            .iter()
            .map(|fact| {
                (0..fact.values.len()).filter(|class| fact.values.get(*class).is_some_and(Option::is_some)).collect()
            })
            .collect();
        Sampler { space, present, as_of, state: seed }
    }
}

impl Iterator for Sampler {
    type Item = Json;

    fn next(&mut self) -> Option<Json> {
        let classes: Vec<usize> = self
            .present
            .iter()
            .map(|classes| {
                let pick = (next(&mut self.state) % classes.len().max(1) as u64) as usize;
                classes.get(pick).copied().unwrap_or_default()
            })
            .collect();
        Some(self.space.witness_json_complete(&classes, self.as_of))
    }
}

/// `count` requests of a [`Sampler`].
pub fn requests(program: &Program, as_of: Date, count: usize, seed: u64) -> Vec<Json> {
    Sampler::new(program, as_of, seed).take(count).collect()
}

/// splitmix64: a small, well-mixed generator, enough for sampling.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
