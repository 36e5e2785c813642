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

/// The run options for `--security`, `--scheme` and `--max-gates`. `--scheme` chooses
/// the semi-honest tables; the malicious mode has its own, so another scheme with it is
/// refused rather than ignored.
pub fn options(
    security: SecurityArg,
    scheme: mpc::Scheme,
    max_gates: Option<u64>,
) -> anyhow::Result<mpc::RunOptions> {
    if security == SecurityArg::Malicious && scheme != mpc::Scheme::HalfGates {
        anyhow::bail!(
            "--scheme {} applies to the semi-honest mode; --security malicious garbles with its own authenticated tables",
            scheme.name()
        );
    }
    let opts = mpc::RunOptions::default().security(security.into()).scheme(scheme);
    Ok(match max_gates {
        Some(n) => opts.max_gates(n),
        None => opts,
    })
}
