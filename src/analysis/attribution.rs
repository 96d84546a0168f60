//! Attributions: which positions and bases of a construct drive its prediction.
//!
//! Two methods, both from one backward pass through the network with Burn's autodiff:
//!
//! - **gradient x input**: `x[c, p] * d prediction / d x[c, p]` for every input channel `c` and
//!   position `p`, and per position the sum over channels. The network is piecewise linear in
//!   its input (convolutions, ReLU, max pooling, dense layers; batch norm in eval mode is an
//!   affine map), so this sum is exactly the first-order change of the prediction when the
//!   base at `p` is taken out of the encoding.
//! - **Grad-CAM as the Camformer authors computed it** (`base/gradcam_utils.py` in
//!   `gautammalik-git/Camformer`, functions `plot_layer_gradcam` and `plot_layerwise_logo`):
//!   for a chosen convolution block, the channel mean of the convolution's output (resampled to
//!   110 positions where the layer has another length) times the gradient of the prediction
//!   with respect to the encoded input, divided by the maximum of the result. See
//!   [`Method::GradCam`] for each convention and why it was chosen.
//!
//! Gradients come from Burn's autodiff on the same backends as prediction (the CPU and
//! WebGPU, natively and in the browser): the encoded input is marked as requiring a gradient
//! and the network's parameters take part as constants, so no copy of the model is made.
//! Everything after the backward pass (resampling, products, normalisation) runs on the host
//! from the read-back tensors, with a synchronous read-back natively and an asynchronous one
//! (`into_data_async`, required on WebGPU) everywhere.
//!
//! The prediction is piecewise linear in the encoded input, and where repeats (a long poly-A
//! run, say) make neighbouring max-pooling windows exactly equal it has no derivative; there
//! the backward pass sends the gradient to one of the tied windows, on the CPU backend the same
//! one as PyTorch (`tests/suite/attribution.rs` checks both against finite differences away
//! from ties and against PyTorch on real constructs with ties).
//!
//! ```no_run
//! # fn main() -> Result<(), camformer::Error> {
//! use camformer::analysis::attribution::Attributor;
//! use camformer::{ArchConfig, Backend, input::records::parse_all};
//! let weights = std::fs::read("mini.safetensors").unwrap();
//! let attributor = Attributor::from_weights(ArchConfig::mini(), &weights, Backend::Cpu.device()?)?;
//! let (good, _rejected) = parse_all(">s1\nACGT...\n");
//! let constructs: Vec<_> = good.iter().map(|p| p.construct).collect();
//! let last = attributor.config().blocks.len() - 1;
//! let cam = attributor.grad_cam(&constructs, last)?;
//! let scores = cam.per_position(0); // 110 values, position 1 first
//! # Ok(()) }
//! ```

use std::fmt;

use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

use crate::engine::predictor::{Predictor, read_vec};
use crate::error::Error;
use crate::input::sequence::{CONSTRUCT_LEN, Construct};
use crate::model::config::ArchConfig;
use crate::model::manifest::Manifest;
use crate::model::network::{Camformer, ConvBlock};
use crate::model::weights::{BatchNormMode, StateDict};

/// Sequences per forward and backward pass by default. Smaller than prediction's batch: the
/// backward pass keeps every block's activations, about 0.25 MB per sequence and block for
/// Camformer Original.
pub const DEFAULT_BATCH: usize = 32;

