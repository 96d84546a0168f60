//! Fast exact in-silico mutagenesis on the CPU network.
//!
//! The same algorithm as [`crate::engine::burn_ism`] (which is written in Burn tensor
//! operations for WebGPU): the reference sequence's activations are computed once, and for
//! every mutant only the window of positions its one substitution can change is recomputed,
//! layer by layer, with the same window arithmetic (`conv_window`, `pool_window`). Here the
//! windows live in host buffers (channels-last), so building a layer's input is a copy of rows,
//! and the convolution of all mutants' windows is one implicit GEMM: each mutant's input slab
//! is `width + kernel - 1` rows, stacked, read with overlapping rows exactly as the batch
//! network reads sequences.
//!
//! Natively, chunks of [`MUTANT_CHUNK`] mutants run on rayon's threads.

use super::matmul::{Parallelism, matmul};
use super::{ConvLayer, CpuNet, max_rows};
use crate::engine::mutations::{Ism, Mutation, check_mutations, from_predictions};
use crate::engine::window::{conv_window, pool_window};
use crate::error::Error;
use crate::input::sequence::Construct;

/// Mutants per task: several tasks per thread for an ISM of 240 mutants, and each GEMM still
/// has hundreds of rows.
pub const MUTANT_CHUNK: usize = 32;

/// The reference sequence's activations at every layer.
struct Reference {
    /// Input of layer `i` (unpadded, `[len, channels]`); the last entry is the final block's
    /// output (the features the head reads).
    inputs: Vec<Vec<f32>>,
    /// For pooled layers, the activation before pooling (`[conv_len, channels]`, after ReLU).
    pre_pool: Vec<Option<Vec<f32>>>,
    /// The reference prediction.
    prediction: f32,
}

impl Reference {
    fn new(net: &CpuNet, construct: &Construct, par: Parallelism) -> Self {
        let mut padded = net.encode(std::slice::from_ref(construct));
        let mut conv = Vec::new();
        let mut inputs = Vec::with_capacity(net.layers.len() + 1);
        let mut pre_pool = Vec::with_capacity(net.layers.len());
        for (i, layer) in net.layers.iter().enumerate() {
            layer.convolve(&padded, 1, &mut conv, par);
            pre_pool.push(layer.pool.map(|_| {
                let mut out = conv[..layer.conv_len * layer.cout].to_vec();
                bias_relu(&mut out, &layer.bias);
                out
            }));
            let (next_before, next_len) = match net.layers.get(i + 1) {
                Some(next) => (next.before, next.padded_len()),
                None => (0, layer.out_len),
            };
            let mut next = vec![0.0; next_len * layer.cout];
            let skip = (net.residual_pairs && i % 2 == 1).then_some(&padded[..]);
            layer.epilogue(&conv, 1, skip, &mut next, next_before, next_len);
            let c = layer.cin;
            inputs.push(padded[layer.before * c..(layer.before + layer.in_len) * c].to_vec());
            padded = next;
        }
        let prediction = net.head_forward(padded.clone(), 1, par)[0];
        inputs.push(padded);
        Reference {
            inputs,
            pre_pool,
            prediction,
        }
    }
}

/// `x = max(x + bias, 0)` for every row of `x` (`[rows, bias.len()]`).
fn bias_relu(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v = (*v + b).max(0.0);
        }
    }
}

/// One activation map: the reference's, and every mutant's window on it.
struct Stage<'a> {
    /// `[len, channels]`.
    reference: &'a [f32],
    channels: usize,
    /// `[mutants, width, channels]`: mutant `m`'s positions `starts[m] .. starts[m] + width`.
    values: Vec<f32>,
    starts: Vec<usize>,
    width: usize,
}

impl Stage<'_> {
    fn len(&self) -> usize {
        self.reference.len() / self.channels
    }

    /// Mutant `m`'s activation at position `pos`, or `None` outside the map (zero padding).
    fn row(&self, m: usize, pos: isize) -> Option<&[f32]> {
        let c = self.channels;
        if pos < 0 || pos as usize >= self.len() {
            return None;
        }
        let pos = pos as usize;
        let start = self.starts[m];
        Some(if (start..start + self.width).contains(&pos) {
            &self.values[(m * self.width + pos - start) * c..][..c]
        } else {
            &self.reference[pos * c..][..c]
        })
    }

    /// Mutant `m`'s rows `from .. from + out.len() / channels` into `out` (zeros outside).
    fn copy_rows(&self, m: usize, from: isize, out: &mut [f32]) {
        for (r, dst) in out.chunks_exact_mut(self.channels).enumerate() {
            match self.row(m, from + r as isize) {
                Some(src) => dst.copy_from_slice(src),
                None => dst.fill(0.0),
            }
        }
    }
}

