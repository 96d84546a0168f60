//! The official DREAM score reproduces published leaderboard numbers.

use std::collections::HashMap;

use camformer::dream::Scorer;

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
