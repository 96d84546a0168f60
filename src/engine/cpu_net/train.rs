//! Training on the CPU: the network's forward pass in training mode and its backward pass, on the
//! same channels-last buffers and implicit GEMMs as the inference network (see the parent
//! module's documentation).
//!
//! [`TrainNet::step`] takes the parameters in Burn's layouts ([`TrainParams`]), a batch and its
//! targets, and returns the loss, the gradient of every parameter (again in Burn's layouts) and
//! each batch norm's batch statistics. The trainer hands the gradients to Burn's optimiser, so
//! the model, the optimiser state and checkpoints stay Burn's; only the gradient computation is
//! replaced (Burn's autodiff spends two thirds of a CPU training step in its backward).
//!
//! What the forward computes, per convolution block, for a batch of `n` sequences:
//!
//! 1. `z = conv(x) + bias`: one GEMM for the whole batch, the windows read in place from the
//!    padded channels-last input (rows straddling two sequences are computed and ignored).
//! 2. Batch norm with the **batch statistics**: mean and biased variance of each channel over
//!    the `n * conv_len` positions, `y = gamma * (z - mean) / sqrt(var + eps) + beta`, as
//!    Burn's `batch_norm_train` (PyTorch normalises the same way).
//! 3. ReLU, max pooling (the first maximum of a window wins, as Burn's flex backend), dropout
//!    (optional, see below), and for the second block of a residual pair the block's input is
//!    added. The result is written into the next block's padded input.
//!
//! Then the dense head on the position-major features: the first dense layer's weights are
//! permuted for every step (Burn flattens `[channels, positions]` channel-major).
//!
//! What it keeps for the backward: each block's input buffer, the convolution output `z`, the
//! batch statistics, the argmax of every pooling window and the dropout factors. `y` and the
//! ReLU mask are recomputed from `z` (the same float expression, so the same bits).
//!
//! The backward, per block from the last, given the gradient of the block's output:
//!
//! - dropout factors, then max-pool routing to the argmax (windows may overlap: added), then
//!   the ReLU mask: the gradient `dy` of the batch-norm output;
//! - batch norm over the whole batch: `dbeta = sum dy`, `dgamma = sum dy * xhat`,
//!   `dz = gamma / std * (dy - mean(dy) - xhat * mean(dy * xhat))` (Burn's formula);
//! - `dz` is written into a buffer laid out like the convolution output with `kernel - 1` zero
//!   rows before it; the weight gradient is one GEMM, windows^T x dz, the windows again read in
//!   place (a transposed strided view);
//! - the input gradient is the convolution of the zero-padded `dz` with the flipped weights:
//!   with that buffer each input position's `kernel` taps are consecutive rows, so it is one
//!   more implicit GEMM (no im2col, no scatter);
//! - the residual adds the output gradient to the input gradient of a pair's second block.
//!
//! **Dropout.** Gradients equal Burn's when dropout is off (the tests check that). With dropout
//! on, [`Dropout`] says where the masks come from: this module's own seeded generator (the
//! trainer's default: fast, Burn's distribution but not Burn's masks), or the caller (the
//! trainer's `--dropout-masks burn` draws them from Burn's generator in the order and shapes
//! Burn's `Dropout` layers would, so that a run sees the very masks an autodiff run would; the
//! training crate's tests check one step against autodiff that way). Kept values are scaled by
//! `1 / (1 - p)`, as `burn::nn::Dropout` does.
//!
//! Natively, the GEMMs use all of rayon's threads and the elementwise passes run one sequence
//! per task (sums are formed per sequence and added in order, so results do not depend on the
//! number of threads); the large buffers are recycled between steps.

use crate::error::Error;
use crate::input::sequence::CONSTRUCT_LEN;
use crate::model::config::{ArchConfig, Pool};
use crate::model::network::{BATCH_NORM_EPS, Camformer};

use super::matmul::{Parallelism, Strided, matmul, matmul_strided};

/// The training loss, mean over the batch (the trainer's three choices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossKind {
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    L1,
    /// Huber loss with this delta.
    Huber {
        /// Where the loss turns from quadratic to linear.
        delta: f32,
    },
}

impl LossKind {
    /// The loss of one prediction and the derivative with respect to the prediction.
    fn value_and_slope(self, pred: f32, target: f32) -> (f64, f32) {
        let d = pred - target;
        match self {
            LossKind::Mse => ((d as f64) * (d as f64), 2.0 * d),
            // Burn's abs backward multiplies by sign(x), which is 0 at 0.
            LossKind::L1 => (d.abs() as f64, sign(d)),
            LossKind::Huber { delta } => {
                if d.abs() <= delta {
                    (0.5 * (d as f64) * (d as f64), d)
                } else {
                    (
                        delta as f64 * (d.abs() as f64 - 0.5 * delta as f64),
                        delta * sign(d),
                    )
                }
            }
        }
    }
}

fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// One convolution block's trainable parameters, in Burn's layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvParams {
    /// Convolution weight `[out, in, kernel]` row-major.
    pub weight: Vec<f32>,
    /// Convolution bias `[out]`.
    pub bias: Vec<f32>,
    /// Batch-norm scale `[out]`.
    pub gamma: Vec<f32>,
    /// Batch-norm shift `[out]`.
    pub beta: Vec<f32>,
}

/// One dense layer's parameters, in Burn's layout.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseParams {
    /// Weight `[in, out]` row-major (inputs of the first layer in Burn's channel-major order).
    pub weight: Vec<f32>,
    /// Bias `[out]`.
    pub bias: Vec<f32>,
}

/// Every trainable parameter of a model, or the gradient of each (the same layouts).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// Convolution blocks, in order.
    pub convs: Vec<ConvParams>,
    /// Dense layers, in order.
    pub head: Vec<DenseParams>,
}

impl TrainParams {
    /// Host copies of the trainable parameters of a Burn model that still has its batch-norm
    /// layers (a model being trained). Synchronous: native backends only.
    pub fn from_module(model: &Camformer) -> Result<Self, Error> {
        fn read<const D: usize>(t: burn::tensor::Tensor<D>) -> Result<Vec<f32>, Error> {
            t.into_data()
                .try_into_vec::<f32>()
                .map_err(|e| Error::Backend(format!("{e:?}")))
        }
        let mut convs = Vec::with_capacity(model.blocks.len());
        for (i, block) in model.blocks.iter().enumerate() {
            let missing = |what: &str| Error::Weights(format!("block {i} has no {what}"));
            let norm = block.norm.as_ref().ok_or_else(|| missing("batch norm"))?;
            let bias = block.conv.bias.as_ref().ok_or_else(|| missing("bias"))?;
            convs.push(ConvParams {
                weight: read(block.conv.weight.val())?,
                bias: read(bias.val())?,
                gamma: read(norm.gamma.val())?,
                beta: read(norm.beta.val())?,
            });
        }
        let mut head = Vec::with_capacity(model.head.len());
        for (j, layer) in model.head.iter().enumerate() {
            let bias = layer
                .bias
                .as_ref()
                .ok_or_else(|| Error::Weights(format!("dense layer {j} has no bias")))?;
            head.push(DenseParams {
                weight: read(layer.weight.val())?,
                bias: read(bias.val())?,
            });
        }
        Ok(TrainParams { convs, head })
    }
}

