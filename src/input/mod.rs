//! The input layer: what users give the model, up to the numbers it reads.
//!
//! This layer owns the rules for sequences (which characters, which lengths, how a bare random
//! region gets its flanks) and the file formats they come in, so the CLI and the browser accept
//! and reject exactly the same inputs with the same messages. It knows nothing about models:
//! it names only [`crate::error`] (and the private layout constants below it).
//!
//! - [`records`] reads FASTA, TSV/CSV tables (header optional) and one-sequence-per-line text.
//! - [`sequence`] checks one sequence and turns it into the 110-bp [`sequence::Construct`].
//! - [`encoding`] turns a construct into the numbers of the network's input.
//! - [`positions`] reads and writes positions with one convention (construct 1-110, `r1`-`r80`).

pub mod encoding;
pub mod positions;
pub mod records;
pub mod sequence;
