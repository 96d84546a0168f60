//! The JSON manifest that travels with every weights file.
//!
//! It says what the weights are (architecture, input encoding, output units), where they came
//! from (training data, metrics) and lets a loader verify the bytes (sha256).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::model::config::ArchConfig;
use crate::model::weights::StorageDtype;

/// The manifest format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Description of a weights file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    /// File name of the safetensors weights, relative to the manifest.
    pub file: String,
    /// Lower-case hex sha256 of the weights file.
    pub sha256: String,
    /// Storage precision.
    pub dtype: StorageDtype,
    /// Trainable parameter count.
    pub parameters: usize,
}

/// What the model's single output means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputInfo {
    /// Units or scale of the prediction.
    pub units: String,
    /// Longer explanation.
    pub description: String,
}

/// A model manifest (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Model name shown to users.
    pub name: String,
    /// One paragraph on what the model is.
    pub description: String,
    /// The architecture, including the input encoding.
    pub architecture: ArchConfig,
    /// The weights file.
    pub weights: WeightsInfo,
    /// Meaning of the output.
    pub output: OutputInfo,
    /// Training data and procedure (free-form).
    #[serde(default)]
    pub training: serde_json::Value,
    /// Measured metrics (free-form).
    #[serde(default)]
    pub metrics: serde_json::Value,
}

impl Manifest {
    /// Parses a manifest and checks its version and architecture.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| Error::Manifest(format!("invalid manifest JSON: {e}")))?;
        if m.format_version != FORMAT_VERSION {
            return Err(Error::Manifest(format!(
                "format version {} is not supported (this build reads version {FORMAT_VERSION})",
                m.format_version
            )));
        }
        m.architecture.validate()?;
        Ok(m)
    }

    /// The manifest as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serialises")
    }

    /// Checks that `weights` are the bytes this manifest describes.
    pub fn verify(&self, weights: &[u8]) -> Result<(), Error> {
        let actual = sha256_hex(weights);
        if actual != self.weights.sha256.to_ascii_lowercase() {
            return Err(Error::Manifest(format!(
                "weights do not match the manifest: sha256 {actual}, manifest says {}",
                self.weights.sha256
            )));
        }
        Ok(())
    }
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
