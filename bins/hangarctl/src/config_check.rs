//! `hangarctl config check [FILE]`: load, validate and compile a config file.

use std::io::Write;
use std::path::Path;

use hangar_config::Config;
use hangar_policy::Policy;

use crate::Failure;

/// Validates `path`; prints a one-line summary when it is valid.
pub(crate) fn run(path: &Path, out: &mut impl Write) -> Result<(), Failure> {
    let (config, policy) = load(path)?;
    let servers = config.mcp_servers.len();
    let _ = writeln!(
        out,
        "{}: ok ({} mode, {} server{})",
        path.display(),
        policy.mode(),
        servers,
        if servers == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Loads a config and compiles its tool-access policy; every problem becomes a [`Failure`].
pub(crate) fn load(path: &Path) -> Result<(Config, Policy), Failure> {
    let config = Config::load(path).map_err(config_failure)?;
    let policy = config.policy().map_err(config_failure)?;
    Ok((config, policy))
}

fn config_failure(error: hangar_config::Error) -> Failure {
    match error {
        hangar_config::Error::Io { .. } => Failure::Io(error.to_string()),
        other => Failure::Invalid(format!("invalid config:\n{other}")),
    }
}
