//! Weights: a PyTorch-compatible `state_dict` in safetensors, and its mapping onto [`Camformer`].
//!
//! The project's weight format *is* the authors' `state_dict` layout, saved as safetensors
//! (f32, or f16 to halve the download): the authors' converted checkpoints, our trained models
//! and the reference fixtures all load through the same code, and our weights load back into
//! the authors' PyTorch code with `load_state_dict`.
//!
//! Key names (block `i`, dense layer `j`):
//! - conv: `CNN_layers.{i}.0.conv.{weight,bias}` (Original) or `CNN_layers.{i}.0.{weight,bias}`
//!   (Mini), weight `[out, in, k, 1]`;
//! - batch norm: `CNN_layers.{i}.1.{weight,bias,running_mean,running_var,num_batches_tracked}`;
//! - dense: `linear_layers.{j}.0.{weight,bias}`, weight `[out, in]`.

use std::collections::BTreeMap;

use burn::module::{Param, RunningState};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::config::ArchConfig;
use crate::model::network::{BATCH_NORM_EPS, Camformer};

/// A tensor in host memory, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values, `shape.iter().product()` of them.
    pub data: Vec<f32>,
}

impl HostTensor {
    /// A tensor from a shape and matching data.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        HostTensor { shape, data }
    }
}

/// Storage precision of a weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageDtype {
    /// 32-bit floats: exact.
    #[default]
    F32,
    /// 16-bit floats: half the size; predictions change by about 1e-3 of their scale.
    F16,
}

/// Named tensors in the PyTorch `state_dict` layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateDict {
    tensors: BTreeMap<String, HostTensor>,
}

/// Key of a conv parameter in the authors' layout.
fn conv_key(block: usize, wrapped: bool, what: &str) -> String {
    if wrapped {
        format!("CNN_layers.{block}.0.conv.{what}")
    } else {
        format!("CNN_layers.{block}.0.{what}")
    }
}

fn norm_key(block: usize, what: &str) -> String {
    format!("CNN_layers.{block}.1.{what}")
}

fn linear_key(layer: usize, what: &str) -> String {
    format!("linear_layers.{layer}.0.{what}")
}

/// The batch-norm counter PyTorch keeps; it is not used for inference.
const NUM_BATCHES_TRACKED: &str = "num_batches_tracked";

impl StateDict {
    /// An empty state dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a tensor.
    pub fn insert(&mut self, name: impl Into<String>, tensor: HostTensor) {
        self.tensors.insert(name.into(), tensor);
    }

    /// A tensor by name.
    pub fn get(&self, name: &str) -> Option<&HostTensor> {
        self.tensors.get(name)
    }