impl CpuNet {
    /// Fast exact ISM of `construct` for the given mutations: equal to predicting every mutant
    /// with [`CpuNet::predict`] up to floating-point summation order.
    pub fn ism(&self, construct: &Construct, mutations: Vec<Mutation>) -> Result<Ism, Error> {
        check_mutations(&mutations)?;
        let reference = Reference::new(self, construct, Parallelism::all());
        let mut predictions = Vec::with_capacity(mutations.len() + 1);
        predictions.push(reference.prediction);
        #[cfg(not(target_family = "wasm"))]
        {
            use rayon::prelude::*;
            let parts: Vec<Vec<f32>> = mutations
                .par_chunks(MUTANT_CHUNK)
                .map(|chunk| self.mutants(&reference, chunk, Parallelism::None))
                .collect();
            predictions.extend(parts.into_iter().flatten());
        }
        #[cfg(target_family = "wasm")]
        for chunk in mutations.chunks(MUTANT_CHUNK) {
            predictions.extend(self.mutants(&reference, chunk, Parallelism::None));
        }
        from_predictions(mutations, &predictions)
    }

    /// The predictions of a chunk of mutants, computed window by window.
    fn mutants(&self, reference: &Reference, mutations: &[Mutation], par: Parallelism) -> Vec<f32> {
        let mut stage = Stage {
            reference: &reference.inputs[0],
            channels: self.layers[0].cin,
            values: mutations
                .iter()
                .flat_map(|m| self.encoding.column(m.alternative).iter().copied())
                .collect(),
            starts: mutations.iter().map(|m| m.position).collect(),
            width: 1,
        };
        for (i, layer) in self.layers.iter().enumerate() {
            let residual = self.residual_pairs && i % 2 == 1;
            stage = layer_step(layer, &stage, reference, i, residual, par);
        }
        // The head sees each mutant's whole feature map: the reference with its window.
        let features = stage.reference.len();
        let mut x = Vec::with_capacity(mutations.len() * features);
        for m in 0..mutations.len() {
            let start = x.len();
            x.extend_from_slice(stage.reference);
            let c = stage.channels;
            let at = start + stage.starts[m] * c;
            x[at..at + stage.width * c]
                .copy_from_slice(&stage.values[m * stage.width * c..][..stage.width * c]);
        }
        self.head_forward(x, mutations.len(), par)
    }
}

/// Block `i` on the mutants' windows of its input `input`; `residual` adds `input` (the
/// first block of the pair's output) as the network does.
fn layer_step<'a>(
    layer: &ConvLayer,
    input: &Stage<'_>,
    reference: &'a Reference,
    i: usize,
    residual: bool,
    par: Parallelism,
) -> Stage<'a> {
    let mutants = input.starts.len();
    let (cin, cout, k) = (layer.cin, layer.cout, layer.kernel);
    let (starts, width) = conv_window(&input.starts, input.width, k, layer.before, layer.conv_len);
    // Each mutant's input slab: the positions its output window reads (padding as zeros).
    let slab_rows = width + k - 1;
    let mut slab = vec![0.0; mutants * slab_rows * cin];
    for (m, slab) in slab.chunks_exact_mut(slab_rows * cin).enumerate() {
        input.copy_rows(m, starts[m] as isize - layer.before as isize, slab);
    }
    let rows = (mutants - 1) * slab_rows + width;
    let mut conv = vec![0.0; rows * cout];
    matmul(
        rows,
        cout,
        k * cin,
        &mut conv,
        &slab,
        cin,
        &layer.weight,
        par,
    );
    let mut values = vec![0.0; mutants * width * cout];
    for (m, out) in values.chunks_exact_mut(width * cout).enumerate() {
        out.copy_from_slice(&conv[m * slab_rows * cout..][..width * cout]);
        bias_relu(out, &layer.bias);
    }
    // A pooled block pools the mutants' windows over the reference's pre-pool activation.
    let (values, starts, width) = match (layer.pool, &reference.pre_pool[i]) {
        (Some(pool), Some(pre_pool)) => {
            let conv_stage = Stage {
                reference: pre_pool,
                channels: cout,
                values,
                starts,
                width,
            };
            let (starts, width) = pool_window(
                &conv_stage.starts,
                conv_stage.width,
                pool.kernel,
                pool.stride,
                layer.out_len,
            );
            let mut values = vec![0.0; mutants * width * cout];
            let mut window = vec![0.0; pool.kernel * cout];
            for (m, out) in values.chunks_exact_mut(width * cout).enumerate() {
                for (p, out) in out.chunks_exact_mut(cout).enumerate() {
                    let first = (starts[m] + p) * pool.stride;
                    conv_stage.copy_rows(m, first as isize, &mut window);
                    max_rows(&window, cout, out);
                }
            }
            (values, starts, width)
        }
        _ => (values, starts, width),
    };
    let mut stage = Stage {
        reference: &reference.inputs[i + 1],
        channels: cout,
        values,
        starts,
        width,
    };
    if residual {
        for m in 0..mutants {
            for p in 0..stage.width {
                let pos = (stage.starts[m] + p) as isize;
                let skip = input.row(m, pos).expect("the pair keeps its length");
                let out = &mut stage.values[(m * stage.width + p) * cout..][..cout];
                for (v, &s) in out.iter_mut().zip(skip) {
                    *v += s;
                }
            }
        }
    }
    stage
}