/// An attribution method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `input x gradient` per channel and position; per position, the sum over channels.
    GradientXInput,
    /// Grad-CAM of one convolution block, as the Camformer authors computed it.
    ///
    /// Conventions, each as in the authors' `base/gradcam_utils.py`:
    ///
    /// - `layer` is the 0-based block index (the authors' `layer_idx` into `CNN_layers`), and
    ///   the activation is the output of that block's **convolution**, before batch norm, ReLU
    ///   and pooling: the authors hook `CNN_layers[layer_idx][0]`, which is the `Conv2d` (or
    ///   Original's padding wrapper around it). This is why Grad-CAM needs the batch-norm
    ///   layers unfolded (see [`Attributor::supports_grad_cam`]).
    /// - The activation is averaged over the layer's output channels (`mean(dim=1)`), giving
    ///   one value per layer position; no gradient weighting of channels, unlike the original
    ///   Grad-CAM paper, because the authors do not weight them.
    /// - Where the layer's length differs from 110 it is resampled to 110 by linear
    ///   interpolation with PyTorch's `align_corners=False` convention (source position
    ///   `(p + 0.5) * L / 110 - 0.5`, clamped at 0): the authors call
    ///   `F.interpolate(size=(110, 1), mode="bilinear")`, whose second axis has length 1, so it
    ///   is exactly this. Averaging over channels first and resampling second is the same
    ///   (both are linear maps), and cheaper. The authors resample only the last block; any
    ///   other block whose length is not 110 (Original's are all 110 but the last; Mini's are
    ///   116, 121, 126, 132, 69, 76) makes their broadcasting fail, so for those this module
    ///   applies the same resampling (for longer layers it shrinks instead of stretching).
    /// - The result at channel `c`, position `p` is `activation[p] * gradient[c, p]`, the
    ///   gradient of the prediction with respect to the encoded input: the authors multiply by
    ///   `X.grad`, not by `X`, so every channel (A, C, G, T, and Mini's purine flag) has a
    ///   value, not only the base present. Per position the channels are **averaged**, as the
    ///   authors' "average GradCAM score" logo (`pssm_data.mean(axis=1)`).
    /// - Negative values are kept (the authors' `F.relu` is commented out): a negative score
    ///   marks a position whose activation and gradient disagree in sign.
    /// - Each sequence's `[channels, 110]` map is divided by its maximum (signed, not absolute:
    ///   `heatmap /= np.max(heatmap)`), so the largest value is 1. Where no value is positive
    ///   the authors' division would flip every sign (or divide by zero); this module divides by
    ///   the largest absolute value instead (all values then lie in `[-1, 0]`), or leaves an
    ///   all-zero map as it is. [`Attributions::scale`] keeps the divisor, so the authors'
    ///   unnormalised values are `value * scale`.
    GradCam {
        /// 0-based convolution block index.
        layer: usize,
    },
}

impl Method {
    /// Short name: `grad-x-input` or `gradcam`.
    pub fn name(self) -> &'static str {
        match self {
            Method::GradientXInput => "grad-x-input",
            Method::GradCam { .. } => "gradcam",
        }
    }

    /// How [`Attributions::per_position`] reduces the channels: `"sum"` or `"mean"`.
    pub fn per_position_reduction(self) -> &'static str {
        match self {
            Method::GradientXInput => "sum",
            Method::GradCam { .. } => "mean",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::GradientXInput => f.write_str("gradient x input"),
            Method::GradCam { layer } => write!(f, "Grad-CAM (block {layer})"),
        }
    }
}

/// Attributions for a batch of constructs.
///
/// Per-sequence arrays are row-major `[channels, 110]` (channel-major, as the model's input):
/// channel `c` at 0-based position `p` is at `c * 110 + p`. Channels are the encoding's: A, C,
/// G, T, and for Mini's encoding a fifth, the purine flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributions {
    /// The method that produced them.
    pub method: Method,
    /// Input channels per position (4 or 5).
    pub channels: usize,
    /// The model's prediction for each sequence (from the same forward pass).
    pub predictions: Vec<f32>,
    /// `d prediction / d input`, `[n, channels, 110]`.
    pub gradient: Vec<f32>,
    /// Grad-CAM only: the channel mean of the block's convolution output, resampled to 110,
    /// `[n, 110]`; empty for gradient x input.
    pub activation: Vec<f32>,
    /// The attributions, `[n, channels, 110]`.
    pub values: Vec<f32>,
    /// Per sequence, what the raw values were divided by (Grad-CAM's normalisation; 1 for
    /// gradient x input).
    pub scale: Vec<f32>,
}

impl Attributions {
    fn empty(method: Method, channels: usize) -> Self {
        Attributions {
            method,
            channels,
            predictions: Vec::new(),
            gradient: Vec::new(),
            activation: Vec::new(),
            values: Vec::new(),
            scale: Vec::new(),
        }
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.predictions.len()
    }

    /// Whether there are no sequences.
    pub fn is_empty(&self) -> bool {
        self.predictions.is_empty()
    }

    /// Sequence `i`'s attributions, `[channels, 110]`.
    pub fn sequence(&self, i: usize) -> &[f32] {
        let n = self.channels * CONSTRUCT_LEN;
        &self.values[i * n..(i + 1) * n]
    }

    /// Sequence `i`'s input gradient, `[channels, 110]`.
    pub fn sequence_gradient(&self, i: usize) -> &[f32] {
        let n = self.channels * CONSTRUCT_LEN;
        &self.gradient[i * n..(i + 1) * n]
    }

    /// The attribution of sequence `i`, channel `channel`, 0-based position `position`.
    pub fn value(&self, i: usize, channel: usize, position: usize) -> f32 {
        self.sequence(i)[channel * CONSTRUCT_LEN + position]
    }