    /// Tensor names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    /// Reads a safetensors file (f32, f16, bf16 or f64 floats; integer
    /// `num_batches_tracked` counters are skipped).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, Error> {
        let file = SafeTensors::deserialize(bytes)
            .map_err(|e| Error::Weights(format!("not a safetensors file: {e}")))?;
        let mut out = StateDict::new();
        for (name, view) in file.tensors() {
            if name.ends_with(NUM_BATCHES_TRACKED) {
                continue;
            }
            let data = decode(&name, &view)?;
            out.insert(name, HostTensor::new(view.shape().to_vec(), data));
        }
        Ok(out)
    }

    /// Writes the tensors as safetensors in `dtype`, with `num_batches_tracked` counters (zero)
    /// for each batch norm so PyTorch's strict `load_state_dict` accepts the file.
    pub fn to_safetensors(&self, dtype: StorageDtype) -> Result<Vec<u8>, Error> {
        let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
        for (name, t) in &self.tensors {
            let bytes = match dtype {
                StorageDtype::F32 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                StorageDtype::F16 => t
                    .data
                    .iter()
                    .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                    .collect(),
            };
            let st_dtype = match dtype {
                StorageDtype::F32 => Dtype::F32,
                StorageDtype::F16 => Dtype::F16,
            };
            buffers.push((name.clone(), st_dtype, t.shape.clone(), bytes));
            if let Some(prefix) = name.strip_suffix("running_mean") {
                buffers.push((
                    format!("{prefix}{NUM_BATCHES_TRACKED}"),
                    Dtype::I64,
                    vec![],
                    0i64.to_le_bytes().to_vec(),
                ));
            }
        }
        let views = buffers
            .iter()
            .map(|(name, dtype, shape, bytes)| {
                TensorView::new(*dtype, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| Error::Weights(format!("{name}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, None)
            .map_err(|e| Error::Weights(format!("cannot serialise: {e}")))
    }

    /// Removes and returns `name`, checking its shape.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, Error> {
        let t = self
            .tensors
            .remove(name)
            .ok_or_else(|| Error::Weights(format!("missing tensor '{name}'")))?;
        if t.shape != shape {
            return Err(Error::Weights(format!(
                "tensor '{name}' has shape {:?}, the architecture needs {shape:?}",
                t.shape
            )));
        }
        Ok(t.data)
    }

    /// Removes a conv parameter stored under either key layout.
    fn take_conv(&mut self, block: usize, what: &str, shape: &[usize]) -> Result<Vec<f32>, Error> {
        let wrapped = conv_key(block, true, what);
        let name = if self.tensors.contains_key(&wrapped) {
            wrapped
        } else {
            conv_key(block, false, what)
        };
        self.take(&name, shape)
    }

    /// Whether this state dict matches `config` (all tensors present with the right shapes, and
    /// no others). Compares names and shapes only; no tensor data is copied.
    pub fn fits(&self, config: &ArchConfig) -> bool {
        let mut shapes = StateDict {
            tensors: self
                .tensors
                .iter()
                .map(|(name, t)| {
                    (
                        name.clone(),
                        HostTensor {
                            shape: t.shape.clone(),
                            data: Vec::new(),
                        },
                    )
                })
                .collect(),
        };
        take_params(&mut shapes, config).is_ok() && shapes.tensors.is_empty()
    }
}

fn decode(name: &str, view: &TensorView<'_>) -> Result<Vec<f32>, Error> {
    let bytes = view.data();
    let out = match view.dtype() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::F64 => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
            .collect(),
        other => {
            return Err(Error::Weights(format!(
                "tensor '{name}' has dtype {other:?}; expected a float type"
            )));
        }
    };
    Ok(out)
}

/// Host copies of every parameter, in model order.
struct BlockParams {
    conv_w: Vec<f32>,
    conv_b: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    mean: Vec<f32>,
    var: Vec<f32>,
    shape: [usize; 3],
}

struct AllParams {
    blocks: Vec<BlockParams>,
    /// Dense layers as (weight `[out, in]` as PyTorch stores it, bias, `[in, out]`).
    head: Vec<(Vec<f32>, Vec<f32>, [usize; 2])>,
}

/// Removes every parameter of `config` from `sd`, checking names and shapes.
fn take_params(sd: &mut StateDict, config: &ArchConfig) -> Result<AllParams, Error> {
    config.validate()?;
    let mut blocks = Vec::new();
    let mut cin = config.encoding.channels();
    for (i, b) in config.blocks.iter().enumerate() {
        let cout = b.channels;
        let conv_w = sd.take_conv(i, "weight", &[cout, cin, b.kernel, 1])?;
        let conv_b = sd.take_conv(i, "bias", &[cout])?;
        let gamma = sd.take(&norm_key(i, "weight"), &[cout])?;
        let beta = sd.take(&norm_key(i, "bias"), &[cout])?;
        let mean = sd.take(&norm_key(i, "running_mean"), &[cout])?;
        let var = sd.take(&norm_key(i, "running_var"), &[cout])?;
        if let Some(pos) = var.iter().position(|v| v.is_nan() || *v < 0.0) {
            return Err(Error::Weights(format!(
                "{}[{pos}] = {} is not a variance",
                norm_key(i, "running_var"),
                var[pos]
            )));
        }
        blocks.push(BlockParams {
            conv_w,
            conv_b,
            gamma,
            beta,
            mean,
            var,
            shape: [cout, cin, b.kernel],
        });
        cin = cout;
    }
    let mut head = Vec::new();
    let mut features = config.flat_features()?;
    for (j, &width) in config.head.iter().chain(std::iter::once(&1)).enumerate() {
        let w = sd.take(&linear_key(j, "weight"), &[width, features])?;
        let b = sd.take(&linear_key(j, "bias"), &[width])?;
        head.push((w, b, [features, width]));
        features = width;
    }
    Ok(AllParams { blocks, head })
}

/// `[rows, cols]` -> `[cols, rows]`.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = m[r * cols + c];
        }
    }
    out
}

/// Replaces the dense layers' parameters (shapes already checked against the architecture).
fn set_head(model: &mut Camformer, head: impl Iterator<Item = HostDense>, device: &Device) {
    for (layer, d) in model.head.iter_mut().zip(head) {
        layer.weight = param(d.weight, d.shape, device);
        layer.bias = Some(param(d.bias, [d.shape[1]], device));
    }
}

