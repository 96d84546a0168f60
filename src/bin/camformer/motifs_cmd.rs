//! `camformer motifs`: motif scanning (computed as FIMO does) and motif what-if analyses
//! (insert, ablate, tile, pair, matrix).
//!
//! Positions given as arguments follow the project's one convention
//! (`camformer::input::positions`: construct 18-97 or `r1`-`r80`). Positions in what-if output
//! are 1-based in the 80-bp random region (the column names say `position`; construct =
//! position + 17); `scan` reports positions on the input sequence as given.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camformer::analysis::motif_effects::{self, Edit, Site, Slot, Summary};
use camformer::analysis::motifs::{
    self, Background, Motif, MotifFile, ScanOptions, Scanner, Strand,
};
use camformer::input::positions::parse_in_region;
use camformer::input::records::RecordReader;
use camformer::input::sequence::{RANDOM_LEN, RANDOM_START};
use camformer::{Construct, RecordProblem};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;

use crate::common::{
    IoArgs, ModelArgs, Tally, open_input, open_output, progress, tsv_escape, write_table,
};

#[derive(Subcommand)]
pub enum MotifsCommand {
    /// Scan sequences for motif occurrences, as MEME Suite's FIMO does.
    ///
    /// Both strands, log-odds scores, exact p-values. Writes TSV
    /// `name motif_id start end strand score p_value matched` (1-based positions on the
    /// sequence as given; `matched` reads 5'->3' on the motif's strand). No model needed.
    Scan {
        #[command(flatten)]
        io: IoArgs,
        #[command(flatten)]
        source: MotifSource,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Write a motif site into each sequence's random region and predict the change.
    ///
    /// The site is the motif's consensus, or --site, written at --position. TSV
    /// `name motif_id site strand position reference prediction delta`.
    Insert {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        io: IoArgs,
        #[command(flatten)]
        site: SiteArgs,
        /// Strand the site reads on: + or - (its reverse complement is written).
        #[arg(long, default_value = "+", allow_hyphen_values = true)]
        strand: Strand,
        /// Position of the site's first base: a construct position in the random region
        /// (18-97) or a random-region position with an r (r1-r80), as everywhere.
        #[arg(long, value_parser = parse_in_region)]
        position: usize,
    },
    /// Destroy every motif hit in each sequence's random region and predict the change.
    ///
    /// Each hit is shuffled (seeded; the base composition is kept) or replaced (--replace). TSV
    /// `name motif_id start end strand score p_value edit written reference prediction delta`
    /// (positions 1-based in the random region).
    Ablate {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        io: IoArgs,
        #[command(flatten)]
        source: MotifSource,
        #[command(flatten)]
        scan: ScanArgs,
        /// Replace each hit with this sequence (A, C, G, T, N; as long as the motif) instead of
        /// shuffling it.
        #[arg(long)]
        replace: Option<String>,
        /// Shuffle seed; the k-th hit of a sequence (from 0) is shuffled with seed + k.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Slide a motif site along the random region and predict at every position.
    ///
    /// Both strands by default. TSV `name motif_id site strand position reference prediction delta`.
    Tile {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        io: IoArgs,
        #[command(flatten)]
        site: SiteArgs,
        /// Strands to tile: both, + or -.
        #[arg(long, default_value = "both", allow_hyphen_values = true)]
        strand: String,
    },
    /// Two-motif interaction over many backgrounds: none / A / B / AB and AB - A - B + none.
    ///
    /// Inserts A alone, B alone and both into every background (random 80-bp regions by
    /// default) and reports mean and standard error of the prediction. TSV
    /// `condition sites mean se n`.
    Pair {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        source: MotifSource,
        /// Motif A: id (e.g. MA0320.1) or name (e.g. IME1).
        #[arg(long)]
        motif_a: Option<String>,
        /// Site A instead of motif A's consensus.
        #[arg(long)]
        site_a: Option<String>,
        /// Strand of A: + or -.
        #[arg(long, default_value = "+", allow_hyphen_values = true)]
        strand_a: Strand,
        /// Position of A: construct 18-97 or r1-r80 (default: centred in r1-r40).
        #[arg(long, value_parser = parse_in_region)]
        position_a: Option<usize>,
        /// Motif B: id (e.g. MA0412.3) or name.
        #[arg(long)]
        motif_b: Option<String>,
        /// Site B instead of motif B's consensus.
        #[arg(long)]
        site_b: Option<String>,
        /// Strand of B: + or -.
        #[arg(long, default_value = "+", allow_hyphen_values = true)]
        strand_b: Strand,
        /// Position of B: construct 18-97 or r1-r80 (default: centred in r41-r80).
        #[arg(long, value_parser = parse_in_region)]
        position_b: Option<usize>,
        #[command(flatten)]
        backgrounds: BackgroundArgs,
    },
    /// Pair interactions for every ordered pair of motifs, for a heatmap.
    ///
    /// The row motif goes in the first half of the random region, the column motif in the
    /// second. TSV `motif_a motif_b
    /// position_a position_b n none a b ab interaction interaction_se`.
    Matrix {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        source: MotifSource,
        /// Motif ids or names (repeat the option, or separate with commas).
        #[arg(long = "motif", required = true, value_delimiter = ',')]
        motif: Vec<String>,
        /// Strand the sites read on: + or -.
        #[arg(long, default_value = "+", allow_hyphen_values = true)]
        strand: Strand,
        #[command(flatten)]
        backgrounds: BackgroundArgs,
    },
}

#[derive(Args)]
pub struct MotifSource {
    /// MEME-format motif file (JASPAR's MEME downloads work). Default: the shipped JASPAR 2024
    /// CORE fungi motifs (plus the Camformer paper's UME6 versions when picking motifs by id).
    #[arg(long)]
    motifs: Option<PathBuf>,
}

#[derive(Args)]
pub struct ScanArgs {
    /// Report sites with p-value <= this (FIMO --thresh).
    #[arg(long, default_value_t = motifs::DEFAULT_P_THRESHOLD)]
    pvalue: f64,
    /// Pseudocount added to the motif matrices, spread by the background (FIMO --motif-pseudo).
    #[arg(long, default_value_t = motifs::DEFAULT_PSEUDOCOUNT)]
    pseudocount: f64,
    /// Background: nrdb (FIMO's default), motif (the motif file's), uniform, or frequencies
    /// A,C,G,T.
    #[arg(long, default_value = "nrdb")]
    background: Background,
    /// Scan the given strand only (FIMO --norc).
    #[arg(long)]
    norc: bool,
    /// Only these motifs: ids or names (repeat the option, or separate with commas).
    /// Default: every motif in the file.
    #[arg(long = "motif", value_delimiter = ',')]
    motif: Vec<String>,
}

impl ScanArgs {
    fn options(&self) -> ScanOptions {
        ScanOptions {
            p_threshold: self.pvalue,
            pseudocount: self.pseudocount,
            background: self.background,
            both_strands: !self.norc,
        }
    }
}

#[derive(Args)]
pub struct SiteArgs {
    #[command(flatten)]
    source: MotifSource,
    /// Motif id (e.g. MA0320.1) or name (e.g. IME1); its consensus is the site unless --site
    /// is given.
    #[arg(long)]
    motif: Option<String>,
    /// The site to write (A, C, G, T), read 5'->3' on its strand.
    #[arg(long)]
    site: Option<String>,
}

#[derive(Args)]
pub struct BackgroundArgs {
    /// Backgrounds from this file (FASTA, one per line, or TSV; 80-bp regions or 110-bp
    /// constructs) instead of random ones.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Number of random backgrounds (80 bp, uniform bases, constant flanks) when --input is
    /// not given.
    #[arg(long, default_value_t = 100)]
    backgrounds: usize,
    /// Seed of the random backgrounds.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output TSV; '-' for standard output.
    #[arg(long, default_value = "-")]
    output: PathBuf,
}

pub fn run(command: &MotifsCommand) -> Result<ExitCode> {
    match command {
        MotifsCommand::Scan { io, source, scan } => scan_command(io, source, scan),
        MotifsCommand::Insert {
            model,
            io,
            site,
            strand,
            position,
        } => insert_command(model, io, site, *strand, *position),
        MotifsCommand::Ablate {
            model,
            io,
            source,
            scan,
            replace,
            seed,
        } => ablate_command(model, io, source, scan, replace.as_deref(), *seed),
        MotifsCommand::Tile {
            model,
            io,
            site,
            strand,
        } => tile_command(model, io, site, strand),
        MotifsCommand::Pair {
            model,
            source,
            motif_a,
            site_a,
            strand_a,
            position_a,
            motif_b,
            site_b,
            strand_b,
            position_b,
            backgrounds,
        } => {
            let file = load_lookup(source)?;
            let a = site_from(&file, motif_a.as_deref(), site_a.as_deref(), "A")?;
            let b = site_from(&file, motif_b.as_deref(), site_b.as_deref(), "B")?;
            pair_command(
                model,
                (a, *strand_a, *position_a),
                (b, *strand_b, *position_b),
                backgrounds,
            )
        }
        MotifsCommand::Matrix {
            model,
            source,
            motif,
            strand,
            backgrounds,
        } => matrix_command(model, source, motif, *strand, backgrounds),
    }
}

fn read_motif_file(path: &Path) -> Result<MotifFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read motif file {}", path.display()))?;
    motifs::parse_meme(&text).with_context(|| format!("reading motif file {}", path.display()))
}

/// The motifs to pick from by id: the given file, or all shipped motifs.
fn load_lookup(source: &MotifSource) -> Result<MotifFile> {
    match &source.motifs {
        Some(path) => read_motif_file(path),
        None => Ok(motifs::shipped()?),
    }
}

/// The motifs to scan: the file's (or the shipped JASPAR set), restricted to `names`.
fn scan_motifs(source: &MotifSource, names: &[String]) -> Result<(Vec<Motif>, Option<[f64; 4]>)> {
    let file = match (&source.motifs, names.is_empty()) {
        (Some(path), _) => read_motif_file(path)?,
        (None, true) => motifs::parse_meme(motifs::JASPAR_FUNGI)?,
        (None, false) => motifs::shipped()?,
    };
    let chosen = if names.is_empty() {
        file.motifs.clone()
    } else {
        names
            .iter()
            .map(|n| file.find(n).cloned())
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok((chosen, file.background))
}

/// A site from a motif's consensus or a given sequence.
fn site_from(
    file: &MotifFile,
    motif: Option<&str>,
    site: Option<&str>,
    what: &str,
) -> Result<Site> {
    let motif = motif.map(|m| file.find(m)).transpose()?;
    Ok(match (motif, site) {
        (Some(m), Some(s)) => Site::given(&m.id, s)?,
        (Some(m), None) => Site::consensus(m),
        (None, Some(s)) => Site::given(format!("site {what}").trim_end(), s)?,
        (None, None) => bail!(
            "give a motif (--motif{0}) or a site (--site{0})",
            suffix(what)
        ),
    })
}

fn suffix(what: &str) -> String {
    match what {
        "A" => "-a".into(),
        "B" => "-b".into(),
        _ => String::new(),
    }
}

fn scan_command(io: &IoArgs, source: &MotifSource, args: &ScanArgs) -> Result<ExitCode> {
    let (chosen, file_bg) = scan_motifs(source, &args.motif)?;
    let scanner = Scanner::with_motifs(&chosen, file_bg, args.options())?;
    let mut out = open_output(&io.output)?;
    writeln!(
        out,
        "name\tmotif_id\tstart\tend\tstrand\tscore\tp_value\tmatched"
    )?;
    let bar = progress("sequences");
    let (mut scanned, mut hits) = (0usize, 0usize);
    let mut tally = Tally::default();
    for item in RecordReader::new(open_input(&io.input)?) {
        let rec = match item? {
            Ok(rec) => rec,
            Err(e) => {
                tally.reject(&bar, &e);
                continue;
            }
        };
        // Scanning takes the sequence as given (any length); N is allowed and, as in FIMO,
        // no window containing it is scored.
        if let Some((i, c)) = rec
            .sequence
            .char_indices()
            .find(|(_, c)| !matches!(c.to_ascii_uppercase(), 'A' | 'C' | 'G' | 'T' | 'N'))
        {
            let position = rec.sequence[..i].chars().count() + 1;
            tally.reject(
                &bar,
                &rec.error(RecordProblem::InvalidBase { base: c, position }),
            );
            continue;
        }
        let name = tsv_escape(&rec.name);
        for hit in scanner.scan(rec.sequence.as_bytes()) {
            writeln!(
                out,
                "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                scanner.pssms()[hit.motif].id(),
                hit.start,
                hit.end,
                hit.strand,
                motifs::format_g(hit.score, 6),
                motifs::format_g(hit.p_value, 3),
                hit.matched
            )?;
            hits += 1;
        }
        scanned += 1;
        bar.inc(1);
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!(
        "camformer motifs scan: {scanned} sequences scanned with {} motifs, {hits} hits \
         (p <= {}), {} rejected",
        scanner.pssms().len(),
        args.pvalue,
        tally.rejected
    );
    Ok(ExitCode::SUCCESS)
}

fn insert_command(
    model: &ModelArgs,
    io: &IoArgs,
    args: &SiteArgs,
    strand: Strand,
    position: usize,
) -> Result<ExitCode> {
    let file = load_lookup(&args.source)?;
    let site = site_from(&file, args.motif.as_deref(), args.site.as_deref(), "")?;
    let edit = Edit::insert(&site, strand, position)?;
    let predictor = model.load()?;
    let header = "name\tmotif_id\tsite\tstrand\tposition\treference\tprediction\tdelta";
    write_table(io, header, |p, out| {
        let result = motif_effects::what_if(&predictor, &p.construct, vec![edit.clone()])?;
        let effect = &result.effects[0];
        writeln!(
            out,
            "{}\t{}\t{}\t{strand}\t{position}\t{:.6}\t{:.6}\t{:.6}",
            tsv_escape(&p.record.name),
            site.label,
            site.bases,
            result.reference,
            effect.prediction,
            effect.delta
        )?;
        Ok(())
    })
}

fn ablate_command(
    model: &ModelArgs,
    io: &IoArgs,
    source: &MotifSource,
    args: &ScanArgs,
    replace: Option<&str>,
    seed: u64,
) -> Result<ExitCode> {
    let (chosen, file_bg) = scan_motifs(source, &args.motif)?;
    let scanner = Scanner::with_motifs(&chosen, file_bg, args.options())?;
    if let Some(r) = replace {
        let widths: Vec<usize> = scanner.pssms().iter().map(|p| p.width()).collect();
        if widths.iter().any(|&w| w != r.trim().len()) {
            bail!(
                "--replace is {} bp but the motifs are {:?} bp wide: scan one motif width at a \
                 time (--motif) with a replacement of that length",
                r.trim().len(),
                widths
            );
        }
    }
    let predictor = model.load()?;
    let header = "name\tmotif_id\tstart\tend\tstrand\tscore\tp_value\tedit\twritten\treference\tprediction\tdelta";
    write_table(io, header, |p, out| {
        // Hits in the random region only: that is where edits are allowed (and what the
        // paper scanned).
        let region = &p.construct.bases()[RANDOM_START..RANDOM_START + RANDOM_LEN];
        let hits = scanner.scan(region);
        if hits.is_empty() {
            return Ok(());
        }
        let edits = hits
            .iter()
            .enumerate()
            .map(|(k, h)| match replace {
                Some(r) => Edit::replace(h.start, r),
                None => Edit::shuffle(
                    &p.construct,
                    h.start,
                    h.end - h.start + 1,
                    seed.wrapping_add(k as u64),
                ),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let result = motif_effects::what_if(&predictor, &p.construct, edits)?;
        let name = tsv_escape(&p.record.name);
        for (hit, effect) in hits.iter().zip(&result.effects) {
            writeln!(
                out,
                "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.6}\t{:.6}\t{:.6}",
                scanner.pssms()[hit.motif].id(),
                hit.start,
                hit.end,
                hit.strand,
                motifs::format_g(hit.score, 6),
                motifs::format_g(hit.p_value, 3),
                effect.edit.label,
                effect.edit.bases,
                result.reference,
                effect.prediction,
                effect.delta
            )?;
        }
        Ok(())
    })
}

fn tile_command(model: &ModelArgs, io: &IoArgs, args: &SiteArgs, strand: &str) -> Result<ExitCode> {
    let strands = match strand {
        "both" | "+-" | "-+" => vec![Strand::Plus, Strand::Minus],
        one => vec![one.parse::<Strand>()?],
    };
    let file = load_lookup(&args.source)?;
    let site = site_from(&file, args.motif.as_deref(), args.site.as_deref(), "")?;
    motif_effects::tile_edits(&site, &strands)?; // reject a site that cannot fit before loading
    let predictor = model.load()?;
    let header = "name\tmotif_id\tsite\tstrand\tposition\treference\tprediction\tdelta";
    write_table(io, header, |p, out| {
        let tiling = motif_effects::tile(&predictor, &p.construct, &site, &strands)?;
        let name = tsv_escape(&p.record.name);
        for point in &tiling.points {
            writeln!(
                out,
                "{name}\t{}\t{}\t{}\t{}\t{:.6}\t{:.6}\t{:.6}",
                site.label,
                site.bases,
                point.strand,
                point.position,
                tiling.reference,
                point.prediction,
                point.delta
            )?;
        }
        Ok(())
    })
}

/// The backgrounds of a pair analysis: the input file's sequences or seeded random regions.
fn load_backgrounds(args: &BackgroundArgs) -> Result<Vec<Construct>> {
    let Some(path) = &args.input else {
        if args.backgrounds == 0 {
            bail!("--backgrounds must be at least 1");
        }
        return Ok(motif_effects::random_backgrounds(
            args.backgrounds,
            args.seed,
        ));
    };
    let mut out = Vec::new();
    let bar = ProgressBar::hidden();
    let mut tally = Tally::default();
    for item in RecordReader::new(open_input(path)?) {
        match item?.and_then(|rec| rec.prepare()) {
            Ok(p) => {
                tally.note_adjusted(&bar, &p);
                out.push(p.construct);
            }
            Err(e) => tally.reject(&bar, &e),
        }
    }
    if out.is_empty() {
        bail!("no usable background sequence in {}", path.display());
    }
    eprintln!(
        "camformer motifs: {} backgrounds from {} ({} rejected, {} adjusted)",
        out.len(),
        path.display(),
        tally.rejected,
        tally.adjusted
    );
    Ok(out)
}

fn summary_cells(s: &Summary) -> String {
    format!("{:.6}\t{:.6}\t{}", s.mean, s.se, s.n)
}

fn pair_command(
    model: &ModelArgs,
    (a, strand_a, position_a): (Site, Strand, Option<usize>),
    (b, strand_b, position_b): (Site, Strand, Option<usize>),
    args: &BackgroundArgs,
) -> Result<ExitCode> {
    let position_a = match position_a {
        Some(p) => p,
        None => Slot::A.position(a.len())?,
    };
    let position_b = match position_b {
        Some(p) => p,
        None => Slot::B.position(b.len())?,
    };
    let edit_a = Edit::insert(&a, strand_a, position_a)?;
    let edit_b = Edit::insert(&b, strand_b, position_b)?;
    let backgrounds = load_backgrounds(args)?;
    // Checks the placements (overlap) before the model is loaded.
    motif_effects::pair_batch(&backgrounds[..1], &edit_a, &edit_b)?;
    let predictor = model.load()?;
    let result = motif_effects::pair(&predictor, &backgrounds, edit_a, edit_b)?;
    let describe = |e: &Edit| format!("{} at {}-{} ({})", e.label, e.position, e.end(), e.bases);
    let mut out = open_output(&args.output)?;
    writeln!(out, "condition\tsites\tmean\tse\tn")?;
    writeln!(out, "none\t-\t{}", summary_cells(&result.none))?;
    writeln!(
        out,
        "A\t{}\t{}",
        describe(&result.a),
        summary_cells(&result.with_a)
    )?;
    writeln!(
        out,
        "B\t{}\t{}",
        describe(&result.b),
        summary_cells(&result.with_b)
    )?;
    writeln!(
        out,
        "AB\t{} + {}\t{}",
        describe(&result.a),
        describe(&result.b),
        summary_cells(&result.with_ab)
    )?;
    writeln!(
        out,
        "interaction\tAB - A - B + none\t{}",
        summary_cells(&result.interaction)
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn matrix_command(
    model: &ModelArgs,
    source: &MotifSource,
    names: &[String],
    strand: Strand,
    args: &BackgroundArgs,
) -> Result<ExitCode> {
    let file = load_lookup(source)?;
    let sites = names
        .iter()
        .map(|n| Ok(Site::consensus(file.find(n)?)))
        .collect::<Result<Vec<_>>>()?;
    let backgrounds = load_backgrounds(args)?;
    // Checks that every site fits its slot before the model is loaded.
    motif_effects::pair_matrix_batch(&backgrounds[..1], &sites, strand)?;
    let predictor = model.load()?;
    let matrix = motif_effects::pair_matrix(&predictor, &backgrounds, &sites, strand)?;
    let mut out = open_output(&args.output)?;
    writeln!(
        out,
        "motif_a\tmotif_b\tposition_a\tposition_b\tn\tnone\ta\tb\tab\tinteraction\tinteraction_se"
    )?;
    for (i, row) in matrix.pairs.iter().enumerate() {
        for (j, r) in row.iter().enumerate() {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{:.6}",
                matrix.sites[i].label,
                matrix.sites[j].label,
                r.a.position,
                r.b.position,
                r.none.n,
                r.none.mean,
                r.with_a.mean,
                r.with_b.mean,
                r.with_ab.mean,
                r.interaction.mean,
                r.interaction.se
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
