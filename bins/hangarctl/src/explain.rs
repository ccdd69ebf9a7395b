//! `hangarctl explain`: one tenant's view of the back ends' tools, with the reason for each.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use hangar_config::Config;
use hangar_policy::{Caller, Policy};
use hangar_projection::{
    Catalog, ConfigWithdrawals, Overlays, RedbOverlayStore, SurfaceReport, WithdrawalCheck, surface,
};

use crate::cli::ExplainArgs;
use crate::{Failure, config_check, table};

/// Runs the command with the config at `config_path`.
pub(crate) fn run(
    config_path: &Path,
    args: &ExplainArgs,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (config, policy) = config_check::load(config_path)?;
    let catalog = catalog(&config, args)?;
    let withdrawals = ConfigWithdrawals::new(
        config
            .withdrawals()
            .map(|w| (w.server, w.pattern, w.tenant)),
    )
    .map_err(|e| Failure::Invalid(format!("invalid config withdrawals: {e}")))?;

    let caller = args
        .tenant
        .as_deref()
        .map_or_else(Caller::anonymous, Caller::tenant);
    let seen = match &args.data_dir {
        None => surface(&policy, &withdrawals, &catalog, &caller),
        Some(dir) => {
            let overlays = runtime_overlays(dir, withdrawals)?;
            surface(&policy, &overlays, &catalog, &caller)
        }
    };
    let report = seen.report(&catalog, args.tenant.as_deref());

    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&report).expect("the report serializes");
        json.push('\n');
        json
    } else {
        human(&report, &policy)
    };
    let _ = out.write_all(text.as_bytes());
    Ok(())
}

fn human(report: &SurfaceReport, policy: &Policy) -> String {
    let who = report
        .tenant
        .as_deref()
        .map_or_else(|| "(no tenant)".to_owned(), |t| format!("tenant {t}"));
    let visible = report.visible_count();
    let rows: Vec<Vec<String>> = report
        .tools
        .iter()
        .map(|t| {
            vec![
                t.server.clone(),
                t.tool.clone(),
                if t.visible { "yes" } else { "no" }.to_owned(),
                t.reason.clone(),
            ]
        })
        .collect();
    format!(
        "{who} ({} mode): {visible} of {} tools visible\n\n{}",
        policy.mode(),
        report.tools.len(),
        table::render(&["SERVER", "TOOL", "VISIBLE", "REASON"], &rows)
    )
}

/// The back ends' tools: from `--tools FILE.json` or the single `--server`/`--tool`.
fn catalog(config: &Config, args: &ExplainArgs) -> Result<Catalog, Failure> {
    let servers: BTreeMap<String, Vec<String>> = match (&args.tools, &args.server, &args.tool) {
        (Some(file), _, _) => read_tools_file(file)?,
        (None, Some(server), Some(tool)) => BTreeMap::from([(server.clone(), vec![tool.clone()])]),
        _ => {
            return Err(Failure::Invalid(
                "give --tools FILE.json or --server S --tool T".to_owned(),
            ));
        }
    };
    let unknown: Vec<&str> = servers
        .keys()
        .map(String::as_str)
        .filter(|name| config.server(name).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(Failure::Invalid(format!(
            "the config defines no mcp_servers entry named {} (defined: {})",
            quoted(unknown.iter().copied()),
            quoted(config.mcp_servers.iter().map(|server| server.name.as_str())),
        )));
    }
    let mut catalog = Catalog::new();
    for (server, tools) in &servers {
        catalog.set_server(server, tools);
    }
    Ok(catalog)
}

fn read_tools_file(file: &Path) -> Result<BTreeMap<String, Vec<String>>, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Io(format!("cannot read tools file {}: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::Invalid(format!(
            "tools file {}: {e} (expected {{\"server\": [\"tool\", ...], ...}})",
            file.display()
        ))
    })
}

/// The config's withdrawals plus the runtime ones stored under `dir`.
fn runtime_overlays(
    dir: &Path,
    withdrawals: ConfigWithdrawals,
) -> Result<impl WithdrawalCheck, Failure> {
    let file = dir.join(RedbOverlayStore::FILE_NAME);
    if !file.is_file() {
        return Err(Failure::Io(format!(
            "no overlay store at {}",
            file.display()
        )));
    }
    let store = RedbOverlayStore::open(dir).map_err(|e| Failure::Io(e.to_string()))?;
    Overlays::new(withdrawals, store).map_err(|e| Failure::Io(e.to_string()))
}

fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