/// One batch norm's statistics over a batch, per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStats {
    /// Mean.
    pub mean: Vec<f32>,
    /// Biased variance (divided by the number of values): what normalises the batch, and what
    /// Burn's `BatchNorm` blends into its running variance.
    pub variance: Vec<f32>,
    /// Unbiased variance (divided by one less): what PyTorch blends into its running variance.
    pub unbiased_variance: Vec<f32>,
}

/// What one training step computed.
#[derive(Debug, Clone)]
pub struct StepOutput {
    /// Mean loss over the batch.
    pub loss: f64,
    /// The gradient of the mean loss with respect to every parameter.
    pub grads: TrainParams,
    /// Each block's batch statistics, in order.
    pub stats: Vec<BatchStats>,
}

/// What [`TrainNet::forward`] keeps for [`TrainNet::backward`]: every block's input,
/// convolution output, statistics, pooling argmax and dropout factors, and the head's
/// activations (for Original and a batch of 256, about 1 GB).
pub struct Tape {
    n: usize,
    saved: Vec<Saved>,
    /// The input of each dense layer.
    acts: Vec<Vec<f32>>,
    /// Each dense layer's output before its ReLU.
    pre: Vec<Vec<f32>>,
    /// Each hidden dense layer's dropout factors (empty without dropout).
    head_masks: Vec<Vec<f32>>,
    /// The dense weights as multiplied (the first permuted to position-major).
    weights: Vec<Vec<f32>>,
    /// The gradient of the mean loss with respect to each prediction.
    dpred: Vec<f32>,
    /// Mean loss over the batch.
    pub loss: f64,
    /// Each block's batch statistics, in order.
    pub stats: Vec<BatchStats>,
}

/// A convolution block's shape (no weights: those come with each step).
#[derive(Debug, Clone)]
struct Block {
    cin: usize,
    cout: usize,
    kernel: usize,
    before: usize,
    after: usize,
    in_len: usize,
    conv_len: usize,
    pool: Option<Pool>,
    out_len: usize,
    dropout: f64,
}

impl Block {
    fn padded_len(&self) -> usize {
        self.before + self.in_len + self.after
    }
}

/// What the forward keeps of one block for the backward.
struct Saved {
    /// The block's padded input `[n, padded_len, cin]`.
    input: Vec<f32>,
    /// Convolution output plus bias, rows as the inference network's (`seq * padded_len + j`).
    z: Vec<f32>,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    /// Per output element, the offset of the pooling window's (first) maximum.
    argmax: Vec<u32>,
    /// Per output element, 0 or `1 / (1 - p)`; empty without dropout.
    dropout: Vec<f32>,
}

/// The network's shape for training; parameters are passed to each [`TrainNet::step`].
#[derive(Debug, Clone)]
pub struct TrainNet {
    channels: usize,
    blocks: Vec<Block>,
    residual_pairs: bool,
    /// `(fin, fout)` of each dense layer.
    head: Vec<(usize, usize)>,
    head_dropout: f64,
    buffers: Buffers,
}

impl TrainNet {
    /// The training network of `config`.
    pub fn new(config: &ArchConfig) -> Result<Self, Error> {
        config.validate()?;
        let lengths = config.lengths()?;
        let mut cin = config.encoding.channels();
        let mut in_len = CONSTRUCT_LEN;
        let mut blocks = Vec::with_capacity(config.blocks.len());
        for (b, &out_len) in config.blocks.iter().zip(&lengths) {
            let (before, after) = b.padding.amounts(b.kernel);
            blocks.push(Block {
                cin,
                cout: b.channels,
                kernel: b.kernel,
                before,
                after,
                in_len,
                conv_len: in_len + before + after + 1 - b.kernel,
                pool: b.pool,
                out_len,
                dropout: b.dropout,
            });
            cin = b.channels;
            in_len = out_len;
        }
        let mut fin = config.flat_features()?;
        let mut head = Vec::with_capacity(config.head.len() + 1);
        for &fout in config.head.iter().chain(std::iter::once(&1)) {
            head.push((fin, fout));
            fin = fout;
        }
        Ok(TrainNet {
            channels: config.encoding.channels(),
            blocks,
            residual_pairs: config.residual_pairs,
            head,
            head_dropout: config.head_dropout,
            buffers: Buffers::default(),
        })
    }

    /// Checks that `params` fit this network.
    fn check(&self, p: &TrainParams) -> Result<(), Error> {
        let bad = |what: String| Err(Error::Weights(what));
        if p.convs.len() != self.blocks.len() || p.head.len() != self.head.len() {
            return bad(format!(
                "{} blocks and {} dense layers; the network has {} and {}",
                p.convs.len(),
                p.head.len(),
                self.blocks.len(),
                self.head.len()
            ));
        }
        for (i, (b, c)) in self.blocks.iter().zip(&p.convs).enumerate() {
            let sizes = [c.weight.len(), c.bias.len(), c.gamma.len(), c.beta.len()];
            let want = [b.cout * b.cin * b.kernel, b.cout, b.cout, b.cout];
            if sizes != want {
                return bad(format!(
                    "block {i}: parameter sizes {sizes:?}, need {want:?}"
                ));
            }
        }
        for (j, (&(fin, fout), d)) in self.head.iter().zip(&p.head).enumerate() {
            if d.weight.len() != fin * fout || d.bias.len() != fout {
                return bad(format!("dense layer {j}: sizes do not fit {fin} x {fout}"));
            }
        }
        Ok(())
    }

    /// One training step's forward and backward on a batch: [`TrainNet::forward`] then
    /// [`TrainNet::backward`].
    pub fn step(
        &self,
        params: &TrainParams,
        x: &[f32],
        y: &[f32],
        loss: LossKind,
        dropout: Dropout<'_>,
    ) -> Result<StepOutput, Error> {
        let tape = self.forward(params, x, y, loss, dropout)?;
        let (loss, stats) = (tape.loss, tape.stats.clone());
        let grads = self.backward(params, tape);
        Ok(StepOutput { loss, grads, stats })
    }

