//! `hangarctl`: Hangar's admin CLI.
//!
//! Offline commands (`config check`, `explain`, `audit verify`) use the config, policy,
//! projection and audit crates directly; they never link the gateway. Online commands
//! (`withdraw`, `restore`, `withdrawals`, `tools`, `servers`, `server`) call the gateway's
//! admin API over HTTP.
//! Exit codes: 0 success, 1 the config, an input or a request is invalid (or a check
//! failed), 2 bad usage, 3 not found, 4 unauthorized or forbidden, 69 the gateway is
//! unreachable, 70 the gateway failed, 74 a file could not be read (docs/hangarctl.md).

mod audit;
mod cli;
mod config_check;
mod explain;
mod https;
mod online;
mod table;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use crate::cli::{AuditCommand, Cli, Command, ConfigCommand};

/// What went wrong, with the exit code scripts can rely on.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The config or an input file is invalid (exit 1).
    Invalid(String),
    /// A file could not be read (exit 74, EX_IOERR).
    Io(String),
    /// The gateway does not know what was named (exit 3).
    NotFound(String),
    /// The gateway refused the credential or the permission (exit 4).
    Denied(String),
    /// The gateway could not be reached (exit 69, EX_UNAVAILABLE).
    Unreachable(String),
    /// The gateway failed or answered something unexpected (exit 70, EX_SOFTWARE).
    Gateway(String),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Invalid(_) => ExitCode::from(1),
            Failure::Io(_) => ExitCode::from(74),
            Failure::NotFound(_) => ExitCode::from(3),
            Failure::Denied(_) => ExitCode::from(4),
            Failure::Unreachable(_) => ExitCode::from(69),
            Failure::Gateway(_) => ExitCode::from(70),
        }
    }

    fn message(&self) -> &str {
        match self {
            Failure::Invalid(m)
            | Failure::Io(m)
            | Failure::NotFound(m)
            | Failure::Denied(m)
            | Failure::Unreachable(m)
            | Failure::Gateway(m) => m,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::Config(ConfigCommand::Check { file }) => {
            config_check::run(&config_path(file), &mut out)
        }
        Command::Explain(args) => {
            let path = config_path(args.config.clone());
            explain::run(&path, &args, &mut out)
        }
        Command::Audit(AuditCommand::Verify { files, anchor }) => {
            audit::verify(&files, &anchor, &mut out)
        }
        Command::Online(command) => online::run(&command, &mut out),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "hangarctl", &mut out);
            Ok(())
        }
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = writeln!(std::io::stderr(), "hangarctl: {}", failure.message());
            failure.exit_code()
        }
    }
}

/// The config file: the one given, else `~/.config/mcp-hangar/config.yaml`.
fn config_path(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("mcp-hangar").join("config.yaml")
    })
}
