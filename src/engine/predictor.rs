//! A loaded model on a device: batched prediction and in-silico mutagenesis from constructs.
//!
//! The [`Predictor`] is where the two engines meet: on the plain CPU device it runs the
//! [`CpuNet`] built from the model's folded parameters, elsewhere the Burn module; prediction
//! and ISM (fast or naive, see [`Method`]) give the same results on either.

use std::fmt;
use std::str::FromStr;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use crate::engine::burn_ism;
use crate::engine::cpu_net::CpuNet;
use crate::engine::mutations::{Ism, Method, Mutation, from_predictions, naive_batch};
use crate::error::Error;
use crate::input::sequence::Construct;
use crate::model::config::ArchConfig;
use crate::model::default_model;
use crate::model::manifest::Manifest;
use crate::model::network::{Camformer, encode_input};
use crate::model::weights::{FoldedParams, StateDict};

/// Sequences per forward pass by default (the batch size the published benchmarks use).
pub const DEFAULT_BATCH: usize = 256;

/// Which compute backend runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (flex): multi-threaded natively, simd128 in wasm.
    Cpu,
    /// `burn-wgpu`: Vulkan/Metal/DX12 natively, WebGPU in the browser.
    Wgpu,
    /// Burn's deprecated ndarray CPU backend (feature `ndarray`, for comparisons only).
    #[cfg(feature = "ndarray")]
    NdArray,
}

impl Backend {
    /// The name used in the CLI and the JavaScript API (`"cpu"`, `"webgpu"` in the browser,
    /// `"wgpu"` natively).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Wgpu if cfg!(target_family = "wasm") => "webgpu",
            Backend::Wgpu => "wgpu",
            #[cfg(feature = "ndarray")]
            Backend::NdArray => "ndarray",
        }
    }

    /// Creates the device (native only; the browser needs [`Backend::device_async`]).
    #[cfg(not(target_family = "wasm"))]
    pub fn device(self) -> Result<Device, Error> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            #[cfg(feature = "webgpu")]
            Backend::Wgpu => Device::wgpu_options()
                .init()
                .map_err(|e| Error::Backend(format!("no usable GPU adapter: {e}"))),
            #[cfg(not(feature = "webgpu"))]
            Backend::Wgpu => Err(no_gpu_support()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // measured against flex, never the default
            Backend::NdArray => Ok(Device::ndarray()),
        }
    }

    /// Creates the device, waiting for the GPU adapter where there is one.
    pub async fn device_async(self) -> Result<Device, Error> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            #[cfg(feature = "webgpu")]
            Backend::Wgpu => Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| Error::Backend(format!("no usable GPU adapter: {e}"))),
            #[cfg(not(feature = "webgpu"))]
            Backend::Wgpu => Err(no_gpu_support()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // measured against flex, never the default
            Backend::NdArray => Ok(Device::ndarray()),
        }
    }
}

/// The error of a build without the `webgpu` feature (the small CPU-only browser module).
#[cfg(not(feature = "webgpu"))]
fn no_gpu_support() -> Error {
    Error::Backend(
        "this build has no GPU backend (built without the `webgpu` feature); use the CPU".into(),
    )
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" | "flex" => Ok(Backend::Cpu),
            "gpu" | "wgpu" | "webgpu" => Ok(Backend::Wgpu),
            #[cfg(feature = "ndarray")]
            "ndarray" => Ok(Backend::NdArray),
            other => Err(Error::Invalid(format!(
                "unknown backend '{other}': expected 'cpu' or 'wgpu'/'webgpu'"
            ))),
        }
    }
}

/// A model ready to predict: architecture, network (batch norm folded) and device.
///
/// On the CPU (flex) device, predictions run on a [`CpuNet`] built from the same folded
/// parameters as the Burn module (1.3x to 2x the module's speed on flex, measured by
/// `scripts/bench_peers.py`, see the README); the Burn module serves WebGPU, gradients
/// (attributions) and the tensor-level fast ISM.
#[derive(Debug)]
pub struct Predictor {
    config: ArchConfig,
    manifest: Option<Manifest>,
    net: Camformer,
    cpu: Option<CpuNet>,
    device: Device,
    batch_size: usize,
}

