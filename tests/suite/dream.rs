//! The official DREAM score reproduces published leaderboard numbers.

use std::collections::HashMap;

use camformer::score::dream::Scorer;

use super::common::data;

fn public_scorer() -> Scorer {
    Scorer::from_public_leaderboard_dir(&data("dream_public")).unwrap()
}

/// Column `model` of the reference predictions for the public rows, by test index.
fn reference_predictions(model: &str) -> HashMap<usize, f64> {
    let text =
        std::fs::read_to_string(data("dream_public/reference_predictions_public.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = header.iter().position(|h| *h == model).unwrap();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].parse().unwrap(), f[col].parse().unwrap())
        })
        .collect()
}

#[test]
fn legnet_public_leaderboard_score_is_reproduced() {
    // Published (autosome.org's final LegNet submission, public leaderboard):
    // PearsonScore 0.829, SpearmanScore 0.860, all r² 0.952, all ρ 0.979.
    let scorer = public_scorer();
    assert_eq!(scorer.indices().len(), 9045);
    let pred = reference_predictions("legnet_autosome_final");
    let report = scorer.score(|i| pred.get(&i).copied()).unwrap();
    let all = report.subsets[0].1;
    assert_eq!((report.subsets[0].0.as_str(), all.n), ("all", 9045));
    assert!((all.pearson.powi(2) - 0.952).abs() < 5e-4, "{all:?}");
    assert!((all.spearman - 0.979).abs() < 5e-4, "{all:?}");
    assert!((report.pearson_score - 0.829).abs() < 5e-4, "{report:?}");
    assert!((report.spearman_score - 0.860).abs() < 5e-4, "{report:?}");
}

#[test]
fn missing_predictions_are_named() {
    let scorer = public_scorer();
    let err = scorer.score(|i| (i != 3).then_some(0.0)).unwrap_err();
    assert_eq!(err.to_string(), "no prediction for test index 3");
}

use camformer::score::dream::{Alignment, PairRule, Predictions, TEST_SIZE, TestSet};
use camformer::score::metrics::{pearson, spearman};

/// The sample of private test rows shipped with the tests (idx, seq, expr, flags).
fn sample() -> TestSet {
    TestSet::parse(&std::fs::read_to_string(data("dream_test_sample.tsv")).unwrap()).unwrap()
}

/// A deterministic, imperfect prediction of a measured value.
fn fake_prediction(idx: usize, measured: f64) -> f64 {
    measured + 0.4 * ((idx as f64) * 0.37).sin()
}

#[test]
fn test_set_reads_the_dev_layout_the_challenge_file_and_index_lists() {
    let set = sample();
    assert_eq!(set.len(), 183);
    assert_eq!(set.order()[..3], [0, 309, 946]);
    assert_eq!(
        set.flag_subsets().collect::<Vec<_>>(),
        ["challenging", "high", "low", "random", "yeast"]
    );
    // The challenge's test file: headerless seq<TAB>expr, row k = test index k.
    let seq = "TGCATTTTTTTCACATCAAAAAAAAAAAAAAAAAAAAAAACTAGCAAACCAATGAAGCGGCTTGGCTTACAGGTACATTTTACCTTAGCGCTAAATGGGTTACGGCTGTT";
    let set = TestSet::parse(&format!("{seq}\t0.5\r\n{seq}\t-1.25\r\n\n")).unwrap();
    assert_eq!((set.measured(0), set.measured(1)), (Some(0.5), Some(-1.25)));
    assert_eq!(set.flag_subsets().count(), 0);
    // idx<TAB>expr.
    let set = TestSet::parse("7\t1.5\n3\t2\n").unwrap();
    assert_eq!(set.order(), [7, 3]);
    assert_eq!(set.measured(3), Some(2.0));
}

