//! `camformer score`: the official DREAM 2022 score of a predictions file, on the public
//! leaderboard and, as far as the measured file and pair lists allow, the private one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camformer::score::dream::{
    Alignment, FLAG_SUBSETS, PAIR_SUBSETS, PairRule, Predictions, Report, SUBSETS, Scorer,
    SubsetScore, TEST_SIZE, TestSet,
};
use clap::{Args, ValueEnum};

/// Arguments of `camformer score`.
#[derive(Args)]
pub struct ScoreArgs {
    /// Predictions for the DREAM test set: one number per line in test order, idx<TAB>prediction
    /// lines, or a TSV whose header names `prediction` and `idx` (or `name`, as `camformer
    /// predict` writes for the DREAM test TSV). Plain text (gzip is not read).
    #[arg(long)]
    predictions: PathBuf,
    /// Measured values: the challenge's test file (seq<TAB>expr, test order), or a TSV whose
    /// header names `idx`, `expr` and optionally the subset flags high, low, yeast, random,
    /// challenging and public (as dream_test_dev.tsv). Plain text: decompress .gz files first.
    #[arg(long)]
    measured: PathBuf,
    /// Directory with the challenge's public_leaderboard/*.json files (default: the copy
    /// compiled in).
    #[arg(long)]
    public_leaderboard: Option<PathBuf>,
    /// Directory with pair lists for the private paired subsets: pairs_SNVs*.tsv,
    /// pairs_motif_perturbation*.tsv, pairs_motif_tiling*.tsv (alt_pos, ref_pos, public).
    #[arg(long)]
    pairs_dir: Option<PathBuf>,
    /// Which private pairs to keep: any-public-index drops a pair when either sequence is in a
    /// public file (the stated rule; it leaves no private motif pair, since every motif
    /// reference is public); public-pair drops it only when the pair is listed publicly or its
    /// alternative sequence is public.
    #[arg(long, value_enum, default_value = "any-public-index")]
    pair_rule: PairRuleArg,
}

/// [`PairRule`] on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PairRuleArg {
    /// Drop a pair when either of its sequences appears in a public file.
    AnyPublicIndex,
    /// Drop a pair only when it is listed publicly or its alternative sequence is public.
    PublicPair,
}

