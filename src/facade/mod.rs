//! The facade's parts: [`program`] (compile or load, inputs, run, outputs),
//! [`input_file`] (inputs from JSON and CSV files), [`peer`] (TCP / TLS channels to
//! the peer), [`channel`] ([`crate::IoChannel`])
//! and [`error`] ([`crate::Error`]); and what they are built on: [`files`] (reading
//! with stream limits), [`shapes`] (the Bristol shapes sidecar), [`progress`] (counting
//! executed gates), [`stats`] (what a whole run executes).
//!
//! `files`, `shapes`, `progress`, `peer` and `stats` are `pub` only so that `crate::internal` can
//! re-export them for the binary; the `facade` module itself is private.

pub(crate) mod channel;
pub(crate) mod error;
pub mod files;
pub(crate) mod input_file;
pub mod peer;
pub(crate) mod program;
pub mod progress;
pub mod shapes;
pub mod stats;
