//! Camformer's inference network on the CPU, one matrix product per convolution.
//!
//! Burn's CPU backend (flex) runs each convolution as im2col plus a GEMM, with separate passes
//! for bias, ReLU, pooling and the residual add. This module computes exactly the same network
//! (batch norm folded, dropout off) with fewer passes over memory:
//!
//! - Activations are **channels-last** (`[positions, channels]` per sequence) and each layer's
//!   input buffer stores the convolution's zero padding as zero rows. The `kernel`-wide window
//!   that output position `j` reads is then the `kernel * channels` consecutive floats starting
//!   at row `j`: the im2col matrix is the activation buffer itself, read with a row stride of
//!   `channels` (rows overlap). So a convolution is one GEMM with no copy at all (an "implicit
//!   GEMM"), done natively by the `gemm` crate that flex already uses, which takes arbitrary
//!   strides, and in WebAssembly by our own packed kernel (`matmul::wasm`, with relaxed SIMD's
//!   fused multiply-add in the module built for browsers that have it).
//! - The sequences of a chunk lie one after another in that buffer, so the GEMM of a whole chunk
//!   is a single call: the rows whose window straddles two sequences (`kernel - 1` per
//!   sequence) are computed and never read.
//! - One epilogue pass per layer adds the bias, applies ReLU, max-pools, adds the residual and
//!   writes the next layer's padded input.
//! - The first dense layer's weights are permuted once at load time, so the head reads the
//!   position-major features directly (PyTorch flattens channel-major).
//!
//! Natively, chunks of [`CHUNK`] sequences run on rayon's threads; in wasm (single-threaded)
//! they run one after another.
//!
//! [`ism`] does fast exact in-silico mutagenesis on the same buffers, and [`train`] runs the
//! forward pass in training mode (batch statistics) and the backward pass, for the trainer.

pub mod ism;
mod matmul;
pub mod train;

use crate::error::Error;
use crate::input::encoding::Encoding;
use crate::input::sequence::{CONSTRUCT_LEN, Construct};
use crate::model::config::{ArchConfig, Pool};
use crate::model::weights::FoldedParams;

use matmul::{Parallelism, matmul};

/// Sequences per GEMM. Small enough that one chunk's activations stay in the cache hierarchy
/// (Original: 8 x 119 x 512 floats = 1.9 MB per layer) and that 2+ chunks keep every thread
/// busy on a typical batch; large enough that the GEMMs have hundreds of rows.
pub const CHUNK: usize = 8;

