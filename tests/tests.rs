//! One integration-test binary (Burn's link time makes many binaries slow); one module per area.

mod suite;