    /// The forward pass in training mode and the loss, keeping what the backward needs.
    ///
    /// `x` is the batch as the Burn model takes it, `[n, channels, 110]` row-major (the input
    /// encoding's channels); `y` the `n` targets. `dropout` says where the dropout masks come
    /// from, if any.
    pub fn forward(
        &self,
        params: &TrainParams,
        x: &[f32],
        y: &[f32],
        loss: LossKind,
        mut dropout: Dropout<'_>,
    ) -> Result<Tape, Error> {
        self.check(params)?;
        let n = y.len();
        if n == 0 || x.len() != n * self.channels * CONSTRUCT_LEN {
            return Err(Error::Backend(format!(
                "a batch of {} inputs for {n} targets; need {} per target",
                x.len(),
                self.channels * CONSTRUCT_LEN
            )));
        }
        let par = Parallelism::all();

        // ---- Forward: convolution blocks.
        let mut input = self.encode(x, n);
        let mut saved = Vec::with_capacity(self.blocks.len());
        let mut stats = Vec::with_capacity(self.blocks.len());
        for (i, (b, p)) in self.blocks.iter().zip(&params.convs).enumerate() {
            let (next_before, next_len) = match self.blocks.get(i + 1) {
                Some(next) => (next.before, next.padded_len()),
                None => (0, b.out_len),
            };
            let lp = b.padded_len();
            let rows = (n - 1) * lp + b.conv_len;
            let mut z = self.buffers.zeroed(rows * b.cout);
            let weight = forward_weight(&p.weight, b);
            matmul(
                rows,
                b.cout,
                b.kernel * b.cin,
                &mut z,
                &input,
                b.cin,
                &weight,
                par,
            );
            for_each_seq(&mut z, lp * b.cout, &mut [(); 0][..], 0, |_, z, _| {
                for row in z.chunks_exact_mut(b.cout) {
                    for (v, &bias) in row.iter_mut().zip(&p.bias) {
                        *v += bias;
                    }
                }
            });
            let s = batch_stats(&z, n, lp, b.conv_len, b.cout);
            let inv_std: Vec<f32> = s
                .variance
                .iter()
                .map(|&v| 1.0 / (v + BATCH_NORM_EPS as f32).sqrt())
                .collect();
            let bn = Norm {
                mean: &s.mean,
                inv_std: &inv_std,
                gamma: &p.gamma,
                beta: &p.beta,
            };
            let dropout = dropout.factors(&[n, b.cout, b.out_len], b.dropout, &self.buffers);
            let residual = self.residual_pairs && i % 2 == 1;
            let c = b.cout;
            let mut next = self.buffers.zeroed(n * next_len * c);
            // Pooled blocks record each window's argmax; others need no per-element state
            // (one dummy slot per sequence keeps the per-sequence split uniform).
            let per_seq_argmax = if b.pool.is_some() { b.out_len * c } else { 1 };
            let mut argmax = vec![0u32; n * per_seq_argmax];
            let (z_ref, input_ref) = (&z, &input);
            for_each_seq(
                &mut next,
                next_len * c,
                &mut argmax,
                per_seq_argmax,
                |seq, next, argmax| {
                    for pos in 0..b.out_len {
                        let o = (seq * b.out_len + pos) * c;
                        let dst = &mut next[(next_before + pos) * c..][..c];
                        match b.pool {
                            None => {
                                let zr = &z_ref[(seq * lp + pos) * c..][..c];
                                for ch in 0..c {
                                    dst[ch] = bn.relu(zr[ch], ch);
                                }
                            }
                            Some(pool) => {
                                let first = seq * lp + pos * pool.stride;
                                for ch in 0..c {
                                    // Burn's rule: a later value replaces the maximum only
                                    // if strictly greater, so the first maximum wins.
                                    let mut best = bn.relu(z_ref[first * c + ch], ch);
                                    let mut at = 0;
                                    for t in 1..pool.kernel {
                                        let v = bn.relu(z_ref[(first + t) * c + ch], ch);
                                        if v > best {
                                            best = v;
                                            at = t;
                                        }
                                    }
                                    dst[ch] = best;
                                    argmax[pos * c + ch] = at as u32;
                                }
                            }
                        }
                        if !dropout.is_empty() {
                            for (v, &m) in dst.iter_mut().zip(&dropout[o..o + c]) {
                                *v *= m;
                            }
                        }
                        if residual {
                            let skip = &input_ref[(seq * lp + b.before + pos) * c..][..c];
                            for (v, &s) in dst.iter_mut().zip(skip) {
                                *v += s;
                            }
                        }
                    }
                },
            );
            if b.pool.is_none() {
                argmax = Vec::new();
            }
            saved.push(Saved {
                input,
                z,
                mean: s.mean.clone(),
                inv_std,
                argmax,
                dropout,
            });
            stats.push(s);
            input = next;
        }

        // ---- Forward: dense head on the position-major features.
        let last_block = self.blocks.last().expect("validated: at least one block");
        let mut acts = vec![input]; // the input of each dense layer
        let mut pre = Vec::with_capacity(self.head.len()); // each layer's output before ReLU
        let mut head_masks = Vec::with_capacity(self.head.len());
        let weights: Vec<Vec<f32>> = params
            .head
            .iter()
            .enumerate()
            .map(|(j, d)| {
                if j == 0 {
                    to_position_major(
                        &d.weight,
                        last_block.cout,
                        last_block.out_len,
                        self.head[0].1,
                    )
                } else {
                    d.weight.clone()
                }
            })
            .collect();
        let last = self.head.len() - 1;
        for (j, (&(fin, fout), d)) in self.head.iter().zip(&params.head).enumerate() {
            let mut h = vec![0.0; n * fout];
            matmul(n, fout, fin, &mut h, &acts[j], fin, &weights[j], par);
            for row in h.chunks_exact_mut(fout) {
                for (v, &b) in row.iter_mut().zip(&d.bias) {
                    *v += b;
                }
            }
            if j < last {
                let mut a: Vec<f32> = h.iter().map(|&v| v.max(0.0)).collect();
                let mask = dropout.factors(&[n, fout], self.head_dropout, &self.buffers);
                for (v, &m) in a.iter_mut().zip(&mask) {
                    *v *= m;
                }
                head_masks.push(mask);
                acts.push(a);
            }
            pre.push(h);
        }

        // ---- Loss.
        let pred = &pre[last];
        let mut total = 0.0;
        let grad: Vec<f32> = pred
            .iter()
            .zip(y)
            .map(|(&p, &t)| {
                let (value, slope) = loss.value_and_slope(p, t);
                total += value;
                slope / n as f32
            })
            .collect();

        Ok(Tape {
            n,
            saved,
            acts,
            pre,
            head_masks,
            weights,
            dpred: grad,
            loss: total / n as f64,
            stats,
        })
    }

