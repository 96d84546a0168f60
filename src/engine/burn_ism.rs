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
//! so the same code runs on the CPU backend and on WebGPU. This module works on the Burn module
//! alone and leaves reading the results back to its caller, the predictor, which uses it where
//! it has no CPU inference network. (Where it has one, that network runs the same algorithm on
//! its host buffers, faster: the CPU network's `ism` module, which points back here.)
//!
//! Cost for Camformer Mini (80 positions x 3 alternatives): the windows cover 4-26% of each
//! layer's positions, so most of the convolution work of a naive ISM disappears.

use burn::nn::PaddingConfig1d;
use burn::nn::conv::Conv1d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::engine::mutations::{Mutation, check_mutations};
use crate::engine::window::{conv_window, pool_window};
use crate::error::Error;
use crate::input::sequence::Construct;
use crate::model::config::{ArchConfig, BlockConfig};
use crate::model::network::{Camformer, ConvBlock, encode_input};

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
///
/// `net` is the Burn module of architecture `config` with batch norm folded (as an inference
/// predictor holds it), on `device`.
pub fn forward_mutants(
    net: &Camformer,
    config: &ArchConfig,
    device: &Device,
    construct: &Construct,
    mutations: &[Mutation],
) -> Result<Tensor<2>, Error> {
    let enc = config.encoding;
    check_mutations(mutations)?;
    let channels = enc.channels();
    let reference = encode_input(enc, std::slice::from_ref(construct), device);
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

/// The reference prediction and every mutant's, `[1 + mutants, 1]` (reference first), the
/// mutants `chunk` at a time (which bounds the working set), as [`forward_mutants`] computes
/// them.
pub fn forward_all(
    net: &Camformer,
    config: &ArchConfig,
    device: &Device,
    construct: &Construct,
    mutations: &[Mutation],
    chunk: usize,
) -> Result<Tensor<2>, Error> {
    let reference = net.forward(encode_input(
        config.encoding,
        std::slice::from_ref(construct),
        device,
    ));
    let mut parts = vec![reference];
    for chunk in mutations.chunks(chunk.max(1)) {
        parts.push(forward_mutants(net, config, device, construct, chunk)?);
    }
    Ok(Tensor::cat(parts, 0))
}
