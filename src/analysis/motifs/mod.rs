//! Transcription-factor motifs: reading MEME-format motif files and scanning sequences for
//! motif occurrences with log-odds scores and exact p-values, computed as MEME Suite's FIMO
//! computes them, so that results agree with FIMO's on the same input.
//!
//! - [`parse_meme`] reads a motif file (JASPAR distributes its matrices in this format).
//! - [`Scanner`] builds each motif's integer scoring matrix and exact p-value table
//!   ([`Pssm`]) and scans both strands; [`ScanOptions`] holds FIMO's settings (p-value
//!   threshold 1e-4, pseudocount 0.1, background). See [`scan`] for the
//!   algorithm step by step.
//! - [`JASPAR_FUNGI`] and [`PAPER_MOTIFS`] are the motif files shipped with the app, compiled
//!   in so the browser works offline.
//!
//! The background follows FIMO's default, MEME Suite's built-in non-redundant-database
//! frequencies ([`Background::Nrdb`]), not the uniform `Background letter frequencies` line
//! that JASPAR files carry: that is what FIMO does when run without `--bfile`, and what the
//! Camformer authors' FIMO runs used. [`Background::MotifFile`] takes the file's line
//! instead (FIMO `--bfile --motif--`).
//!
//! ```
//! use camformer::analysis::motifs::{self, Scanner, ScanOptions};
//! let file = motifs::parse_meme(motifs::PAPER_MOTIFS).unwrap();
//! let scanner = Scanner::new(&file, ScanOptions::default()).unwrap();
//! let hits = scanner.scan(b"TTTCCGCCGAGTTT");
//! let best = hits.iter().min_by(|a, b| a.p_value.total_cmp(&b.p_value)).unwrap();
//! assert_eq!(scanner.pssms()[best.motif].id(), "MA0320.1"); // IME1
//! assert_eq!((best.start, best.end, best.matched.as_str()), (4, 11, "CCGCCGAG"));
//! assert_eq!(motifs::format_g(best.score, 6), "15.9143"); // FIMO prints 15.9143
//! assert_eq!(motifs::format_g(best.p_value, 3), "8.13e-06"); // and 8.13e-06
//! ```

mod meme;
pub mod scan;

pub use meme::{LETTERS, Motif, MotifFile, parse_meme};
pub use scan::{
    Background, DEFAULT_P_THRESHOLD, DEFAULT_PSEUDOCOUNT, Hit, Pssm, ScanOptions, Scanner, Strand,
    complement, format_g, reverse_complement,
};

use crate::error::Error;

/// JASPAR 2024 CORE fungi, non-redundant (178 motifs), MEME format: the default motif set.
/// Source and licence (CC BY 4.0): `models/motifs/README.md`.
pub const JASPAR_FUNGI: &str =
    include_str!("../../../models/motifs/JASPAR2024_CORE_fungi_non-redundant.meme");

/// The Camformer paper's motifs: IME1 `MA0320.1` and UME6 `MA0412.1`, `MA0412.2`,
/// `MA0412.3` (JASPAR 2024), MEME format.
pub const PAPER_MOTIFS: &str = include_str!("../../../models/motifs/camformer_paper_motifs.meme");

/// The shipped motifs in one file: the JASPAR fungi set followed by the paper motifs it lacks
/// (the older UME6 versions), for looking motifs up by id or name.
pub fn shipped() -> Result<MotifFile, Error> {
    let mut all = parse_meme(JASPAR_FUNGI)?;
    for m in parse_meme(PAPER_MOTIFS)?.motifs {
        if !all.motifs.iter().any(|have| have.id == m.id) {
            all.motifs.push(m);
        }
    }
    Ok(all)
}
