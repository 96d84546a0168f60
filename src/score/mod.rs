//! The score layer: judging predictions against measured values.
//!
//! Scoring needs numbers, not a model: this layer names only [`crate::error`] and
//! [`crate::input`], so that predictions from any source (this crate, another model's output
//! file) are scored by the same code.
//!
//! - [`metrics`]: Pearson and Spearman correlations.
//! - [`dream`]: the official score of the Random Promoter DREAM Challenge 2022.

pub mod dream;
pub mod metrics;