#[test]
fn test_set_errors_name_the_line() {
    let err = |text: &str| TestSet::parse(text).unwrap_err().to_string();
    assert_eq!(
        err("idx\texpr\thigh\n1\t0.5\t0\n2\t0.5\t2\n"),
        "measured values, line 3: column 'high' is \"2\", expected 0 or 1"
    );
    assert_eq!(
        err("idx\texpr\n5\t0.5\n5\t0.7\n"),
        "measured values, line 3: test index 5 appears twice"
    );
    assert_eq!(
        err("idx\texpr\n5\t0.5\n\n6\t0.7\n"),
        "measured values, line 3: blank line"
    );
    assert_eq!(
        err("idx\texpr\n5\tx\n"),
        "measured values, line 2: \"x\" is not a number"
    );
    assert!(err("a\tb\tc\n").contains("line 1: expected a header naming 'expr'"));
}

#[test]
fn private_scorer_drops_every_index_of_a_public_file() {
    let public = public_scorer();
    let public_idx = public.indices();
    let mut private_idx = (0..).filter(|i| public_idx.binary_search(i).is_err());
    let (p1, p2) = (public_idx[0], public_idx[1]);
    let [a, b, c, d] = std::array::from_fn(|_| private_idx.next().unwrap());
    let text = format!(
        "idx\texpr\thigh\tpublic\n{p1}\t0.1\t1\t0\n{p2}\t0.2\t0\t0\n{a}\t0.3\t1\t0\n{b}\t0.5\t1\t0\n{c}\t0.4\t0\t0\n{d}\t0.9\t0\t1\n"
    );
    let mut set = TestSet::parse(&text).unwrap();
    // Pairs: private; touching a public index; marked public; repeated; unmeasured member.
    let pairs = format!(
        "alt_pos\tref_pos\tpublic\n{a}\t{b}\t0\n{a}\t{p1}\t0\n{b}\t{c}\t1\n{a}\t{b}\t0\n{c}\t{a}\t0\n{c}\t99999\t0\n"
    );
    assert_eq!(set.add_pairs("SNVs", &pairs).unwrap(), 6);
    // A second list for the same subset is merged.
    set.add_pairs("SNVs", &format!("{b}\t{a}\n")).unwrap();
    let scorer = set.private_scorer(&public).unwrap();
    assert!(!scorer.is_complete());
    let subsets: Vec<_> = scorer.subsets().collect();
    use camformer::score::dream::SubsetData::{Pairs, Single};
    // `d` is marked public by the file's own column; p1, p2 by the public leaderboard.
    assert_eq!(
        subsets[0],
        ("all", &Single(vec![(a, 0.3), (b, 0.5), (c, 0.4)]))
    );
    assert_eq!(subsets[1], ("high", &Single(vec![(a, 0.3), (b, 0.5)])));
    assert_eq!(
        subsets[2],
        (
            "SNVs",
            &Pairs(vec![
                ((a, b), (0.3, 0.5)),
                ((c, a), (0.4, 0.3)),
                ((b, a), (0.5, 0.3))
            ])
        )
    );
    let err = scorer.score(|_| Some(0.0)).unwrap_err().to_string();
    assert_eq!(
        err,
        "the official score weights all nine subsets; missing: low, yeast, random, challenging, \
         motif_perturbation, motif_tiling"
    );
    // The other pair rule keeps a pair whose reference alone is public.
    let scorer = set
        .private_scorer_with(&public, PairRule::PublicPair)
        .unwrap();
    let snvs = scorer.subsets().find(|s| s.0 == "SNVs").unwrap().1;
    assert_eq!(
        snvs,
        &Pairs(vec![
            ((a, b), (0.3, 0.5)),
            ((a, p1), (0.3, 0.1)),
            ((c, a), (0.4, 0.3)),
            ((b, a), (0.5, 0.3))
        ])
    );
    // Per-subset correlations work on a partial scorer.
    let pred = |i: usize| Some(i as f64);
    let scores = scorer.subset_scores(pred).unwrap();
    assert_eq!(scores.len(), 3);
    assert_eq!(scores[0].1.n, 3);
}