    /// The gradient of the tape's mean loss with respect to every parameter. `params` must be
    /// the parameters the tape was recorded with.
    pub fn backward(&self, params: &TrainParams, tape: Tape) -> TrainParams {
        let Tape {
            n,
            saved,
            acts,
            pre,
            head_masks,
            weights,
            dpred: mut grad,
            ..
        } = tape;
        let par = Parallelism::all();
        let last = self.head.len() - 1;
        let last_block = self.blocks.last().expect("validated: at least one block");

        // ---- Backward: dense head.
        let mut head_grads = Vec::with_capacity(self.head.len());
        for j in (0..self.head.len()).rev() {
            let (fin, fout) = self.head[j];
            if j < last {
                // Through the dropout, then the ReLU of this layer's output.
                if let Some(mask) = head_masks.get(j).filter(|m| !m.is_empty()) {
                    for (g, &m) in grad.iter_mut().zip(mask) {
                        *g *= m;
                    }
                }
                for (g, &h) in grad.iter_mut().zip(&pre[j]) {
                    if h <= 0.0 {
                        *g = 0.0;
                    }
                }
            }
            let mut dw = vec![0.0; fin * fout];
            // dW = x^T g: x read transposed in place.
            matmul_strided(
                fin,
                fout,
                n,
                &mut dw,
                fout,
                Strided::new(&acts[j], 1, fin),
                Strided::new(&grad, fout, 1),
                false,
                par,
            );
            let mut db = vec![0.0; fout];
            for row in grad.chunks_exact(fout) {
                for (s, &g) in db.iter_mut().zip(row) {
                    *s += g;
                }
            }
            // dx = g W^T: W read transposed in place.
            let mut dx = vec![0.0; n * fin];
            matmul_strided(
                n,
                fin,
                fout,
                &mut dx,
                fin,
                Strided::new(&grad, fout, 1),
                Strided::new(&weights[j], 1, fout),
                false,
                par,
            );
            if j == 0 {
                dw = to_channel_major(&dw, last_block.cout, last_block.out_len, fout);
            }
            head_grads.push(DenseParams {
                weight: dw,
                bias: db,
            });
            grad = dx;
        }
        head_grads.reverse();
        for a in acts {
            self.buffers.put(a);
        }

        // ---- Backward: convolution blocks. `grad` is the gradient of the block's output,
        // `[n, out_len, cout]`.
        let mut conv_grads = Vec::with_capacity(self.blocks.len());
        let mut saved = saved;
        for (i, (b, p)) in self.blocks.iter().zip(&params.convs).enumerate().rev() {
            let s = saved.pop().expect("one saved state per block");
            let (c, k, lp) = (b.cout, b.kernel, b.padded_len());
            let bn = Norm {
                mean: &s.mean,
                inv_std: &s.inv_std,
                gamma: &p.gamma,
                beta: &p.beta,
            };
            // `g` holds the gradient at the convolution output, row `k - 1 + seq * lp + j`
            // for position `j` of sequence `seq`; the `k - 1` rows before the first sequence
            // and after each sequence's conv_len rows stay zero (see the module docs).
            let mut g = self.buffers.zeroed((k - 1 + n * lp) * c);
            // Per sequence (rows k - 1 + seq * lp ..): route the output gradient through
            // dropout and pooling, apply the ReLU mask, and sum the batch-norm parameter
            // gradients (per sequence, added in order below so results do not depend on
            // the threads' timing).
            let (grad_ref, z_ref) = (&grad, &s.z);
            let partial = map_seq(&mut g[(k - 1) * c..], lp * c, |seq, g| {
                for pos in 0..b.out_len {
                    let o = (seq * b.out_len + pos) * c;
                    let from = &grad_ref[o..o + c];
                    let factors = s.dropout.get(o..o + c);
                    match b.pool {
                        None => {
                            let row = &mut g[pos * c..][..c];
                            match factors {
                                Some(f) => {
                                    for ((r, &d), &m) in row.iter_mut().zip(from).zip(f) {
                                        *r += d * m;
                                    }
                                }
                                None => {
                                    for (r, &d) in row.iter_mut().zip(from) {
                                        *r += d;
                                    }
                                }
                            }
                        }
                        Some(pool) => {
                            let first = pos * pool.stride;
                            for ch in 0..c {
                                let m = factors.map_or(1.0, |f| f[ch]);
                                let at = first + s.argmax[o + ch] as usize;
                                g[at * c + ch] += from[ch] * m;
                            }
                        }
                    }
                }
                // Sums of one sequence (at most a few hundred values) in f32, vectorised;
                // the sequences' sums are added in f64.
                let mut dbeta = vec![0.0f32; c];
                let mut dgamma = vec![0.0f32; c];
                let (mean, inv_std) = (&bn.mean[..c], &bn.inv_std[..c]);
                let (gamma, beta) = (&bn.gamma[..c], &bn.beta[..c]);
                for j in 0..b.conv_len {
                    let zr = &z_ref[(seq * lp + j) * c..][..c];
                    let gr = &mut g[j * c..][..c];
                    for ch in 0..c {
                        // The forward's expression (Norm::pre_relu), so the same mask.
                        let xhat = (zr[ch] - mean[ch]) * inv_std[ch];
                        let y = xhat * gamma[ch] + beta[ch];
                        let dy = if y > 0.0 { gr[ch] } else { 0.0 };
                        gr[ch] = dy;
                        dbeta[ch] += dy;
                        dgamma[ch] += dy * xhat;
                    }
                }
                (dbeta, dgamma)
            });
            let mut dbeta = vec![0.0f64; c];
            let mut dgamma = vec![0.0f64; c];
            for (pb, pg) in &partial {
                for ch in 0..c {
                    dbeta[ch] += pb[ch] as f64;
                    dgamma[ch] += pg[ch] as f64;
                }
            }
            // dz = gamma / std * (dy - mean(dy) - xhat * mean(dy * xhat)), and the bias
            // gradient (the sum of dz; zero up to rounding, as batch norm removes the bias).
            let count = (n * b.conv_len) as f64;
            let mean_dy: Vec<f32> = dbeta.iter().map(|&v| (v / count) as f32).collect();
            let mean_dyx: Vec<f32> = dgamma.iter().map(|&v| (v / count) as f32).collect();
            let scale: Vec<f32> = p.gamma.iter().zip(&s.inv_std).map(|(g, s)| g * s).collect();
            let partial = map_seq(&mut g[(k - 1) * c..], lp * c, |seq, g| {
                let mut dbias = vec![0.0f32; c];
                let (mean, inv_std) = (&bn.mean[..c], &bn.inv_std[..c]);
                let (scale, mean_dy, mean_dyx) = (&scale[..c], &mean_dy[..c], &mean_dyx[..c]);
                for j in 0..b.conv_len {
                    let zr = &z_ref[(seq * lp + j) * c..][..c];
                    let gr = &mut g[j * c..][..c];
                    for ch in 0..c {
                        let xhat = (zr[ch] - mean[ch]) * inv_std[ch];
                        let dz = scale[ch] * (gr[ch] - mean_dy[ch] - xhat * mean_dyx[ch]);
                        gr[ch] = dz;
                        dbias[ch] += dz;
                    }
                }
                dbias
            });
            let mut dbias = vec![0.0f64; c];
            for part in &partial {
                for (d, &v) in dbias.iter_mut().zip(part) {
                    *d += v as f64;
                }
            }
            // Weight gradient: [k * cin, cout] = windows^T x dz over every row of the batch
            // (rows straddling two sequences have dz = 0).
            let rows = (n - 1) * lp + b.conv_len;
            let mut dw = vec![0.0; k * b.cin * c];
            matmul_strided(
                k * b.cin,
                c,
                rows,
                &mut dw,
                c,
                Strided::new(&s.input, 1, b.cin),
                Strided::new(&g[(k - 1) * c..], c, 1),
                false,
                par,
            );
            conv_grads.push(ConvParams {
                weight: from_window_major(&dw, b),
                bias: dbias.iter().map(|&v| v as f32).collect(),
                gamma: dgamma.iter().map(|&v| v as f32).collect(),
                beta: dbeta.iter().map(|&v| v as f32).collect(),
            });
            self.buffers.put(s.z);
            self.buffers.put(s.dropout);
            if i == 0 {
                self.buffers.put(s.input);
                self.buffers.put(g);
                break; // the input needs no gradient
            }
            self.buffers.put(s.input);
            // Input gradient: the padded dz convolved with the flipped weights, one row per
            // padded input position.
            let mut dx = self.buffers.zeroed(n * lp * b.cin);
            let flipped = flipped_weight(&p.weight, b);
            matmul(n * lp, b.cin, k * c, &mut dx, &g, c, &flipped, par);
            // Keep the rows of real positions: the gradient of the previous block's output.
            let residual = self.residual_pairs && i % 2 == 1;
            let mut prev = self.buffers.zeroed(n * b.in_len * b.cin);
            for seq in 0..n {
                for q in 0..b.in_len {
                    let dst = &mut prev[(seq * b.in_len + q) * b.cin..][..b.cin];
                    dst.copy_from_slice(&dx[(seq * lp + b.before + q) * b.cin..][..b.cin]);
                    if residual {
                        // out = block(x) + x (out_len == in_len: validated with the config)
                        let skip = &grad[(seq * b.out_len + q) * c..][..c];
                        for (d, &s) in dst.iter_mut().zip(skip) {
                            *d += s;
                        }
                    }
                }
            }
            self.buffers.put(g);
            self.buffers.put(dx);
            self.buffers.put(std::mem::replace(&mut grad, prev));
        }
        conv_grads.reverse();

        TrainParams {
            convs: conv_grads,
            head: head_grads,
        }
    }