/// One convolution block with batch norm folded in, and where its output goes.
#[derive(Debug, Clone)]
struct ConvLayer {
    cin: usize,
    cout: usize,
    kernel: usize,
    /// Zero rows before / after the sequence in this layer's input buffer.
    before: usize,
    after: usize,
    /// Positions of the (unpadded) input.
    in_len: usize,
    /// Positions of the convolution output (before pooling).
    conv_len: usize,
    pool: Option<Pool>,
    /// Positions of the block output (after pooling).
    out_len: usize,
    /// `[kernel * cin, cout]` row-major: row `t * cin + c`, column `o` (the channels-last
    /// window order).
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl ConvLayer {
    /// Rows of one sequence in this layer's input buffer, padding included.
    fn padded_len(&self) -> usize {
        self.before + self.in_len + self.after
    }

    /// The convolution of `s` sequences stored in `input` (`[s, padded_len, cin]`) into
    /// `out`, whose row `seq * padded_len + j` is output position `j` of sequence `seq`.
    fn convolve(&self, input: &[f32], s: usize, out: &mut Vec<f32>, par: Parallelism) {
        let lp = self.padded_len();
        // The last sequence needs only its conv_len rows.
        let rows = (s - 1) * lp + self.conv_len;
        out.resize(rows * self.cout, 0.0);
        matmul(
            rows,
            self.cout,
            self.kernel * self.cin,
            out,
            input,
            self.cin,
            &self.weight,
            par,
        );
    }

    /// Bias, ReLU, pooling and (with `skip`, this layer's own input) the residual add, written
    /// into `dst`: `[s, dst_len, cout]` with the block output at rows `dst_before..`.
    fn epilogue(
        &self,
        conv: &[f32],
        s: usize,
        skip: Option<&[f32]>,
        dst: &mut [f32],
        dst_before: usize,
        dst_len: usize,
    ) {
        let (c, lp) = (self.cout, self.padded_len());
        for seq in 0..s {
            let conv_rows = &conv[seq * lp * c..];
            for p in 0..self.out_len {
                let out = &mut dst[(seq * dst_len + dst_before + p) * c..][..c];
                match self.pool {
                    None => out.copy_from_slice(&conv_rows[p * c..][..c]),
                    Some(pool) => {
                        let first = p * pool.stride;
                        max_rows(&conv_rows[first * c..][..pool.kernel * c], c, out);
                    }
                }
                // max(x) + b = max(x + b) and relu(max) = max(relu) exactly (rounding is
                // monotone), so pooling before the bias and the ReLU changes no bit.
                for (v, &b) in out.iter_mut().zip(&self.bias) {
                    *v = (*v + b).max(0.0);
                }
                if let Some(skip) = skip {
                    let from = &skip[(seq * lp + self.before + p) * c..][..c];
                    for (v, &x) in out.iter_mut().zip(from) {
                        *v += x;
                    }
                }
            }
        }
    }
}

/// `out = max over the rows of `rows` (`[n, c]` row-major), column-wise.
pub(crate) fn max_rows(rows: &[f32], c: usize, out: &mut [f32]) {
    out.copy_from_slice(&rows[..c]);
    for row in rows[c..].chunks_exact(c) {
        for (m, &v) in out.iter_mut().zip(row) {
            *m = m.max(v);
        }
    }
}

/// A dense layer, `[fin, fout]` row-major weights.
#[derive(Debug, Clone)]
struct Dense {
    fin: usize,
    fout: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// Camformer's inference network on host memory (see the module documentation).
#[derive(Debug, Clone)]
pub struct CpuNet {
    encoding: Encoding,
    layers: Vec<ConvLayer>,
    residual_pairs: bool,
    head: Vec<Dense>,
}

impl CpuNet {
    /// Builds the network of `config` from folded parameters (the same ones the Burn module
    /// is built from).
    pub fn new(config: &ArchConfig, params: &FoldedParams) -> Result<Self, Error> {
        config.validate()?;
        if params.convs.len() != config.blocks.len() || params.head.len() != config.head.len() + 1 {
            return Err(Error::Weights(format!(
                "{} convolutions and {} dense layers do not fit architecture '{}'",
                params.convs.len(),
                params.head.len(),
                config.name
            )));
        }
        let lengths = config.lengths()?;
        let mut cin = config.encoding.channels();
        let mut in_len = CONSTRUCT_LEN;
        let mut layers = Vec::with_capacity(config.blocks.len());
        for ((block, p), &out_len) in config.blocks.iter().zip(&params.convs).zip(&lengths) {
            let (cout, k) = (block.channels, block.kernel);
            if p.shape != [cout, cin, k] {
                return Err(Error::Weights(format!(
                    "convolution of shape {:?}; the architecture needs {:?}",
                    p.shape,
                    [cout, cin, k]
                )));
            }
            let (before, after) = block.padding.amounts(k);
            // [out, in, k] -> [k * in, out], row t * in + c.
            let mut weight = vec![0.0; p.weight.len()];
            for o in 0..cout {
                for c in 0..cin {
                    for t in 0..k {
                        weight[(t * cin + c) * cout + o] = p.weight[(o * cin + c) * k + t];
                    }
                }
            }
            layers.push(ConvLayer {
                cin,
                cout,
                kernel: k,
                before,
                after,
                in_len,
                conv_len: in_len + before + after + 1 - k,
                pool: block.pool,
                out_len,
                weight,
                bias: p.bias.clone(),
            });
            cin = cout;
            in_len = out_len;
        }
        let (channels, len) = (cin, in_len);
        let mut head = Vec::with_capacity(params.head.len());
        let mut fin = channels * len;
        for (j, d) in params.head.iter().enumerate() {
            let fout = d.shape[1];
            if d.shape[0] != fin {
                return Err(Error::Weights(format!(
                    "dense layer {j} has {} inputs; the architecture needs {fin}",
                    d.shape[0]
                )));
            }
            let weight = if j == 0 {
                // PyTorch's input index c * len + l -> ours l * channels + c.
                let mut w = vec![0.0; d.weight.len()];
                for c in 0..channels {
                    for l in 0..len {
                        let (from, to) = ((c * len + l) * fout, (l * channels + c) * fout);
                        w[to..to + fout].copy_from_slice(&d.weight[from..from + fout]);
                    }
                }
                w
            } else {
                d.weight.clone()
            };
            head.push(Dense {
                fin,
                fout,
                weight,
                bias: d.bias.clone(),
            });
            fin = fout;
        }
        Ok(CpuNet {
            encoding: config.encoding,
            layers,
            residual_pairs: config.residual_pairs,
            head,
        })
    }