    /// Sequence `i`'s per-position scores (110 values): the sum over channels for gradient x
    /// input, the mean over channels for Grad-CAM (see [`Method::per_position_reduction`]).
    pub fn per_position(&self, i: usize) -> Vec<f32> {
        let seq = self.sequence(i);
        let mut out = vec![0.0f32; CONSTRUCT_LEN];
        for row in seq.chunks_exact(CONSTRUCT_LEN) {
            for (o, v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        if let Method::GradCam { .. } = self.method {
            let n = self.channels as f32;
            out.iter_mut().for_each(|v| *v /= n);
        }
        out
    }

    fn append(&mut self, other: Attributions) {
        self.predictions.extend(other.predictions);
        self.gradient.extend(other.gradient);
        self.activation.extend(other.activation);
        self.values.extend(other.values);
        self.scale.extend(other.scale);
    }
}

/// Resamples `values` (one layer's positions) to `len` positions as PyTorch's
/// `F.interpolate(mode="bilinear", align_corners=False)` does along one axis: output `i` reads
/// source position `(i + 0.5) * in / len - 0.5`, clamped at 0, interpolating linearly between
/// its two neighbours (the last one repeated at the end). Equal lengths are returned unchanged.
pub fn resample_linear(values: &[f32], len: usize) -> Vec<f32> {
    let n = values.len();
    if n == len || n == 0 {
        return values.to_vec();
    }
    // PyTorch computes the source index in the tensor's accumulation type (f32 for f32
    // tensors); f64 here differs from it only in the last bits of the weights.
    let scale = n as f64 / len as f64;
    (0..len)
        .map(|i| {
            let src = ((i as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src as usize).min(n - 1);
            let i1 = (i0 + 1).min(n - 1);
            let w1 = src - i0 as f64;
            ((1.0 - w1) * values[i0] as f64 + w1 * values[i1] as f64) as f32
        })
        .collect()
}

/// The device tensors of one batch, before read-back.
struct Pending {
    predictions: Tensor<2>,
    gradient: Tensor<3>,
    /// Channel mean of the chosen convolution's output, `[n, L]`.
    activation: Option<(Tensor<2>, usize)>,
}

/// The read-back values of one batch.
struct Host {
    predictions: Vec<f32>,
    gradient: Vec<f32>,
    activation: Option<(Vec<f32>, usize)>,
}

/// A network ready for attribution: architecture, network and device.
///
/// Built from weights (batch norm kept, as Grad-CAM needs) or from a [`Predictor`] (whose
/// batch norm is folded: gradient x input only, unless the predictor wraps an unfolded
/// network).
#[derive(Debug)]
pub struct Attributor {
    config: ArchConfig,
    net: Camformer,
    device: Device,
    batch_size: usize,
}

impl Attributor {
    /// Loads bare safetensors weights (the authors' `state_dict` layout) for `config`, keeping
    /// batch norm as separate layers.
    pub fn from_weights(config: ArchConfig, weights: &[u8], device: Device) -> Result<Self, Error> {
        let state = StateDict::from_safetensors(weights)?;
        Self::from_state_dict(config, &state, device)
    }

    /// Loads weights described by `manifest` (verifying their sha256).
    pub fn from_manifest(
        manifest: &Manifest,
        weights: &[u8],
        device: Device,
    ) -> Result<Self, Error> {
        manifest.verify(weights)?;
        Self::from_weights(manifest.architecture.clone(), weights, device)
    }

    /// Builds the network from a state dict, keeping batch norm as separate layers.
    pub fn from_state_dict(
        config: ArchConfig,
        state: &StateDict,
        device: Device,
    ) -> Result<Self, Error> {
        let net = Camformer::from_state_dict(&config, state, BatchNormMode::Keep, &device)?;
        Ok(Attributor {
            config,
            // `valid()` switches batch norm and dropout to inference behaviour even though the
            // input will be an autodiff tensor (Burn takes the training path only when both the
            // device is autodiff and the layer's training flag is on).
            net: net.valid(),
            device,
            batch_size: DEFAULT_BATCH,
        })
    }

    /// Shares a predictor's network (tensors are reference-counted: nothing is copied).
    ///
    /// A predictor loaded from weights has batch norm folded into its convolutions, which
    /// gives the same predictions and gradients but loses the convolution output before batch
    /// norm that Grad-CAM averages; such an attributor computes gradient x input only (see
    /// [`Attributor::supports_grad_cam`]).
    pub fn from_predictor(predictor: &Predictor) -> Self {
        Attributor {
            config: predictor.config().clone(),
            net: predictor.net().clone().valid(),
            device: predictor.device().clone(),
            batch_size: DEFAULT_BATCH,
        }
    }

    /// Sets how many sequences go through the network at once.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The architecture.
    pub fn config(&self) -> &ArchConfig {
        &self.config
    }

    /// The device the network lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Sequences per forward and backward pass.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether Grad-CAM is available: every block still has its batch-norm layer, so the
    /// convolution output before batch norm (what the authors average) exists.
    pub fn supports_grad_cam(&self) -> bool {
        self.net.blocks.iter().all(|b| b.norm.is_some())
    }

    /// Gradient x input for any number of constructs (synchronous read-back: native only).
    #[cfg(not(target_family = "wasm"))]
    pub fn gradient_x_input(&self, constructs: &[Construct]) -> Result<Attributions, Error> {
        self.attribute(constructs, Method::GradientXInput)
    }

    /// Grad-CAM of block `layer` (0-based) for any number of constructs (synchronous
    /// read-back: native only).
    #[cfg(not(target_family = "wasm"))]
    pub fn grad_cam(&self, constructs: &[Construct], layer: usize) -> Result<Attributions, Error> {
        self.attribute(constructs, Method::GradCam { layer })
    }

    /// Attributions by `method` for any number of constructs, in order (synchronous
    /// read-back: native only; use [`Attributor::attribute_async`] on WebGPU).
    #[cfg(not(target_family = "wasm"))]
    pub fn attribute(
        &self,
        constructs: &[Construct],
        method: Method,
    ) -> Result<Attributions, Error> {
        self.check(method)?;
        let mut out = Attributions::empty(method, self.config.encoding.channels());
        for chunk in constructs.chunks(self.batch_size) {
            let (pending, input) = self.pending(chunk, method);
            let host = Host {
                predictions: read_vec(pending.predictions.into_data())?,
                gradient: read_vec(pending.gradient.into_data())?,
                activation: match pending.activation {
                    Some((t, len)) => Some((read_vec(t.into_data())?, len)),
                    None => None,
                },
            };
            out.append(self.finish(method, &input, host));
        }
        Ok(out)
    }

    /// Gradient x input, reading results back asynchronously (works on WebGPU in the browser).
    pub async fn gradient_x_input_async(
        &self,
        constructs: &[Construct],
    ) -> Result<Attributions, Error> {
        self.attribute_async(constructs, Method::GradientXInput)
            .await
    }

    /// Grad-CAM of block `layer`, reading results back asynchronously.
    pub async fn grad_cam_async(
        &self,
        constructs: &[Construct],
        layer: usize,
    ) -> Result<Attributions, Error> {
        self.attribute_async(constructs, Method::GradCam { layer })
            .await
    }

    /// Attributions by `method` for any number of constructs, in order, reading results back
    /// asynchronously.
    pub async fn attribute_async(
        &self,
        constructs: &[Construct],
        method: Method,
    ) -> Result<Attributions, Error> {
        self.check(method)?;
        let mut out = Attributions::empty(method, self.config.encoding.channels());
        for chunk in constructs.chunks(self.batch_size) {
            let (pending, input) = self.pending(chunk, method);
            let host = Host {
                predictions: read_async(pending.predictions).await?,
                gradient: read_async(pending.gradient).await?,
                activation: match pending.activation {
                    Some((t, len)) => Some((read_async(t).await?, len)),
                    None => None,
                },
            };
            out.append(self.finish(method, &input, host));
        }
        Ok(out)
    }

    /// Rejects a block index out of range, or Grad-CAM on a folded network.
    fn check(&self, method: Method) -> Result<(), Error> {
        if let Method::GradCam { layer } = method {
            let blocks = self.net.blocks.len();
            if layer >= blocks {
                return Err(Error::Invalid(format!(
                    "Grad-CAM layer {layer} does not exist: the model has {blocks} convolution \
                     blocks, numbered 0 to {}",
                    blocks - 1
                )));
            }
            if !self.supports_grad_cam() {
                return Err(Error::Invalid(
                    "Grad-CAM needs each convolution's output before batch norm, but this \
                     network has batch norm folded into its convolutions (as a Predictor loads \
                     it); build the Attributor from the weights (Attributor::from_weights)"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// Forward and backward pass for one batch; returns the device results and the encoded
    /// input (host copy, for gradient x input).
    fn pending(&self, constructs: &[Construct], method: Method) -> (Pending, Vec<f32>) {
        let enc = self.config.encoding;
        let input = enc.encode_batch(constructs);
        let x: Tensor<3> = Tensor::from_data(
            TensorData::new(
                input.clone(),
                [constructs.len(), enc.channels(), CONSTRUCT_LEN],
            ),
            &self.device,
        )
        .autodiff()
        .require_grad();
        let layer = match method {
            Method::GradCam { layer } => Some(layer),
            Method::GradientXInput => None,
        };
        let (y, activation) = forward_capturing(&self.net, x.clone(), layer);
        // Sequences do not interact in inference mode, so the gradient of the batch's sum
        // holds each sequence's own gradient.
        let grads = y.clone().sum().backward();
        let gradient = x
            .grad(&grads)
            .expect("the input was marked as requiring a gradient");
        let pending = Pending {
            predictions: y.inner(),
            gradient,
            activation,
        };
        (pending, input)
    }

    /// Host post-processing of one batch's read-back values.
    fn finish(&self, method: Method, input: &[f32], host: Host) -> Attributions {
        let channels = self.config.encoding.channels();
        let per_seq = channels * CONSTRUCT_LEN;
        let n = host.predictions.len();
        let mut out = Attributions::empty(method, channels);
        match method {
            Method::GradientXInput => {
                out.values = input
                    .iter()
                    .zip(&host.gradient)
                    .map(|(x, g)| x * g)
                    .collect();
                out.scale = vec![1.0; n];
            }
            Method::GradCam { .. } => {
                let (act, len) = host.activation.expect("Grad-CAM captured its activation");
                for (i, grad) in host.gradient.chunks_exact(per_seq).enumerate() {
                    let a = resample_linear(&act[i * len..(i + 1) * len], CONSTRUCT_LEN);
                    let raw: Vec<f32> = grad
                        .chunks_exact(CONSTRUCT_LEN)
                        .flat_map(|row| row.iter().zip(&a).map(|(g, a)| a * g))
                        .collect();
                    let scale = normaliser(&raw);
                    out.values.extend(raw.iter().map(|v| v / scale));
                    out.scale.push(scale);
                    out.activation.extend(a);
                }
            }
        }
        out.predictions = host.predictions;
        out.gradient = host.gradient;
        out
    }
}

/// The divisor of one Grad-CAM map: its maximum where positive (the authors' convention),
/// otherwise its largest absolute value, or 1 for an all-zero map.
fn normaliser(raw: &[f32]) -> f32 {
    let max = raw.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max > 0.0 {
        return max;
    }
    let abs = raw.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if abs > 0.0 { abs } else { 1.0 }
}

/// The network's forward pass on `x`, also returning the channel mean of block `layer`'s
/// convolution output (before batch norm) as `[n, L]` with its length `L`.
///
/// Mirrors [`Camformer::forward`] block by block (the attribution tests check that both give
/// the same predictions); it is spelled out here because the activation Grad-CAM needs lies
/// inside a block, between the convolution and the batch norm.
fn forward_capturing(
    net: &Camformer,
    x: Tensor<3>,
    layer: Option<usize>,
) -> (Tensor<2>, Option<(Tensor<2>, usize)>) {
    let mut captured = None;
    let mut block_forward = |i: usize, block: &ConvBlock, x: Tensor<3>| -> Tensor<3> {
        let conv = block.conv.forward(x);
        if layer == Some(i) {
            let [n, _, len] = conv.dims();
            // `inner()` leaves the autodiff graph: the activation is a value to read back,
            // never differentiated (the authors clone it in a forward hook).
            let mean = conv.clone().inner().mean_dim(1).reshape([n, len]);
            captured = Some((mean, len));
        }
        let pre = match &block.norm {
            Some(norm) => norm.forward(conv),
            None => conv,
        };
        block.post_activation(relu(pre))
    };
    let mut x = x;
    if net.residual_pairs {
        for (pair, blocks) in net.blocks.chunks(2).enumerate() {
            x = block_forward(2 * pair, &blocks[0], x);
            let skip = x.clone();
            x = block_forward(2 * pair + 1, &blocks[1], x) + skip;
        }
    } else {
        for (i, block) in net.blocks.iter().enumerate() {
            x = block_forward(i, block, x);
        }
    }
    (net.head_forward(x), captured)
}

async fn read_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, Error> {
    let data = t
        .into_data_async()
        .await
        .map_err(|e| Error::Backend(format!("{e:?}")))?;
    read_vec(data)
}
