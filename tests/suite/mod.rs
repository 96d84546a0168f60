mod cli;
mod common;
mod dream;
mod parity;
mod sequences;
mod weights;