    /// The first block's padded channels-last input from the channel-major batch.
    fn encode(&self, x: &[f32], n: usize) -> Vec<f32> {
        let first = &self.blocks[0];
        let (lp, c) = (first.padded_len(), self.channels);
        let mut input = self.buffers.zeroed(n * lp * c);
        for seq in 0..n {
            for ch in 0..c {
                let from = &x[(seq * c + ch) * CONSTRUCT_LEN..][..CONSTRUCT_LEN];
                for (pos, &v) in from.iter().enumerate() {
                    input[(seq * lp + first.before + pos) * c + ch] = v;
                }
            }
        }
        input
    }
}

/// Large buffers kept from one step to the next. A fresh allocation of tens of megabytes is a
/// fresh mapping, which the kernel zeroes page by page on first touch: 15% of a Mini step on
/// the CPU when every buffer was new. Recycled buffers are zeroed in place instead.
#[derive(Default)]
struct Buffers(std::sync::Mutex<Vec<Vec<f32>>>);

impl Buffers {
    /// A buffer of `len` zeros: the smallest kept one that holds it, else a grown one.
    fn zeroed(&self, len: usize) -> Vec<f32> {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let fits = (0..kept.len())
            .filter(|&i| kept[i].capacity() >= len)
            .min_by_key(|&i| kept[i].capacity());
        let largest = (0..kept.len()).max_by_key(|&i| kept[i].capacity());
        let mut buf = fits
            .or(largest)
            .map(|i| kept.swap_remove(i))
            .unwrap_or_default();
        drop(kept);
        buf.clear();
        buf.resize(len, 0.0);
        buf
    }

    /// Keeps `buf` for a later [`Buffers::zeroed`].
    fn put(&self, buf: Vec<f32>) {
        if buf.capacity() > 0 {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(buf);
        }
    }
}

impl Clone for Buffers {
    fn clone(&self) -> Self {
        Buffers::default()
    }
}

impl std::fmt::Debug for Buffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Buffers")
    }
}

/// `f(seq, a, b)` for each sequence, with `a` and `b` that sequence's chunks of `a_len` and
/// `b_len` elements (`b_len` 0: an empty slice). Natively on all of rayon's threads.
fn for_each_seq<A: Send, B: Send>(
    a: &mut [A],
    a_len: usize,
    b: &mut [B],
    b_len: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync + Send,
) {
    #[cfg(not(target_family = "wasm"))]
    {
        use rayon::prelude::*;
        if b_len == 0 {
            a.par_chunks_mut(a_len)
                .enumerate()
                .for_each(|(seq, a)| f(seq, a, &mut []));
        } else {
            a.par_chunks_mut(a_len)
                .zip(b.par_chunks_mut(b_len))
                .enumerate()
                .for_each(|(seq, (a, b))| f(seq, a, b));
        }
    }
    #[cfg(target_family = "wasm")]
    {
        if b_len == 0 {
            for (seq, a) in a.chunks_mut(a_len).enumerate() {
                f(seq, a, &mut []);
            }
        } else {
            for (seq, (a, b)) in a.chunks_mut(a_len).zip(b.chunks_mut(b_len)).enumerate() {
                f(seq, a, b);
            }
        }
    }
}

/// `f(seq, chunk)` for each `len`-element chunk of `data` (one per sequence), natively on all
/// threads; the results in sequence order.
fn map_seq<R: Send>(
    data: &mut [f32],
    len: usize,
    f: impl Fn(usize, &mut [f32]) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(not(target_family = "wasm"))]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(len)
            .enumerate()
            .map(|(seq, c)| f(seq, c))
            .collect()
    }
    #[cfg(target_family = "wasm")]
    {
        data.chunks_mut(len)
            .enumerate()
            .map(|(seq, c)| f(seq, c))
            .collect()
    }
}

/// Batch norm with fixed statistics, per channel.
struct Norm<'a> {
    mean: &'a [f32],
    inv_std: &'a [f32],
    gamma: &'a [f32],
    beta: &'a [f32],
}

impl Norm<'_> {
    fn xhat(&self, z: f32, ch: usize) -> f32 {
        (z - self.mean[ch]) * self.inv_std[ch]
    }

    fn pre_relu(&self, z: f32, ch: usize) -> f32 {
        self.xhat(z, ch) * self.gamma[ch] + self.beta[ch]
    }

    fn relu(&self, z: f32, ch: usize) -> f32 {
        self.pre_relu(z, ch).max(0.0)
    }
}

/// Mean and variances of each channel over the `conv_len` real rows of each sequence: sums
/// over one sequence (a few hundred values) in f32, vectorised; the sequences' sums added in
/// f64, in sequence order (the same result on any number of threads).
fn batch_stats(z: &[f32], n: usize, lp: usize, conv_len: usize, c: usize) -> BatchStats {
    let count = (n * conv_len) as f64;
    let rows = |seq: usize| z[seq * lp * c..][..conv_len * c].chunks_exact(c);
    let mut sum = vec![0.0f64; c];
    for part in map_range(n, |seq| {
        let mut sum = vec![0.0f32; c];
        for row in rows(seq) {
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += v;
            }
        }
        sum
    }) {
        for (s, p) in sum.iter_mut().zip(part) {
            *s += p as f64;
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
    let mean32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let mut sq = vec![0.0f64; c];
    for part in map_range(n, |seq| {
        let mut sq = vec![0.0f32; c];
        for row in rows(seq) {
            for ((s, &v), &m) in sq.iter_mut().zip(row).zip(&mean32) {
                let d = v - m;
                *s += d * d;
            }
        }
        sq
    }) {
        for (s, p) in sq.iter_mut().zip(part) {
            *s += p as f64;
        }
    }
    BatchStats {
        mean: mean.iter().map(|&m| m as f32).collect(),
        variance: sq.iter().map(|&s| (s / count) as f32).collect(),
        unbiased_variance: sq
            .iter()
            .map(|&s| (s / (count - 1.0).max(1.0)) as f32)
            .collect(),
    }
}

/// `f(seq)` for `seq` in `0..n`, natively on all threads; the results in order.
fn map_range<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    #[cfg(not(target_family = "wasm"))]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(target_family = "wasm")]
    {
        (0..n).map(f).collect()
    }
}

