mod cli;
mod common;
mod parity;
mod sequences;
mod weights;