fn param<const D: usize>(data: Vec<f32>, shape: [usize; D], device: &Device) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(data, shape), device))
}

/// How batch normalisation is represented in the loaded model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchNormMode {
    /// Keep batch-norm layers (for training or fine-tuning).
    Keep,
    /// Fold the running statistics into the convolutions (inference: fewer passes over the
    /// activations, same results up to float rounding).
    Fold,
}

/// A convolution with batch norm folded in, in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedConv {
    /// `[out, in, kernel]` row-major (PyTorch's layout without the trailing 1).
    pub weight: Vec<f32>,
    /// `[out]`.
    pub bias: Vec<f32>,
    /// `[out, in, kernel]`.
    pub shape: [usize; 3],
}

/// A dense layer in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDense {
    /// `[in, out]` row-major (Burn's layout: PyTorch's `[out, in]` transposed).
    pub weight: Vec<f32>,
    /// `[out]`.
    pub bias: Vec<f32>,
    /// `[in, out]`.
    pub shape: [usize; 2],
}

/// Every inference parameter of a model, batch norm folded into the convolutions, in host
/// memory: what both the Burn module and the engine's CPU inference network are built from, so
/// the two can never disagree about the weights.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedParams {
    /// One per convolution block, in order.
    pub convs: Vec<FoldedConv>,
    /// The dense head, in order; the last has one output.
    pub head: Vec<HostDense>,
}

impl FoldedParams {
    /// Reads and folds every parameter of `config` from a PyTorch-layout state dict.
    ///
    /// Every tensor must be used: an unexpected tensor is an error, so weights of another
    /// architecture never load by accident.
    pub fn from_state_dict(config: &ArchConfig, state: &StateDict) -> Result<Self, Error> {
        let params = take_all_params(config, state)?;
        Ok(FoldedParams {
            convs: params
                .blocks
                .iter()
                .map(|p| {
                    let (weight, bias) = fold(p);
                    FoldedConv {
                        weight,
                        bias,
                        shape: p.shape,
                    }
                })
                .collect(),
            head: params.head.into_iter().map(host_dense).collect(),
        })
    }
}

/// A dense layer from PyTorch's `[out, in]` weight.
fn host_dense((w, bias, shape): (Vec<f32>, Vec<f32>, [usize; 2])) -> HostDense {
    HostDense {
        weight: transpose(&w, shape[1], shape[0]),
        bias,
        shape,
    }
}

/// Every parameter of `config` from `state`, which must hold no other tensor.
fn take_all_params(config: &ArchConfig, state: &StateDict) -> Result<AllParams, Error> {
    let mut sd = state.clone();
    let params = take_params(&mut sd, config)?;
    if let Some(extra) = sd.names().next() {
        return Err(Error::Weights(format!(
            "unexpected tensor '{extra}' for architecture '{}' ({} unused in all)",
            config.name,
            sd.tensors.len()
        )));
    }
    Ok(params)
}

impl Camformer {
    /// Builds a model of `config` from a PyTorch-layout state dict.
    ///
    /// Every tensor must be used: an unexpected tensor is an error, so weights of another
    /// architecture never load by accident.
    pub fn from_state_dict(
        config: &ArchConfig,
        state: &StateDict,
        mode: BatchNormMode,
        device: &Device,
    ) -> Result<Self, Error> {
        if mode == BatchNormMode::Fold {
            return Self::from_folded(
                config,
                &FoldedParams::from_state_dict(config, state)?,
                device,
            );
        }
        let params = take_all_params(config, state)?;
        let mut model = Camformer::new(config, device)?;
        for (block, p) in model.blocks.iter_mut().zip(params.blocks) {
            let norm = block.norm.as_mut().expect("fresh model has batch norm");
            let c = [p.shape[0]];
            norm.gamma = param(p.gamma, c, device);
            norm.beta = param(p.beta, c, device);
            norm.running_mean =
                RunningState::new(Tensor::from_data(TensorData::new(p.mean, c), device));
            norm.running_var =
                RunningState::new(Tensor::from_data(TensorData::new(p.var, c), device));
            block.conv.weight = param(p.conv_w, p.shape, device);
            block.conv.bias = Some(param(p.conv_b, [p.shape[0]], device));
        }
        set_head(&mut model, params.head.into_iter().map(host_dense), device);
        Ok(model)
    }