/// Reads a plain-text file, refusing gzip with a clear message (`flate2` is not a dependency
/// of this crate, so compressed input is not read).
fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        bail!(
            "{} is gzip-compressed; camformer score reads plain text only: decompress it first \
             (gunzip -k {})",
            path.display(),
            path.display()
        );
    }
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Pair lists of `dir` for each paired subset, `pairs_<subset>*.tsv`, in name order.
fn pair_files(dir: &Path) -> Result<Vec<(&'static str, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".tsv") {
            continue;
        }
        if let Some(&subset) = PAIR_SUBSETS
            .iter()
            .find(|s| name.starts_with(&format!("pairs_{s}")))
        {
            files.push((subset, path));
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

/// Runs `camformer score`.
pub fn score(args: &ScoreArgs) -> Result<ExitCode> {
    let public = match &args.public_leaderboard {
        Some(dir) => Scorer::from_public_leaderboard_dir(dir)
            .with_context(|| format!("reading the public leaderboard in {}", dir.display()))?,
        None => Scorer::shipped_public_leaderboard()?,
    };
    let mut test = TestSet::parse(&read_text(&args.measured)?)
        .with_context(|| format!("reading {}", args.measured.display()))?;
    let mut approximate_pairs = Vec::new();
    if let Some(dir) = &args.pairs_dir {
        let files = pair_files(dir)?;
        if files.is_empty() {
            bail!(
                "{} holds no pairs_SNVs*.tsv, pairs_motif_perturbation*.tsv or \
                 pairs_motif_tiling*.tsv",
                dir.display()
            );
        }
        for (subset, path) in files {
            let n = test
                .add_pairs(subset, &read_text(&path)?)
                .with_context(|| format!("reading {}", path.display()))?;
            eprintln!("camformer: {subset}: {n} pairs from {}", path.display());
            if path.to_string_lossy().contains("approx") {
                approximate_pairs.push(subset);
            }
        }
    }

    let predictions = Predictions::parse(&read_text(&args.predictions)?)
        .with_context(|| format!("reading {}", args.predictions.display()))?;
    let (values, alignment) = predictions
        .resolve(&test)
        .with_context(|| format!("reading {}", args.predictions.display()))?;
    eprintln!(
        "camformer: {} predictions, {}; {} measured values",
        predictions.len(),
        match alignment {
            Alignment::ByIndex => "matched by test index".to_string(),
            Alignment::TestOrder => format!("line k = test index k (0..{TEST_SIZE})"),
            Alignment::MeasuredOrder => "line k = row k of the measured file".to_string(),
        },
        test.len()
    );
    let missing = predictions.missing_lines();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(ToString::to_string).collect();
        eprintln!(
            "camformer: {} predictions are NA and count as missing (lines {}{})",
            missing.len(),
            shown.join(", "),
            if missing.len() > 10 { ", ..." } else { "" }
        );
    }
    let get = |i: usize| values.get(&i).copied();

    println!("DREAM 2022 official score (weights sum to 4.65; paired subsets correlate alt - ref)");
    println!();
    println!("Public leaderboard (the challenge's public files; 'all' = its 9,045 sequences)");
    let public_ok = match public.score(get) {
        Ok(report) => {
            print_table(&public, &report.subsets, Some(&report));
            println!(
                "published, public leaderboard: LegNet (autosome.org, final submission) \
                 PearsonScore 0.829, SpearmanScore 0.860, all r² 0.952, all ρ 0.979"
            );
            true
        }
        Err(e) => {
            println!("  not scored: {e}");
            false
        }
    };
    let rule = match args.pair_rule {
        PairRuleArg::AnyPublicIndex => PairRule::AnyPublicIndex,
        PairRuleArg::PublicPair => PairRule::PublicPair,
    };
    println!();
    println!(
        "Private leaderboard (public sequences dropped; pairs: {}; from {})",
        match rule {
            PairRule::AnyPublicIndex => "dropped when either sequence is public",
            PairRule::PublicPair => "dropped when the pair or its alternative is public",
        },
        args.measured.display()
    );
    let private = test.private_scorer_with(&public, rule)?;
    let private_ok = match private.subset_scores(get) {
        Ok(subsets) => {
            let report = if private.is_complete() {
                Some(private.score(get)?)
            } else {
                None
            };
            print_table(&private, &subsets, report.as_ref());
            for (name, _) in SUBSETS {
                if private.subsets().any(|(n, _)| n == name) {
                    continue;
                }
                let why = if FLAG_SUBSETS.contains(&name) {
                    if test.flag_subsets().any(|n| n == name) {
                        "no private rows"
                    } else {
                        "the measured file has no such column"
                    }
                } else if test.pair_subsets().any(|n| n == name) {
                    match rule {
                        PairRule::AnyPublicIndex => {
                            "every pair has a public sequence or lacks a measured value; see \
                             --pair-rule"
                        }
                        PairRule::PublicPair => "no private pair with both values measured",
                    }
                } else {
                    "no pair list (--pairs-dir)"
                };
                println!("  {name}: not scored ({why})");
            }
            if report.is_none() {
                println!(
                    "  PearsonScore / SpearmanScore: not computed (they weight all nine subsets)"
                );
            }
            for subset in &approximate_pairs {
                println!(
                    "  note: {subset} pairs come from a reconstruction (a file named *approx*), \
                     not the official private list"
                );
            }
            true
        }
        Err(e) => {
            println!("  not scored: {e}");
            false
        }
    };
    println!();
    println!(
        "published, Camformer paper (all 71,103 test sequences, unweighted, mean of 10 seeds): \
         Original r² 0.914, ρ 0.962; Mini r² 0.898, ρ 0.952"
    );
    if public_ok || private_ok {
        Ok(ExitCode::SUCCESS)
    } else {
        bail!("neither leaderboard could be scored")
    }
}

/// One leaderboard's table: per subset n, r, r², ρ; then the weighted scores when known.
fn print_table(scorer: &Scorer, subsets: &[(String, SubsetScore)], report: Option<&Report>) {
    println!(
        "  {:<20} {:>6} {:>7} {:>9} {:>8} {:>10}",
        "subset", "weight", "n", "pearson_r", "r²", "spearman"
    );
    for ((name, s), (_, data)) in subsets.iter().zip(scorer.subsets()) {
        let weight = SUBSETS
            .iter()
            .find(|w| w.0 == name)
            .map_or(f64::NAN, |w| w.1);
        let unit = match data {
            camformer::score::dream::SubsetData::Single(_) => "",
            camformer::score::dream::SubsetData::Pairs(_) => " pairs",
        };
        println!(
            "  {:<20} {:>6.2} {:>7} {:>9.4} {:>8.4} {:>10.4}{unit}",
            name,
            weight,
            s.n,
            s.pearson,
            s.pearson * s.pearson,
            s.spearman
        );
    }
    if let Some(r) = report {
        println!("  {:<20}{:>34.4}", "PearsonScore", r.pearson_score);
        println!("  {:<20}{:>45.4}", "SpearmanScore", r.spearman_score);
    }
}
