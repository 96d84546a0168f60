//! Fast exact in-silico mutagenesis: only what a mutation changes is recomputed.
//!
//! A single-base substitution at position `p` changes the first convolution's output only in
//! a window of kernel width around `p`; each later convolution widens the window by its kernel
//! width minus one, and a max pool maps it onto the pooled positions it touches. Everything
//! outside the window equals the reference sequence's activation, which is computed once.
//! So for every mutant we carry only its window (`[mutants, channels, width]`, a common width
//! for all mutants), and before each layer we rebuild the layer's input slab from the mutant's
//! window plus the reference activation around it (zeros where the layer pads). The dense head
//! sees the full feature map, rebuilt the same way. The result equals running every mutant
//! through the whole network up to floating-point summation order (the same idea as Yuzu,
//! Schreiber et al. 2022).
//!
//! Everything is expressed with Burn tensor operations (`select`, `cat`, `conv1d`, max pool),
//! so the same code runs on the CPU backend and on WebGPU. When the predictor has a CPU
//! inference network, [`fast`] and [`fast_async`] run the same algorithm on its host buffers
//! instead ([`crate::cpu_net::ism`]), which is faster; [`fast_burn`] always takes this path.
//!
//! Cost for Camformer Mini (80 positions x 3 alternatives): the windows cover 4-26% of each
//! layer's positions, so most of the convolution work of a naive ISM disappears.

use burn::nn::PaddingConfig1d;
use burn::nn::conv::Conv1d;
use burn::tensor::activation::relu;
use burn::tensor::{Int, Tensor, TensorData};

use crate::config::BlockConfig;
use crate::error::Error;
use crate::ism::{Ism, Mutation, from_predictions};
use crate::model::ConvBlock;
use crate::predictor::{Predictor, read_vec};
use crate::sequence::Construct;

/// The part of one activation map that differs from the reference, for every mutant.
///
/// `values` is `[mutants, channels, width]`; mutant `m`'s window covers positions
/// `starts[m] .. starts[m] + width` of the layer (all inside the layer's length).
struct Window {
    values: Tensor<3>,
    starts: Vec<usize>,
    width: usize,
}

/// A reference activation `[1, channels, length]` and the mutants' windows on it.
struct Stage {
    reference: Tensor<3>,
    window: Window,
}

impl Stage {
    fn len(&self) -> usize {
        self.reference.dims()[2]
    }

    /// Every mutant's activation on positions `from[m] .. from[m] + width` (which may reach
    /// outside the layer: those positions are the convolution's zero padding), as
    /// `[mutants, channels, width]`.
    ///
    /// One `select` along the positions of a per-channel source row
    /// `[reference (len) | 0 | mutant 0 window | mutant 1 window | ...]` does it for all
    /// mutants and channels at once, because the index depends only on (mutant, position).
    fn slab(&self, from: &[i64], width: usize) -> Tensor<3> {
        let [_, channels, len] = self.reference.dims();
        let w = &self.window;
        let mutants = w.starts.len();
        let device = self.reference.device();
        let zero_at = len as i64;
        let mut index = Vec::with_capacity(mutants * width);
        for (m, (&start, &f)) in w.starts.iter().zip(from).enumerate() {
            let start = start as i64;
            let base = len as i64 + 1 + (m * w.width) as i64;
            for pos in f..f + width as i64 {
                index.push(if pos >= start && pos < start + w.width as i64 {
                    base + pos - start
                } else if (0..len as i64).contains(&pos) {
                    pos
                } else {
                    zero_at
                });
            }
        }
        let source = Tensor::cat(
            vec![
                self.reference.clone().reshape([channels, len]),
                Tensor::zeros([channels, 1], &device),
                w.values
                    .clone()
                    .swap_dims(0, 1)
                    .reshape([channels, mutants * w.width]),
            ],
            1,
        );
        let index = Tensor::<1, Int>::from_data(TensorData::new(index, [mutants * width]), &device);
        source
            .select(1, index)
            .reshape([channels, mutants, width])
            .swap_dims(0, 1)
    }

    /// The full activation map of every mutant, `[mutants, channels, len]`.
    fn materialize(&self) -> Tensor<3> {
        let from = vec![0; self.window.starts.len()];
        self.slab(&from, self.len())
    }
}

