//! The layout of a DREAM promoter construct: its lengths, flanks and the limits on input.
//!
//! These are facts about the data, below every other module: the error type prints them in its
//! messages and the input layer builds constructs with them. They are re-exported from
//! the input layer's sequence module, which is where users find them; this module is private
//! so that each constant has one public path.

/// Length of a full promoter construct.
pub const CONSTRUCT_LEN: usize = 110;
/// Length of the random region between the flanks.
pub const RANDOM_LEN: usize = 80;
/// Constant 5' flank of the DREAM constructs.
pub const FLANK_5: &str = "TGCATTTTTTTCACATC";
/// Constant 3' flank of the DREAM constructs.
pub const FLANK_3: &str = "GGTTACGGCTGTT";
/// 0-based start of the random region in the construct.
pub const RANDOM_START: usize = FLANK_5.len();
/// How far from 110 bp a sequence may be and still be padded or truncated.
pub const LENGTH_TOLERANCE: usize = 3;
/// Most `N` bases a sequence may contain (Camformer's training filter).
pub const MAX_N: usize = 3;