    /// Predictions for any number of constructs, in order.
    pub fn predict(&self, constructs: &[Construct]) -> Vec<f32> {
        let mut out = vec![0.0; constructs.len()];
        #[cfg(not(target_family = "wasm"))]
        if constructs.len() > CHUNK {
            use rayon::prelude::*;
            constructs
                .par_chunks(CHUNK)
                .zip(out.par_chunks_mut(CHUNK))
                .for_each(|(seqs, out)| self.forward_chunk(seqs, out, Parallelism::None));
            return out;
        }
        for (seqs, out) in constructs.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            self.forward_chunk(seqs, out, Parallelism::all());
        }
        out
    }

    /// The network on one chunk of sequences, predictions into `out`.
    fn forward_chunk(&self, constructs: &[Construct], out: &mut [f32], par: Parallelism) {
        let s = constructs.len();
        let mut input = self.encode(constructs);
        let mut conv = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let (next_before, next_len) = match self.layers.get(i + 1) {
                Some(next) => (next.before, next.padded_len()),
                None => (0, layer.out_len),
            };
            layer.convolve(&input, s, &mut conv, par);
            let mut next = vec![0.0; s * next_len * layer.cout];
            let skip = (self.residual_pairs && i % 2 == 1).then_some(&input[..]);
            layer.epilogue(&conv, s, skip, &mut next, next_before, next_len);
            input = next;
        }
        out.copy_from_slice(&self.head_forward(input, s, par));
    }

    /// The first layer's padded channels-last input, `[s, padded_len, channels]`.
    fn encode(&self, constructs: &[Construct]) -> Vec<f32> {
        let first = &self.layers[0];
        let (lp, c) = (first.padded_len(), first.cin);
        let mut input = vec![0.0; constructs.len() * lp * c];
        for (seq, construct) in constructs.iter().enumerate() {
            for (pos, &base) in construct.bases().iter().enumerate() {
                let row = (seq * lp + first.before + pos) * c;
                input[row..row + c].copy_from_slice(self.encoding.column(base));
            }
        }
        input
    }