/// Where the window lands after a convolution of width `kernel` with `before` zeros of
/// padding, producing `out_len` positions: start per mutant and the common width.
pub(crate) fn conv_window(
    starts: &[usize],
    width: usize,
    kernel: usize,
    before: usize,
    out_len: usize,
) -> (Vec<usize>, usize) {
    let out_width = (width + kernel - 1).min(out_len);
    let starts = starts
        .iter()
        .map(|&s| {
            // First output whose receptive field reaches position s.
            let first = (s + before) as i64 - (kernel as i64 - 1);
            first.clamp(0, (out_len - out_width) as i64) as usize
        })
        .collect();
    (starts, out_width)
}

/// Where the window lands after a max pool (`kernel`, `stride`) producing `out_len` positions.
pub(crate) fn pool_window(
    starts: &[usize],
    width: usize,
    kernel: usize,
    stride: usize,
    out_len: usize,
) -> (Vec<usize>, usize) {
    // Pool outputs i whose input range [i*stride, i*stride + kernel) meets [s, s + width).
    let range = |s: usize| {
        let first = (s + 1).saturating_sub(kernel).div_ceil(stride);
        let last = ((s + width - 1) / stride).min(out_len - 1);
        (first, last)
    };
    let out_width = starts
        .iter()
        .map(|&s| {
            let (a, b) = range(s);
            b + 1 - a
        })
        .max()
        .unwrap_or(1)
        .min(out_len);
    let starts = starts
        .iter()
        .map(|&s| range(s).0.min(out_len - out_width))
        .collect();
    (starts, out_width)
}

/// One convolution block (batch norm folded) applied to the reference and to the windows.
fn block_step(block: &ConvBlock, cfg: &BlockConfig, input: &Stage) -> Result<Stage, Error> {
    if block.norm.is_some() {
        return Err(Error::Invalid(
            "fast ISM needs a model with batch norm folded (an inference Predictor)".into(),
        ));
    }
    let (before, _) = cfg.padding.amounts(cfg.kernel);
    let conv_ref = relu(block.conv.forward(input.reference.clone()));
    let conv_len = conv_ref.dims()[2];
    let w = &input.window;
    let (starts, width) = conv_window(&w.starts, w.width, cfg.kernel, before, conv_len);
    // The input positions (unpadded coordinates) each output window needs.
    let from: Vec<i64> = starts.iter().map(|&o| o as i64 - before as i64).collect();
    let slab = input.slab(&from, width + cfg.kernel - 1);
    let valid = Conv1d {
        padding: PaddingConfig1d::Valid,
        ..block.conv.clone()
    };
    let conv = Stage {
        reference: conv_ref,
        window: Window {
            values: relu(valid.forward(slab)),
            starts,
            width,
        },
    };
    let (Some(pool), Some(pool_cfg)) = (&block.pool, cfg.pool) else {
        return Ok(conv);
    };
    let pooled_ref = pool.forward(conv.reference.clone());
    let out_len = pooled_ref.dims()[2];
    let w = &conv.window;
    let (starts, width) = pool_window(
        &w.starts,
        w.width,
        pool_cfg.kernel,
        pool_cfg.stride,
        out_len,
    );
    let from: Vec<i64> = starts
        .iter()
        .map(|&i| (i * pool_cfg.stride) as i64)
        .collect();
    let slab = conv.slab(&from, (width - 1) * pool_cfg.stride + pool_cfg.kernel);
    Ok(Stage {
        reference: pooled_ref,
        window: Window {
            values: pool.forward(slab),
            starts,
            width,
        },
    })
}

/// `a + b` for a residual pair, where `b`'s window contains `a`'s.
fn residual_add(skip: &Stage, out: Stage) -> Stage {
    let w = &out.window;
    let from: Vec<i64> = w.starts.iter().map(|&s| s as i64).collect();
    let skip_on_out = skip.slab(&from, w.width);
    Stage {
        reference: out.reference + skip.reference.clone(),
        window: Window {
            values: out.window.values + skip_on_out,
            starts: out.window.starts,
            width: out.window.width,
        },
    }
}

