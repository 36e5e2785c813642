//! The facade's parts: [`program`] (compile, inputs, run, outputs), [`channel`]
//! ([`crate::IoChannel`]) and [`error`] ([`crate::Error`]).

pub(crate) mod channel;
pub(crate) mod error;
pub(crate) mod program;