#[test]
fn private_scores_are_the_plain_correlations_of_private_rows() {
    let set = sample();
    let scorer = set.private_scorer(&public_scorer()).unwrap();
    let pred = |i: usize| set.measured(i).map(|m| fake_prediction(i, m));
    let scores = scorer.subset_scores(pred).unwrap();
    let (truth, predicted): (Vec<f64>, Vec<f64>) = set
        .order()
        .iter()
        .map(|&i| (set.measured(i).unwrap(), pred(i).unwrap()))
        .unzip();
    assert_eq!(scores[0].0, "all");
    assert_eq!(scores[0].1.n, 183);
    assert!((scores[0].1.pearson - pearson(&truth, &predicted).unwrap()).abs() < 1e-12);
    assert!((scores[0].1.spearman - spearman(&truth, &predicted).unwrap()).abs() < 1e-12);
}

#[test]
fn predictions_are_read_in_each_layout() {
    let set = TestSet::parse("idx\texpr\n10\t1\n4\t2\n7\t3\n").unwrap();
    // One number per line, as many as the measured file's rows: matched to its rows.
    let p = Predictions::parse("0.5\n0.25\nNA\n").unwrap();
    assert_eq!(p.missing_lines(), [3]);
    let (values, alignment) = p.resolve(&set).unwrap();
    assert_eq!(alignment, Alignment::MeasuredOrder);
    assert_eq!((values[&10], values[&4], values.get(&7)), (0.5, 0.25, None));
    // idx<TAB>prediction.
    let (values, alignment) = Predictions::parse("7\t1\n10\t2\n")
        .unwrap()
        .resolve(&set)
        .unwrap();
    assert_eq!(
        (alignment, values[&7], values[&10]),
        (Alignment::ByIndex, 1.0, 2.0)
    );
    // `camformer predict` output: the name column holds the test index.
    let text = "name\tsequence\tprediction\tmeasured\tnote\n4\tACGT\t0.75\t2\t\n10\tACGT\tNA\t1\terror: x\n";
    let p = Predictions::parse(text).unwrap();
    assert_eq!(p.missing_lines(), [3]);
    let (values, alignment) = p.resolve(&set).unwrap();
    assert_eq!(
        (alignment, values.len(), values[&4]),
        (Alignment::ByIndex, 1, 0.75)
    );
    // A full test-order list.
    let full: String = (0..TEST_SIZE).map(|i| format!("{i}.5\n")).collect();
    let (values, alignment) = Predictions::parse(&full).unwrap().resolve(&set).unwrap();
    assert_eq!((alignment, values[&7]), (Alignment::TestOrder, 7.5));
    // Errors name lines.
    let err = |text: &str| {
        Predictions::parse(text)
            .and_then(|p| p.resolve(&set))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("idx\tprediction\n4\t1\n4\t2\n"),
        "predictions: test index 4 appears twice (lines 2 and 3)"
    );
    assert_eq!(
        err("1\n2\n"),
        format!(
            "predictions: 2 values without test indices; a plain list needs one per test sequence \
         ({TEST_SIZE}) or one per row of the measured file (3); otherwise give idx<TAB>prediction"
        )
    );
    assert_eq!(err("4\tx\n"), "predictions, line 1: \"x\" is not a number");
    assert_eq!(
        err("name\tprediction\nseq_1\t0.5\n"),
        "predictions, line 2: test index \"seq_1\" is not a non-negative integer"
    );
}