impl Predictor {
    /// Loads weights described by `manifest` (verifying their sha256).
    pub fn from_manifest(
        manifest: Manifest,
        weights: &[u8],
        device: Device,
    ) -> Result<Self, Error> {
        manifest.verify(weights)?;
        let mut p = Self::from_weights(manifest.architecture.clone(), weights, device)?;
        p.manifest = Some(manifest);
        Ok(p)
    }

    /// The model shipped with the library ([`default_model`]), loaded on `device` (its sha256
    /// checked against the manifest).
    pub fn default_model(device: Device) -> Result<Self, Error> {
        Self::from_manifest(default_model::manifest()?, default_model::WEIGHTS, device)
    }

    /// Loads bare safetensors weights for `config`.
    pub fn from_weights(config: ArchConfig, weights: &[u8], device: Device) -> Result<Self, Error> {
        let state = StateDict::from_safetensors(weights)?;
        let params = FoldedParams::from_state_dict(&config, &state)?;
        let net = Camformer::from_folded(&config, &params, &device)?;
        let cpu = is_plain_cpu(&device)
            .then(|| CpuNet::new(&config, &params))
            .transpose()?;
        Ok(Predictor {
            config,
            manifest: None,
            net: net.valid(),
            cpu,
            device,
            batch_size: DEFAULT_BATCH,
        })
    }

    /// The same predictor without the CPU inference network: every prediction goes through
    /// the Burn module (to compare the two, or to test the module's path).
    pub fn without_cpu_net(mut self) -> Self {
        self.cpu = None;
        self
    }

    /// The CPU inference network, when predictions run on it.
    pub fn cpu_net(&self) -> Option<&CpuNet> {
        self.cpu.as_ref()
    }

    /// Wraps an already-built network (for example one being trained).
    pub fn from_model(config: ArchConfig, net: Camformer, device: Device) -> Self {
        Predictor {
            config,
            manifest: None,
            net: net.valid(),
            cpu: None,
            device,
            batch_size: DEFAULT_BATCH,
        }
    }

    /// Sets how many sequences go through the Burn module at once (the CPU network always
    /// works in chunks of [`crate::engine::cpu_net::CHUNK`], so this bounds memory only on
    /// WebGPU).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Changes how many sequences go through the Burn module at once.
    pub fn set_batch_size(&mut self, batch_size: usize) {
        self.batch_size = batch_size.max(1);
    }

    /// The architecture.
    pub fn config(&self) -> &ArchConfig {
        &self.config
    }

    /// The manifest, when the model was loaded with one.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The network.
    pub fn net(&self) -> &Camformer {
        &self.net
    }

    /// The device the network lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Sequences per forward pass of the Burn module.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The encoded batch as a tensor `[n, channels, 110]`.
    pub fn encode(&self, constructs: &[Construct]) -> Tensor<3> {
        encode_input(self.config.encoding, constructs, &self.device)
    }

    /// The network's output for one batch, not yet read back.
    pub fn forward(&self, constructs: &[Construct]) -> Tensor<2> {
        self.net.forward(self.encode(constructs))
    }

    /// Predictions for any number of constructs, in order (synchronous read-back: native only;
    /// use [`Predictor::predict_async`] on WebGPU).
    #[cfg(not(target_family = "wasm"))]
    pub fn predict(&self, constructs: &[Construct]) -> Result<Vec<f32>, Error> {
        if let Some(cpu) = &self.cpu {
            return Ok(cpu.predict(constructs));
        }
        let mut out = Vec::with_capacity(constructs.len());
        for chunk in constructs.chunks(self.batch_size) {
            out.extend(read_vec(self.forward(chunk).into_data())?);
        }
        Ok(out)
    }