/// The network's output for every mutant, `[mutants, 1]`, computed incrementally.
pub fn forward_mutants(
    predictor: &Predictor,
    construct: &Construct,
    mutations: &[Mutation],
) -> Result<Tensor<2>, Error> {
    let config = predictor.config();
    let net = predictor.net();
    let enc = config.encoding;
    let device = predictor.device();
    crate::cpu_net::ism::check_mutations(mutations)?;
    let channels = enc.channels();
    let reference = predictor.encode(std::slice::from_ref(construct));
    // Each mutant's input window is its one changed position.
    let mut values = Vec::with_capacity(mutations.len() * channels);
    for m in mutations {
        values.extend_from_slice(enc.column(m.alternative));
    }
    let mut stage = Stage {
        reference,
        window: Window {
            values: Tensor::from_data(
                TensorData::new(values, [mutations.len(), channels, 1]),
                device,
            ),
            starts: mutations.iter().map(|m| m.position).collect(),
            width: 1,
        },
    };
    let blocks: Vec<_> = net.blocks.iter().zip(&config.blocks).collect();
    if net.residual_pairs {
        for pair in blocks.chunks(2) {
            let skip = block_step(pair[0].0, pair[0].1, &stage)?;
            let out = block_step(pair[1].0, pair[1].1, &skip)?;
            stage = residual_add(&skip, out);
        }
    } else {
        for (block, cfg) in blocks {
            stage = block_step(block, cfg, &stage)?;
        }
    }
    Ok(net.head_forward(stage.materialize()))
}

/// The reference prediction and every mutant's, `[1 + mutants, 1]` (reference first).
fn forward_all(
    predictor: &Predictor,
    construct: &Construct,
    mutations: &[Mutation],
) -> Result<Tensor<2>, Error> {
    let reference = predictor.forward(std::slice::from_ref(construct));
    let mut parts = vec![reference];
    // Bound the working set: the windows of a chunk of mutants at a time.
    for chunk in mutations.chunks(predictor.batch_size().max(64)) {
        parts.push(forward_mutants(predictor, construct, chunk)?);
    }
    Ok(Tensor::cat(parts, 0))
}

/// Fast exact ISM of `construct` for the given mutations (native, synchronous read-back).
#[cfg(not(target_family = "wasm"))]
pub fn fast(
    predictor: &Predictor,
    construct: &Construct,
    mutations: Vec<Mutation>,
) -> Result<Ism, Error> {
    match predictor.cpu_net() {
        Some(cpu) => cpu.ism(construct, mutations),
        None => fast_burn(predictor, construct, mutations),
    }
}

/// Fast exact ISM in Burn tensor operations on the predictor's device, even where a CPU
/// inference network exists (native, synchronous read-back).
#[cfg(not(target_family = "wasm"))]
pub fn fast_burn(
    predictor: &Predictor,
    construct: &Construct,
    mutations: Vec<Mutation>,
) -> Result<Ism, Error> {
    let out = forward_all(predictor, construct, &mutations)?;
    from_predictions(mutations, &read_vec(out.into_data())?)
}

/// Fast exact ISM with asynchronous read-back (browser, WebGPU).
pub async fn fast_async(
    predictor: &Predictor,
    construct: &Construct,
    mutations: Vec<Mutation>,
) -> Result<Ism, Error> {
    if let Some(cpu) = predictor.cpu_net() {
        return cpu.ism(construct, mutations);
    }
    let data = forward_all(predictor, construct, &mutations)?
        .into_data_async()
        .await
        .map_err(|e| Error::Backend(format!("{e:?}")))?;
    from_predictions(mutations, &read_vec(data)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_window_covers_every_affected_output() {
        // Kernel 5, padding 5 each side, length 110 -> 116 outputs.
        for s in 0..110 {
            let (starts, w) = conv_window(&[s], 1, 5, 5, 116);
            assert_eq!(w, 5);
            // Output j reads padded input [j, j + 5), i.e. positions j - 5 .. j - 1.
            for j in 0..116usize {
                let reads = (j as i64 - 5..j as i64).contains(&(s as i64));
                let inside = j >= starts[0] && j < starts[0] + w;
                assert!(!reads || inside, "s {s} j {j}");
            }
        }
    }

    #[test]
    fn pool_window_covers_every_affected_output() {
        for s in 0..120 {
            for width in [1, 5, 12] {
                if s + width > 132 {
                    continue;
                }
                let (starts, w) = pool_window(&[s], width, 7, 2, 63);
                for i in 0..63usize {
                    let touches = i * 2 < s + width && s < i * 2 + 7;
                    let inside = i >= starts[0] && i < starts[0] + w;
                    assert!(!touches || inside, "s {s} width {width} i {i}");
                }
            }
        }
    }
}