    /// Builds an inference model (no batch-norm layers) from folded parameters.
    pub fn from_folded(
        config: &ArchConfig,
        params: &FoldedParams,
        device: &Device,
    ) -> Result<Self, Error> {
        let mut model = Camformer::new(config, device)?;
        if params.convs.len() != model.blocks.len() || params.head.len() != model.head.len() {
            return Err(Error::Weights(format!(
                "folded parameters have {} blocks and {} dense layers; '{}' needs {} and {}",
                params.convs.len(),
                params.head.len(),
                config.name,
                model.blocks.len(),
                model.head.len()
            )));
        }
        for (block, p) in model.blocks.iter_mut().zip(&params.convs) {
            if block.conv.weight.dims() != p.shape {
                return Err(Error::Weights(format!(
                    "folded convolution of shape {:?}; the architecture needs {:?}",
                    p.shape,
                    block.conv.weight.dims()
                )));
            }
            block.norm = None;
            block.conv.weight = param(p.weight.clone(), p.shape, device);
            block.conv.bias = Some(param(p.bias.clone(), [p.shape[0]], device));
        }
        set_head(&mut model, params.head.iter().cloned(), device);
        Ok(model)
    }

    /// Reads the parameters back into a PyTorch-layout state dict (batch norm must not have
    /// been folded). Synchronous: native backends only.
    pub fn to_state_dict(
        &self,
        config: &ArchConfig,
        conv_wrapped: bool,
    ) -> Result<StateDict, Error> {
        let read = |t: Tensor<1>| -> Result<Vec<f32>, Error> {
            t.into_data()
                .try_into_vec::<f32>()
                .map_err(|e| Error::Backend(format!("{e:?}")))
        };
        let mut sd = StateDict::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let norm = block.norm.as_ref().ok_or_else(|| {
                Error::Weights("batch norm was folded; cannot export a state dict".into())
            })?;
            let [cout, cin, k] = block.conv.weight.dims();
            let w = read(block.conv.weight.val().flatten(0, 2))?;
            sd.insert(
                conv_key(i, conv_wrapped, "weight"),
                HostTensor::new(vec![cout, cin, k, 1], w),
            );
            let bias = block
                .conv
                .bias
                .as_ref()
                .ok_or_else(|| Error::Weights(format!("block {i}: convolution has no bias")))?;
            sd.insert(
                conv_key(i, conv_wrapped, "bias"),
                HostTensor::new(vec![cout], read(bias.val())?),
            );
            for (what, t) in [
                ("weight", norm.gamma.val()),
                ("bias", norm.beta.val()),
                ("running_mean", norm.running_mean.value()),
                ("running_var", norm.running_var.value()),
            ] {
                sd.insert(norm_key(i, what), HostTensor::new(vec![cout], read(t)?));
            }
        }
        for (j, layer) in self.head.iter().enumerate() {
            let [fin, fout] = layer.weight.dims();
            let w = read(layer.weight.val().flatten(0, 1))?;
            sd.insert(
                linear_key(j, "weight"),
                HostTensor::new(vec![fout, fin], transpose(&w, fin, fout)),
            );
            let bias = layer
                .bias
                .as_ref()
                .ok_or_else(|| Error::Weights(format!("dense layer {j} has no bias")))?;
            sd.insert(
                linear_key(j, "bias"),
                HostTensor::new(vec![fout], read(bias.val())?),
            );
        }
        debug_assert!(sd.fits(config));
        Ok(sd)
    }
}

/// Folds `gamma * (conv(x) - mean) / sqrt(var + eps) + beta` into the convolution.
/// Computed in f64 so folding adds no error beyond the final rounding to f32.
fn fold(p: &BlockParams) -> (Vec<f32>, Vec<f32>) {
    let [cout, cin, k] = p.shape;
    let per_out = cin * k;
    let mut w = Vec::with_capacity(p.conv_w.len());
    let mut b = Vec::with_capacity(cout);
    for o in 0..cout {
        let scale = p.gamma[o] as f64 / (p.var[o] as f64 + BATCH_NORM_EPS).sqrt();
        w.extend(
            p.conv_w[o * per_out..(o + 1) * per_out]
                .iter()
                .map(|&v| (v as f64 * scale) as f32),
        );
        b.push(((p.conv_b[o] as f64 - p.mean[o] as f64) * scale + p.beta[o] as f64) as f32);
    }
    (w, b)
}