    /// The dense head on `s` sequences' position-major features (`[s, len * channels]`).
    fn head_forward(&self, mut x: Vec<f32>, s: usize, par: Parallelism) -> Vec<f32> {
        let last = self.head.len() - 1;
        for (j, d) in self.head.iter().enumerate() {
            let mut y = vec![0.0; s * d.fout];
            matmul(s, d.fout, d.fin, &mut y, &x, d.fin, &d.weight, par);
            for row in y.chunks_exact_mut(d.fout) {
                for (v, &b) in row.iter_mut().zip(&d.bias) {
                    *v += b;
                    if j < last {
                        *v = v.max(0.0);
                    }
                }
            }
            x = y;
        }
        x
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;
    use crate::engine::mutations::{Mutation, Positions, naive_batch};
    use crate::input::sequence::prepare;
    use crate::model::config::{BlockConfig, Padding};
    use crate::model::network::{Camformer, encode_input};
    use crate::model::weights::{FoldedConv, HostDense};
    use burn::tensor::Device;

    /// Deterministic values in [-scale, scale).
    pub(super) fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
            })
            .collect()
    }

    pub(super) fn params(config: &ArchConfig) -> FoldedParams {
        let mut cin = config.encoding.channels();
        let mut convs = Vec::new();
        for (i, b) in config.blocks.iter().enumerate() {
            let n = b.channels * cin * b.kernel;
            let scale = (3.0 / (cin * b.kernel) as f32).sqrt();
            convs.push(FoldedConv {
                weight: values(n, 2 * i as u64, scale),
                bias: values(b.channels, 2 * i as u64 + 1, 0.1),
                shape: [b.channels, cin, b.kernel],
            });
            cin = b.channels;
        }
        let mut fin = config.flat_features().unwrap();
        let mut head = Vec::new();
        for (j, &fout) in config.head.iter().chain([&1]).enumerate() {
            head.push(HostDense {
                weight: values(fin * fout, 100 + j as u64, (3.0 / fin as f32).sqrt()),
                bias: values(fout, 200 + j as u64, 0.1),
                shape: [fin, fout],
            });
            fin = fout;
        }
        FoldedParams { convs, head }
    }

    fn block(channels: usize, kernel: usize, padding: Padding, pool: Option<Pool>) -> BlockConfig {
        BlockConfig {
            channels,
            kernel,
            padding,
            pool,
            dropout: 0.0,
        }
    }

    /// Family members the published models do not exercise: a pooled second block of a
    /// residual pair, kernel 1, a single block, asymmetric explicit padding.
    pub(super) fn odd_members() -> Vec<ArchConfig> {
        let same = Padding::Same;
        let pool = |kernel, stride| Some(Pool { kernel, stride });
        let base = ArchConfig::mini();
        vec![
            ArchConfig {
                name: "pooled_pair".into(),
                encoding: Encoding::OneHot,
                blocks: vec![
                    block(6, 3, same, pool(3, 2)),
                    block(6, 4, same, pool(1, 1)),
                    block(5, 1, same, None),
                    block(5, 7, same, None),
                ],
                residual_pairs: true,
                head: vec![7, 3],
                ..base.clone()
            },
            ArchConfig {
                name: "single".into(),
                blocks: vec![block(
                    9,
                    4,
                    Padding::Explicit {
                        before: 0,
                        after: 2,
                    },
                    pool(5, 3),
                )],
                head: vec![],
                ..base
            },
        ]
    }

    /// 19 sequences (more than two chunks), some with `N`.
    pub(super) fn constructs() -> Vec<Construct> {
        (0..19)
            .map(|s| {
                let text: String = (0..CONSTRUCT_LEN)
                    .map(|i| match (i * 7 + s * 13 + i * i * s) % 4 {
                        _ if s % 3 == 0 && (i == 2 * s || i == 100 - s) => 'N',
                        0 => 'A',
                        1 => 'C',
                        2 => 'G',
                        _ => 'T',
                    })
                    .collect();
                prepare(&text).unwrap().0
            })
            .collect()
    }

    #[test]
    fn equals_the_burn_module_on_unusual_family_members() {
        let device = Device::flex();
        let seqs = constructs();
        for config in odd_members() {
            let p = params(&config);
            let net = CpuNet::new(&config, &p).unwrap();
            let module = Camformer::from_folded(&config, &p, &device).unwrap();
            let x = encode_input(config.encoding, &seqs, &device);
            // Read back here: the predictor's helper would be a cycle (it depends on this module).
            let want = module.forward(x).into_data().try_into_vec::<f32>().unwrap();
            // More sequences than one chunk (several threads) and a single one.
            let got = net.predict(&seqs);
            let one = net.predict(&seqs[3..4]);
            assert_eq!(got.len(), seqs.len());
            let scale = want.iter().fold(1f32, |m, v| m.max(v.abs()));
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-5 * scale,
                    "{} seq {i}: {g} vs {w}",
                    config.name
                );
            }
            assert!((one[0] - want[3]).abs() <= 1e-5 * scale);
            // Not a constant function: the test would not see a broken layer otherwise.
            assert!(want.iter().any(|v| (v - want[0]).abs() > 1e-3 * scale));
        }
    }

    #[test]
    fn fast_ism_equals_predicting_every_mutant() {
        let seqs = constructs();
        for config in odd_members() {
            let net = CpuNet::new(&config, &params(&config)).unwrap();
            let mutations = Mutation::all(&seqs[5], Positions::All);
            let naive = net.predict(&naive_batch(&seqs[5], &mutations));
            let fast = net.ism(&seqs[5], mutations).unwrap();
            assert!((fast.reference - naive[0]).abs() < 1e-5);
            for ((_, d), p) in fast.effects.iter().zip(&naive[1..]) {
                assert!((d - (p - naive[0])).abs() < 1e-5, "{}: {d}", config.name);
            }
            assert!(fast.effects.iter().any(|(_, d)| d.abs() > 1e-3));
        }
    }

    #[test]
    fn mismatched_parameters_are_refused() {
        let config = odd_members().remove(0);
        let mut p = params(&config);
        p.convs[1].shape = [6, 5, 4];
        let e = CpuNet::new(&config, &p).unwrap_err().to_string();
        assert!(e.contains("[6, 5, 4]"), "{e}");
        let mut p = params(&config);
        p.head.pop();
        assert!(CpuNet::new(&config, &p).is_err());
    }
}
