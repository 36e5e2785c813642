//! `--security semi-honest|malicious`, shared by `mpc run` and `mpc local`.

/// The `--security` value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SecurityArg {
    /// Parties follow the protocol (the default; fast, streams programs of any size).
    #[default]
    SemiHonest,
    /// A party that deviates is caught (authenticated garbling; expands the program).
    Malicious,
}

impl From<SecurityArg> for mpc::Security {
    fn from(s: SecurityArg) -> mpc::Security {
        match s {
            SecurityArg::SemiHonest => mpc::Security::SemiHonest,
            SecurityArg::Malicious => mpc::Security::Malicious,
        }
    }
}

/// The run options for `--security` and `--max-gates`.
pub fn options(security: SecurityArg, max_gates: Option<u64>) -> mpc::RunOptions {
    let opts = mpc::RunOptions::default().security(security.into());
    match max_gates {
        Some(n) => opts.max_gates(n),
        None => opts,
    }
}