#[test]
fn score_command_prints_both_leaderboards() {
    let dir = tempfile::tempdir().unwrap();
    let set = sample();
    // LegNet's public predictions plus imperfect ones for the private sample rows.
    let legnet = reference_predictions("legnet_autosome_final");
    let mut text = String::from("idx\tprediction\n");
    for (i, v) in &legnet {
        text += &format!("{i}\t{v}\n");
    }
    for &i in set.order() {
        text += &format!("{i}\t{}\n", fake_prediction(i, set.measured(i).unwrap()));
    }
    let predictions = dir.path().join("pred.tsv");
    std::fs::write(&predictions, text).unwrap();
    // Pair lists over sample rows, one per paired subset.
    let order = set.order();
    let pairs_dir = dir.path().join("pairs");
    std::fs::create_dir(&pairs_dir).unwrap();
    for (k, subset) in ["SNVs_a", "motif_perturbation", "motif_tiling"]
        .iter()
        .enumerate()
    {
        let lines: String = (0..20)
            .map(|j| format!("{}\t{}\t0\n", order[3 * j + k], order[3 * j + k + 60]))
            .collect();
        std::fs::write(
            pairs_dir.join(format!("pairs_{subset}.tsv")),
            format!("alt_pos\tref_pos\tpublic\n{lines}"),
        )
        .unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_camformer"))
        .arg("score")
        .arg("--predictions")
        .arg(&predictions)
        .arg("--measured")
        .arg(data("dream_test_sample.tsv"))
        .arg("--pairs-dir")
        .arg(&pairs_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (public, private) = stdout.split_once("Private leaderboard").unwrap();
    let number = |section: &str, label: &str| -> f64 {
        let line = section
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {section}"));
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    // LegNet's published public score (3 digits), as in the library test above.
    assert!((number(public, "PearsonScore") - 0.829).abs() < 5e-4);
    assert!((number(public, "SpearmanScore") - 0.860).abs() < 5e-4);
    // The private score as the library computes it.
    let mut set = set;
    for subset in ["SNVs", "motif_perturbation", "motif_tiling"] {
        let name = if subset == "SNVs" { "SNVs_a" } else { subset };
        let text = std::fs::read_to_string(pairs_dir.join(format!("pairs_{name}.tsv"))).unwrap();
        set.add_pairs(subset, &text).unwrap();
    }
    let private_scorer = set.private_scorer(&public_scorer()).unwrap();
    assert!(private_scorer.is_complete());
    let report = private_scorer
        .score(|i| set.measured(i).map(|m| fake_prediction(i, m)))
        .unwrap();
    let shown = number(private, "PearsonScore");
    assert!(
        (shown - report.pearson_score).abs() <= 5e-5,
        "{shown} vs {report:?}"
    );
    let shown = number(private, "SpearmanScore");
    assert!(
        (shown - report.spearman_score).abs() <= 5e-5,
        "{shown} vs {report:?}"
    );
    assert!(stdout.contains("LegNet (autosome.org, final submission) PearsonScore 0.829"));

    // Gzip input is refused with a clear message.
    let gz = dir.path().join("measured.tsv.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_camformer"))
        .arg("score")
        .arg("--predictions")
        .arg(&predictions)
        .arg("--measured")
        .arg(&gz)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is gzip-compressed"));
}

#[test]
fn a_restricted_scorer_scores_the_rows_given() {
    let scorer = public_scorer();
    let pred = reference_predictions("legnet_autosome_final");
    let get = |i: usize| pred.get(&i).copied();
    // Everything kept: the same subsets and correlations.
    let all = scorer.restricted_to(|_| true);
    assert_eq!(
        all.subset_scores(get).unwrap(),
        scorer.subset_scores(get).unwrap()
    );
    // Even indices only: single subsets keep their even rows, pairs need both members even.
    let even = scorer.restricted_to(|i| i % 2 == 0);
    let scores = even.subset_scores(get).unwrap();
    let n_all = scores.iter().find(|(n, _)| n == "all").unwrap().1.n;
    let expected = scorer.indices().iter().filter(|i| *i % 2 == 0).count();
    // `all` holds every public row with a measured value.
    assert!(
        n_all <= expected && n_all > expected / 2,
        "{n_all} of {expected}"
    );
    // A tiny selection drops the subsets it cannot correlate, and never needs a missing row.
    let few: Vec<usize> = scorer.indices().into_iter().take(5).collect();
    let tiny = scorer.restricted_to(|i| few.contains(&i));
    for (name, s) in tiny.subset_scores(get).unwrap() {
        assert!(s.n >= 3, "{name}: {}", s.n);
    }
}