    /// Predictions for any number of constructs, in order, reading results back asynchronously.
    pub async fn predict_async(&self, constructs: &[Construct]) -> Result<Vec<f32>, Error> {
        if let Some(cpu) = &self.cpu {
            return Ok(cpu.predict(constructs));
        }
        let mut out = Vec::with_capacity(constructs.len());
        for chunk in constructs.chunks(self.batch_size) {
            let data = self
                .forward(chunk)
                .into_data_async()
                .await
                .map_err(|e| Error::Backend(format!("{e:?}")))?;
            out.extend(read_vec(data)?);
        }
        Ok(out)
    }
}

/// In-silico mutagenesis on either engine.
impl Predictor {
    /// The effect of each of `mutations` of `construct` (native, synchronous read-back), with
    /// the chosen method: [`Method::Fast`] on the CPU network where there is one, else in Burn
    /// tensor operations ([`burn_ism`]); [`Method::Naive`] predicts every mutant with
    /// [`Predictor::predict`].
    #[cfg(not(target_family = "wasm"))]
    pub fn ism(
        &self,
        construct: &Construct,
        mutations: Vec<Mutation>,
        method: Method,
    ) -> Result<Ism, Error> {
        match (method, &self.cpu) {
            (Method::Naive, _) => {
                let predictions = self.predict(&naive_batch(construct, &mutations))?;
                from_predictions(mutations, &predictions)
            }
            (Method::Fast, Some(cpu)) => cpu.ism(construct, mutations),
            (Method::Fast, None) => self.fast_ism_burn(construct, mutations),
        }
    }

    /// The same ISM as `ism`, with asynchronous read-back (browser, WebGPU; `ism` is native
    /// only).
    pub async fn ism_async(
        &self,
        construct: &Construct,
        mutations: Vec<Mutation>,
        method: Method,
    ) -> Result<Ism, Error> {
        match (method, &self.cpu) {
            (Method::Naive, _) => {
                let predictions = self
                    .predict_async(&naive_batch(construct, &mutations))
                    .await?;
                from_predictions(mutations, &predictions)
            }
            (Method::Fast, Some(cpu)) => cpu.ism(construct, mutations),
            (Method::Fast, None) => {
                let data = self
                    .burn_ism_forward(construct, &mutations)?
                    .into_data_async()
                    .await
                    .map_err(|e| Error::Backend(format!("{e:?}")))?;
                from_predictions(mutations, &read_vec(data)?)
            }
        }
    }

    /// Fast exact ISM in Burn tensor operations on the predictor's device, even where a CPU
    /// inference network exists (native, synchronous read-back).
    #[cfg(not(target_family = "wasm"))]
    pub fn fast_ism_burn(
        &self,
        construct: &Construct,
        mutations: Vec<Mutation>,
    ) -> Result<Ism, Error> {
        let out = self.burn_ism_forward(construct, &mutations)?;
        from_predictions(mutations, &read_vec(out.into_data())?)
    }

    /// The reference's and every mutant's prediction from the Burn module, not yet read back.
    fn burn_ism_forward(
        &self,
        construct: &Construct,
        mutations: &[Mutation],
    ) -> Result<Tensor<2>, Error> {
        // Bound the working set: the windows of a chunk of mutants at a time.
        let chunk = self.batch_size.max(64);
        burn_ism::forward_all(
            &self.net,
            &self.config,
            &self.device,
            construct,
            mutations,
            chunk,
        )
    }
}

/// Whether `device` is the flex CPU device without autodiff (where [`CpuNet`] can stand in for
/// the Burn module).
fn is_plain_cpu(device: &Device) -> bool {
    !device.is_autodiff() && *device == Device::flex()
}

/// The values of a read-back tensor as f32.
pub(crate) fn read_vec(data: TensorData) -> Result<Vec<f32>, Error> {
    data.try_into_vec::<f32>()
        .map_err(|e| Error::Backend(format!("unexpected tensor data: {e:?}")))
}
