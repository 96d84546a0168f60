//! Predictions of a model for whole datasets: the forward strand, the reverse strand, and their
//! mean (how a model trained on both strands is evaluated).

use anyhow::Result;
use camformer::Predictor;

use crate::data::Dataset;

/// Predictions of a model (inference mode) for a whole dataset.
pub fn predict_dataset(predictor: &Predictor, data: &Dataset) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.seqs.chunks(1024) {
        let constructs: Vec<_> = chunk.iter().map(|p| p.unpack()).collect();
        out.extend(predictor.predict(&constructs)?);
    }
    Ok(out)
}

/// Predictions for every sequence of a dataset read from the other strand.
pub fn predict_reverse_strand(predictor: &Predictor, data: &Dataset) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.seqs.chunks(512) {
        let reverse: Vec<_> = chunk
            .iter()
            .map(|p| p.unpack().reverse_complement())
            .collect();
        out.extend(predictor.predict(&reverse)?);
    }
    Ok(out)
}

/// The mean of each sequence's forward and reverse-strand predictions.
pub fn strand_mean(forward: &[f32], reverse: &[f32]) -> Vec<f32> {
    forward
        .iter()
        .zip(reverse)
        .map(|(f, r)| 0.5 * (f + r))
        .collect()
}

/// Predictions for a whole dataset, each the mean over both strands of its sequence.
pub fn predict_both_strands(predictor: &Predictor, data: &Dataset) -> Result<Vec<f32>> {
    Ok(strand_mean(
        &predict_dataset(predictor, data)?,
        &predict_reverse_strand(predictor, data)?,
    ))
}

/// [`predict_both_strands`] when `both`, else [`predict_dataset`]: how a model trained with
/// [`TrainConfig::reverse_complement`](crate::train::TrainConfig::reverse_complement) set to
/// `both` is evaluated.
pub fn predict_strands(predictor: &Predictor, data: &Dataset, both: bool) -> Result<Vec<f32>> {
    if both {
        predict_both_strands(predictor, data)
    } else {
        predict_dataset(predictor, data)
    }
}
