//! Finding and loading model files on disk (native builds).
//!
//! A model is given as a directory holding `manifest.json`, a manifest file, or a bare
//! safetensors file. For bare weights the architecture comes from `--arch` (a preset name or a
//! JSON config file) or, failing that, from matching the tensor names and shapes against the
//! built-in presets.
//!
//! It belongs to the engine rather than the model layer because loading ends in a
//! [`Predictor`] on a device.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::engine::predictor::Predictor;
use crate::error::Error;
use crate::model::config::ArchConfig;
use crate::model::manifest::Manifest;
use crate::model::weights::StateDict;

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
}

/// An architecture from a preset name or a JSON config file.
pub fn arch_from_arg(arg: &str) -> Result<ArchConfig, Error> {
    if arg.ends_with(".json") || Path::new(arg).is_file() {
        let bytes = read(Path::new(arg))?;
        let config: ArchConfig = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{arg}: invalid architecture JSON: {e}")))?;
        config.validate()?;
        Ok(config)
    } else {
        ArchConfig::preset(arg)
    }
}

/// The built-in architecture whose tensors `state` has exactly.
pub fn detect_arch(state: &StateDict) -> Result<ArchConfig, Error> {
    [ArchConfig::original(), ArchConfig::mini()]
        .into_iter()
        .find(|c| state.fits(c))
        .ok_or_else(|| {
            Error::Weights(
                "the tensors match neither Camformer Original nor Mini; pass --arch with a JSON \
                 architecture config"
                    .into(),
            )
        })
}

/// Loads a model from `path` (directory, manifest or safetensors) onto `device`.
pub fn load(path: &Path, arch: Option<&str>, device: Device) -> Result<Predictor, Error> {
    let manifest_path: Option<PathBuf> = if path.is_dir() {
        Some(path.join("manifest.json"))
    } else if path.extension().is_some_and(|e| e == "json") {
        Some(path.to_path_buf())
    } else {
        None
    };
    if let Some(mpath) = manifest_path {
        let manifest = Manifest::from_json(&read(&mpath)?)
            .map_err(|e| Error::Manifest(format!("{}: {e}", mpath.display())))?;
        if let Some(arch) = arch {
            let wanted = arch_from_arg(arch)?;
            if wanted != manifest.architecture {
                return Err(Error::Invalid(format!(
                    "--arch {arch} contradicts the manifest {} (architecture '{}')",
                    mpath.display(),
                    manifest.architecture.name
                )));
            }
        }
        let wpath = mpath
            .parent()
            .unwrap_or(Path::new("."))
            .join(&manifest.weights.file);
        let weights = read(&wpath)?;
        return Predictor::from_manifest(manifest, &weights, device);
    }
    let weights = read(path)?;
    let config = match arch {
        Some(a) => arch_from_arg(a)?,
        None => detect_arch(&StateDict::from_safetensors(&weights)?)?,
    };
    Predictor::from_weights(config, &weights, device)
}