/// Burn's `[out, in, k]` convolution weight as `[k * in, out]` (row `t * in + c`): the
/// forward GEMM's right operand for channels-last windows.
fn forward_weight(w: &[f32], b: &Block) -> Vec<f32> {
    let (cin, cout, k) = (b.cin, b.cout, b.kernel);
    let mut out = vec![0.0; w.len()];
    for o in 0..cout {
        for c in 0..cin {
            for t in 0..k {
                out[(t * cin + c) * cout + o] = w[(o * cin + c) * k + t];
            }
        }
    }
    out
}

/// Burn's `[out, in, k]` weight as `[k * out, in]` with the taps reversed (row
/// `u * out + o` holds tap `k - 1 - u`): the input-gradient GEMM's right operand.
fn flipped_weight(w: &[f32], b: &Block) -> Vec<f32> {
    let (cin, cout, k) = (b.cin, b.cout, b.kernel);
    let mut out = vec![0.0; w.len()];
    for o in 0..cout {
        for c in 0..cin {
            for t in 0..k {
                out[((k - 1 - t) * cout + o) * cin + c] = w[(o * cin + c) * k + t];
            }
        }
    }
    out
}

/// A `[k * in, out]` weight gradient back in Burn's `[out, in, k]`.
fn from_window_major(dw: &[f32], b: &Block) -> Vec<f32> {
    let (cin, cout, k) = (b.cin, b.cout, b.kernel);
    let mut out = vec![0.0; dw.len()];
    for o in 0..cout {
        for c in 0..cin {
            for t in 0..k {
                out[(o * cin + c) * k + t] = dw[(t * cin + c) * cout + o];
            }
        }
    }
    out
}

/// A first dense layer's `[channels * len, fout]` weight (input `c * len + l`, Burn's flatten)
/// as `[len * channels, fout]` (input `l * channels + c`, the position-major features).
fn to_position_major(w: &[f32], channels: usize, len: usize, fout: usize) -> Vec<f32> {
    let mut out = vec![0.0; w.len()];
    for c in 0..channels {
        for l in 0..len {
            let (from, to) = ((c * len + l) * fout, (l * channels + c) * fout);
            out[to..to + fout].copy_from_slice(&w[from..from + fout]);
        }
    }
    out
}

/// The inverse of [`to_position_major`].
fn to_channel_major(w: &[f32], channels: usize, len: usize, fout: usize) -> Vec<f32> {
    let mut out = vec![0.0; w.len()];
    for c in 0..channels {
        for l in 0..len {
            let (to, from) = ((c * len + l) * fout, (l * channels + c) * fout);
            out[to..to + fout].copy_from_slice(&w[from..from + fout]);
        }
    }
    out
}

/// Where a training forward's dropout masks come from.
pub enum Dropout<'a> {
    /// No dropout (what the gradient tests compare with Burn).
    Off,
    /// Masks from this module's own generator (splitmix64), seeded: the same masks for the
    /// same seed on every platform.
    Seeded(u64),
    /// Masks drawn by the caller, one call per dropout site with a positive rate, in forward
    /// order (blocks, then hidden dense layers). The call gets the site's shape as Burn's
    /// tensor there (`[n, channels, len]` after a block, `[n, width]` in the head) and the
    /// probability of keeping a value, and returns one keep flag (0 or 1) per element in that
    /// shape's row-major order. The trainer draws them from Burn's generator in the order
    /// `burn::nn::Dropout` does, so a run draws the masks the autodiff engine would have.
    Drawn(&'a mut dyn FnMut(&[usize], f64) -> Vec<f32>),
}

