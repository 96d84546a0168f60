mod cli;
mod common;
mod dream;
mod ism;
mod parity;
mod sequences;
mod weights;
