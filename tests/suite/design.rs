//! Sequence design and variant effects: every reported prediction equals `predict` on the
//! reported sequence, and the constraints hold.

use camformer::analysis::design::{self, DesignConfig, Goal};
use camformer::analysis::variants;
use camformer::input::sequence::{RANDOM_LEN, RANDOM_START};
use camformer::{Construct, Predictor};

use super::common::fixture;

fn predictor() -> Predictor {
    let f = fixture("tiny_mini");
    let bytes = f.state_dict().to_safetensors(Default::default()).unwrap();
    Predictor::from_weights(f.architecture, &bytes, burn::tensor::Device::flex()).unwrap()
}

/// A real DREAM construct without `N`.
fn start() -> Construct {
    let f = fixture("tiny_mini");
    f.cases
        .iter()
        .map(|c| camformer::input::sequence::prepare(&c.input).unwrap().0)
        .find(|c| !c.bases().contains(&b'N'))
        .unwrap()
}

fn check_design(goal: Goal, beam_width: usize, frozen: Vec<usize>, max_edits: usize) {
    let p = predictor();
    let start = start();
    let config = DesignConfig {
        goal,
        max_edits,
        beam_width,
        frozen: frozen.clone(),
    };
    let result = design::run(&p, config, start).unwrap();
    let trajectory = result.trajectory();
    assert!(trajectory.len() >= 2, "the search made no edit");
    assert!(trajectory.len() <= max_edits + 1);
    assert_eq!(trajectory[0].sequence, start.to_string());
    for (i, step) in trajectory.iter().enumerate() {
        let construct = camformer::input::sequence::prepare(&step.sequence)
            .unwrap()
            .0;
        let actual = p.predict(&[construct]).unwrap()[0];
        assert!(
            (actual - step.prediction).abs() <= 1e-4 * actual.abs().max(1.0),
            "step {i}: reported {} but predict gives {actual}",
            step.prediction
        );
        // Constraints: edits only in the random region, never frozen, never N, one per step.
        let diff: Vec<usize> = (0..110)
            .filter(|&k| construct.bases()[k] != start.bases()[k])
            .collect();
        assert_eq!(diff.len(), i, "step {i} differs at {diff:?}");
        for k in diff {
            assert!((RANDOM_START..RANDOM_START + RANDOM_LEN).contains(&k));
            assert!(!frozen.contains(&k), "frozen position {k} changed");
            assert_ne!(construct.bases()[k], b'N');
        }
    }
    // Each step moves the prediction the right way for greedy search.
    if beam_width == 1 {
        for w in trajectory.windows(2) {
            match goal {
                Goal::Maximize => assert!(w[1].prediction > w[0].prediction),
                Goal::Minimize => assert!(w[1].prediction < w[0].prediction),
            }
        }
    }
    let last = trajectory.last().unwrap().prediction;
    match goal {
        Goal::Maximize => assert!(last > trajectory[0].prediction),
        Goal::Minimize => assert!(last < trajectory[0].prediction),
    }
}

#[test]
fn greedy_design_raises_and_lowers() {
    check_design(Goal::Maximize, 1, vec![], 4);
    check_design(Goal::Minimize, 1, vec![], 4);
}

#[test]
fn beam_design_respects_frozen_positions() {
    let frozen: Vec<usize> = (RANDOM_START..RANDOM_START + 40).collect();
    check_design(Goal::Maximize, 3, frozen, 3);
}

#[test]
fn beam_is_at_least_as_good_as_greedy() {
    let p = predictor();
    let cfg = |beam_width| DesignConfig {
        goal: Goal::Maximize,
        max_edits: 3,
        beam_width,
        frozen: vec![],
    };
    let greedy = design::run(&p, cfg(1), start()).unwrap().trajectory();
    let beam = design::run(&p, cfg(4), start()).unwrap().trajectory();
    assert!(beam.last().unwrap().prediction >= greedy.last().unwrap().prediction - 1e-5);
}

#[test]
fn design_rejects_n_and_frozen_outside_region() {
    let with_n = start().with_base(RANDOM_START + 3, b'N');
    let cfg = DesignConfig {
        goal: Goal::Maximize,
        max_edits: 2,
        beam_width: 1,
        frozen: vec![],
    };
    let e = design::run(&predictor(), cfg.clone(), with_n).unwrap_err();
    assert!(e.to_string().contains("position 4"), "{e}");
    let e = design::run(
        &predictor(),
        DesignConfig {
            frozen: vec![3],
            ..cfg
        },
        start(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("outside the random region"), "{e}");
}

#[test]
fn variant_effects_equal_predict() {
    let p = predictor();
    let s = start();
    let region = &s.as_str()[RANDOM_START..RANDOM_START + RANDOM_LEN];
    let r1 = region.as_bytes()[0] as char;
    let alt1 = if r1 == 'A' { 'C' } else { 'A' };
    let r2 = region.as_bytes()[49] as char;
    let alt2 = if r2 == 'G' { 'T' } else { 'G' };
    // Random-region positions (r1, r50) and the same base as a construct position (18).
    let text = format!("r1 {r1} {alt1}\n18 {r1} {alt1}, r50 {r2} {alt2}\n");
    let parsed = variants::parse(region, &text).unwrap();
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    let list = parsed.variants;
    let preds = p.predict(&variants::batch(&list)).unwrap();
    let effects = variants::effects(list, &preds).unwrap();
    let reference = p.predict(&[s]).unwrap()[0];
    let one = s.with_base(RANDOM_START, alt1 as u8);
    let two = one.with_base(RANDOM_START + 49, alt2 as u8);
    let expected = p.predict(&[one, two]).unwrap();
    // Batch composition changes summation order, so compare within 1e-5.
    let close = |a: f32, b: f32| assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    assert_eq!(effects.len(), 2);
    close(effects[0].reference, reference);
    close(effects[0].alternative, expected[0]);
    close(effects[1].alternative, expected[1]);
    close(effects[1].delta(), expected[1] - reference);
}