impl Dropout<'_> {
    /// The dropout factors of a site of rate `p` (empty when nothing is dropped), in this
    /// network's position-major order: 0, or `1 / (1 - p)` as `burn::nn::Dropout` scales.
    fn factors(&mut self, shape: &[usize], p: f64, buffers: &Buffers) -> Vec<f32> {
        if p <= 0.0 {
            return Vec::new();
        }
        let keep = 1.0 - p;
        let scale = (1.0 / keep) as f32;
        let len: usize = shape.iter().product();
        match self {
            Dropout::Off => Vec::new(),
            Dropout::Seeded(state) => {
                // One stream per site and sequence, so that sequences draw in parallel.
                let mut site = Rng(*state);
                let site_seed = site.next();
                *state = site.0;
                // Keep with probability `keep`: a 32-bit uniform below keep * 2^32.
                let threshold = (keep * 4_294_967_296.0) as u64;
                let mut out = buffers.zeroed(len);
                for_each_seq(
                    &mut out,
                    len / shape[0],
                    &mut [(); 0][..],
                    0,
                    |seq, out, _| {
                        let mut rng =
                            Rng(site_seed ^ (seq as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                        // Two 32-bit uniforms from each 64-bit draw.
                        let factor = |u: u64| if u < threshold { scale } else { 0.0 };
                        let mut pairs = out.chunks_exact_mut(2);
                        for pair in &mut pairs {
                            let r = rng.next();
                            pair[0] = factor(r >> 32);
                            pair[1] = factor(r & 0xFFFF_FFFF);
                        }
                        for v in pairs.into_remainder() {
                            *v = factor(rng.next() >> 32);
                        }
                    },
                );
                out
            }
            Dropout::Drawn(draw) => {
                let flags = draw(shape, keep);
                assert_eq!(flags.len(), len, "dropout flags for {shape:?}");
                match *shape {
                    // [n, c, l] -> [n, l, c]
                    [n, c, l] => {
                        let mut out = buffers.zeroed(len);
                        for seq in 0..n {
                            for ch in 0..c {
                                for pos in 0..l {
                                    out[(seq * l + pos) * c + ch] =
                                        flags[(seq * c + ch) * l + pos] * scale;
                                }
                            }
                        }
                        out
                    }
                    _ => flags.iter().map(|&f| f * scale).collect(),
                }
            }
        }
    }
}

/// splitmix64: fast, and the same stream on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::super::tests::{constructs, odd_members, values};
    use super::*;
    use burn::module::Param;
    use burn::nn::loss::{HuberLossConfig, Reduction};
    use burn::tensor::{Device, Tensor, TensorData};

    const LOSSES: [LossKind; 3] = [LossKind::Mse, LossKind::L1, LossKind::Huber { delta: 0.9 }];

    fn without_dropout(mut config: ArchConfig) -> ArchConfig {
        for b in &mut config.blocks {
            b.dropout = 0.0;
        }
        config.head_dropout = 0.0;
        config
    }

    /// A Burn model on the autodiff CPU device whose every parameter comes from `values` (not
    /// from Burn's initialiser: its generator is global, and tests running in parallel would
    /// draw from it in any order, so the weights, and how close a ReLU input sits to 0, would
    /// change from run to run). Weights are uniform in +-1/sqrt(fan-in) as Burn's default
    /// initialiser draws them; batch-norm scales and shifts are random too (Burn starts them at
    /// 1 and 0, which would hide a mix-up of the two).
    fn model(config: &ArchConfig, seed: u64) -> (Camformer, Device) {
        let device = Device::flex().autodiff();
        let mut model = Camformer::new(config, &device).unwrap();
        let mut next = seed * 1000;
        let mut draw = |n: usize, scale: f32| {
            next += 1;
            values(n, next, scale)
        };
        fn param<const D: usize>(
            v: Vec<f32>,
            dims: [usize; D],
            device: &Device,
        ) -> Param<Tensor<D>> {
            Param::from_tensor(Tensor::from_data(TensorData::new(v, dims), device))
        }
        for block in model.blocks.iter_mut() {
            let dims = block.conv.weight.dims();
            let [out, input, width] = dims;
            let scale = 1.0 / ((input * width) as f32).sqrt();
            block.conv.weight = param(draw(out * input * width, scale), dims, &device);
            block.conv.bias = Some(param(draw(out, scale), [out], &device));
            let norm = block.norm.as_mut().unwrap();
            let c = norm.gamma.dims()[0];
            let gamma = draw(c, 0.5).iter().map(|v| 1.0 + v).collect();
            norm.gamma = param(gamma, [c], &device);
            norm.beta = param(draw(c, 0.3), [c], &device);
        }
        for layer in model.head.iter_mut() {
            let dims = layer.weight.dims();
            let [input, out] = dims;
            let scale = 1.0 / (input as f32).sqrt();
            layer.weight = param(draw(input * out, scale), dims, &device);
            layer.bias = Some(param(draw(out, scale), [out], &device));
        }
        (model, device)
    }

    /// The trainer's loss functions, in Burn.
    fn burn_loss(loss: LossKind, pred: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
        match loss {
            LossKind::Mse => (pred - target).powi_scalar(2).mean(),
            LossKind::L1 => (pred - target).abs().mean(),
            LossKind::Huber { delta } => {
                HuberLossConfig::new(delta)
                    .init()
                    .forward(pred, target, Reduction::Mean)
            }
        }
    }

    fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    /// A batch norm's running mean and variance.
    type Running = (Vec<f32>, Vec<f32>);

    /// Burn autodiff's loss and gradients for one step in training mode, and each batch norm's
    /// running mean and variance after it.
    fn burn_step(
        model: &Camformer,
        device: &Device,
        x: &[f32],
        y: &[f32],
        loss: LossKind,
    ) -> (f64, TrainParams, Vec<Running>) {
        let n = y.len();
        let channels = x.len() / n / CONSTRUCT_LEN;
        let input = Tensor::<3>::from_data(
            TensorData::new(x.to_vec(), [n, channels, CONSTRUCT_LEN]),
            device,
        );
        let target = Tensor::<2>::from_data(TensorData::new(y.to_vec(), [n, 1]), device);
        let value = burn_loss(loss, model.forward(input), target);
        let grads = value.backward();
        let g = |t: Tensor<1>| read(t.grad(&grads).expect("a gradient"));
        let g3 = |t: Tensor<3>| read(t.grad(&grads).expect("a gradient"));
        let g2 = |t: Tensor<2>| read(t.grad(&grads).expect("a gradient"));
        let convs = model
            .blocks
            .iter()
            .map(|b| {
                let norm = b.norm.as_ref().unwrap();
                ConvParams {
                    weight: g3(b.conv.weight.val()),
                    bias: g(b.conv.bias.as_ref().unwrap().val()),
                    gamma: g(norm.gamma.val()),
                    beta: g(norm.beta.val()),
                }
            })
            .collect();
        let head = model
            .head
            .iter()
            .map(|l| DenseParams {
                weight: g2(l.weight.val()),
                bias: g(l.bias.as_ref().unwrap().val()),
            })
            .collect();
        let running = model
            .blocks
            .iter()
            .map(|b| {
                let norm = b.norm.as_ref().unwrap();
                (
                    read(norm.running_mean.value_sync()),
                    read(norm.running_var.value_sync()),
                )
            })
            .collect();
        let value = read(value)[0] as f64;
        (value, TrainParams { convs, head }, running)
    }

    /// A batch of `n` constructs (some with `N`) encoded for `config`, and targets spread over
    /// [-2, 2] (so that Huber's residuals fall on both sides of delta).
    fn batch(config: &ArchConfig, n: usize) -> (Vec<f32>, Vec<f32>) {
        let seqs: Vec<_> = constructs().into_iter().take(n).collect();
        (config.encoding.encode_batch(&seqs), values(n, 77, 2.0))
    }

    /// `max |got - want| <= 1e-4 * max |want|`, with `floor` as the least scale.
    fn assert_close(what: &str, got: &[f32], want: &[f32], floor: f32) {
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        let scale = want.iter().fold(floor, |m, v| m.max(v.abs()));
        let diff = got
            .iter()
            .zip(want)
            .fold(0f32, |m, (g, w)| m.max((g - w).abs()));
        assert!(
            diff <= 1e-4 * scale,
            "{what}: max difference {diff:e} at scale {scale:e}"
        );
    }

    fn assert_gradients_equal(config: &ArchConfig, n: usize) {
        let config = without_dropout(config.clone());
        let (x, y) = batch(&config, n);
        let net = TrainNet::new(&config).unwrap();
        for loss in LOSSES {
            let (module, device) = model(&config, 11);
            let params = TrainParams::from_module(&module).unwrap();
            let ours = net.step(&params, &x, &y, loss, Dropout::Off).unwrap();
            let (want_loss, want, running) = burn_step(&module, &device, &x, &y, loss);
            let name = |what: &str| format!("{} {loss:?}: {what}", config.name);
            assert!(
                (ours.loss - want_loss).abs() <= 1e-5 * want_loss.abs().max(1.0),
                "{}: {} vs {want_loss}",
                name("loss"),
                ours.loss
            );
            for (i, (g, w)) in ours.grads.convs.iter().zip(&want.convs).enumerate() {
                // The gradient must not vanish, or the comparison would prove nothing.
                assert!(w.weight.iter().any(|v| v.abs() > 1e-6), "{}", name("zero"));
                assert_close(
                    &name(&format!("conv {i} weight")),
                    &g.weight,
                    &w.weight,
                    0.0,
                );
                assert_close(&name(&format!("bn {i} gamma")), &g.gamma, &w.gamma, 0.0);
                assert_close(&name(&format!("bn {i} beta")), &g.beta, &w.beta, 0.0);
                // Batch norm removes the convolution bias, so its true gradient is 0 and both
                // sides hold rounding noise: compared at the scale of the shift's gradient.
                let floor = w.beta.iter().fold(0f32, |m, v| m.max(v.abs()));
                assert_close(&name(&format!("conv {i} bias")), &g.bias, &w.bias, floor);
            }
            for (j, (g, w)) in ours.grads.head.iter().zip(&want.head).enumerate() {
                assert!(w.weight.iter().any(|v| v.abs() > 1e-6), "{}", name("zero"));
                assert_close(
                    &name(&format!("dense {j} weight")),
                    &g.weight,
                    &w.weight,
                    0.0,
                );
                assert_close(&name(&format!("dense {j} bias")), &g.bias, &w.bias, 0.0);
            }
            // Burn's BatchNorm blends the batch mean and the biased variance into its running
            // statistics with momentum 0.1, from 0 and 1.
            for (i, (s, (mean, var))) in ours.stats.iter().zip(&running).enumerate() {
                let m: Vec<f32> = s.mean.iter().map(|v| 0.1 * v).collect();
                let v: Vec<f32> = s.variance.iter().map(|v| 0.9 + 0.1 * v).collect();
                assert_close(&name(&format!("running mean {i}")), &m, mean, 1e-3);
                assert_close(&name(&format!("running var {i}")), &v, var, 1.0);
                for (b, u) in s.variance.iter().zip(&s.unbiased_variance) {
                    let count = (n * net.blocks[i].conv_len) as f32;
                    assert!((u * (count - 1.0) - b * count).abs() <= 1e-4 * b * count);
                }
            }
        }
    }

    #[test]
    fn mini_gradients_equal_burn_autodiff() {
        assert_gradients_equal(&ArchConfig::mini(), 6);
    }

    #[test]
    fn original_gradients_equal_burn_autodiff() {
        assert_gradients_equal(&ArchConfig::original(), 2);
    }

    #[test]
    fn family_member_gradients_equal_burn_autodiff() {
        for config in odd_members() {
            assert_gradients_equal(&config, 8);
        }
    }

    /// With dropout on, the masks are this module's own, so Burn cannot be the reference:
    /// the gradient is checked against central differences of the loss along its own
    /// direction, with the same masks (same seed) at every evaluation.
    #[test]
    fn dropout_gradients_match_finite_differences() {
        let mut config = odd_members().remove(0);
        for b in &mut config.blocks {
            b.dropout = 0.3;
        }
        config.head_dropout = 0.2;
        let (x, y) = batch(&config, 8);
        let net = TrainNet::new(&config).unwrap();
        // Fixed parameters (not Burn's initialiser, whose generator other tests share), so
        // that the test sees the same function on every run.
        let mut params = TrainParams::from_module(&model(&config, 3).0).unwrap();
        let fixed = values(flat(&params).len(), 5, 0.3);
        for (v, f) in flat_mut(&mut params).into_iter().zip(fixed) {
            *v = f;
        }
        // Scales near 1 and positive shifts and biases keep most ReLUs alive, so that every
        // layer has a gradient to check.
        for c in &mut params.convs {
            c.gamma.iter_mut().for_each(|g| *g += 1.0);
            c.beta.iter_mut().for_each(|b| *b += 0.3);
        }
        for d in &mut params.head {
            d.bias.iter_mut().for_each(|b| *b += 0.5);
        }
        let loss = LossKind::Mse;
        let out = net.step(&params, &x, &y, loss, Dropout::Seeded(9)).unwrap();
        // Dropout changes the result (the masks are really applied) ...
        let off = net.step(&params, &x, &y, loss, Dropout::Off).unwrap();
        assert!((out.loss - off.loss).abs() > 1e-6);
        // ... and the same seed draws the same masks.
        assert_eq!(
            net.step(&params, &x, &y, loss, Dropout::Seeded(9))
                .unwrap()
                .loss,
            out.loss
        );
        // One direction per layer (its gradient, zero elsewhere): an error in one layer's
        // gradient would hide in a direction dominated by another's. The convolution bias is
        // left out: batch norm removes it, its true gradient is 0.
        let layers = out.grads.convs.len() + out.grads.head.len();
        for layer in 0..layers {
            let mut dir = out.grads.clone();
            for v in flat_mut(&mut dir) {
                *v = 0.0;
            }
            if layer < out.grads.convs.len() {
                let (d, g) = (&mut dir.convs[layer], &out.grads.convs[layer]);
                d.weight.clone_from(&g.weight);
                d.gamma.clone_from(&g.gamma);
                d.beta.clone_from(&g.beta);
            } else {
                let j = layer - out.grads.convs.len();
                dir.head[j] = out.grads.head[j].clone();
            }
            let dir = flat(&dir);
            let norm2: f64 = dir.iter().map(|&g| (g as f64).powi(2)).sum();
            assert!(norm2 > 1e-12, "layer {layer} has no gradient");
            let eps = 1e-3 / norm2.sqrt();
            let moved = |sign: f64| {
                let mut p = params.clone();
                for (v, g) in flat_mut(&mut p).into_iter().zip(&dir) {
                    *v += (sign * eps * *g as f64) as f32;
                }
                net.step(&p, &x, &y, loss, Dropout::Seeded(9)).unwrap().loss
            };
            let slope = (moved(1.0) - moved(-1.0)) / (2.0 * eps);
            assert!(
                (slope - norm2).abs() <= 0.03 * norm2,
                "layer {layer}: directional derivative {slope} vs |grad|^2 {norm2}"
            );
        }
    }

    fn flat(p: &TrainParams) -> Vec<f32> {
        let mut out = Vec::new();
        for c in &p.convs {
            for v in [&c.weight, &c.bias, &c.gamma, &c.beta] {
                out.extend_from_slice(v);
            }
        }
        for d in &p.head {
            out.extend_from_slice(&d.weight);
            out.extend_from_slice(&d.bias);
        }
        out
    }

    fn flat_mut(p: &mut TrainParams) -> Vec<&mut f32> {
        let mut out: Vec<&mut f32> = Vec::new();
        for c in &mut p.convs {
            for v in [&mut c.weight, &mut c.bias, &mut c.gamma, &mut c.beta] {
                out.extend(v.iter_mut());
            }
        }
        for d in &mut p.head {
            out.extend(d.weight.iter_mut());
            out.extend(d.bias.iter_mut());
        }
        out
    }

    #[test]
    fn parameters_of_another_shape_are_refused() {
        let config = without_dropout(ArchConfig::mini());
        let net = TrainNet::new(&config).unwrap();
        let (module, _) = model(&config, 1);
        let mut params = TrainParams::from_module(&module).unwrap();
        let (x, y) = batch(&config, 2);
        params.convs[2].gamma.pop();
        let e = net
            .step(&params, &x, &y, LossKind::Mse, Dropout::Off)
            .unwrap_err();
        assert!(e.to_string().contains("block 2"), "{e}");
        let params = TrainParams::from_module(&module).unwrap();
        assert!(
            net.step(&params, &x[1..], &y, LossKind::Mse, Dropout::Off)
                .is_err()
        );
    }
}
