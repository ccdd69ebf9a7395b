//! One tenant's view of every catalog tool, visible or hidden, with the reason: the
//! report `hangarctl explain --json` prints and `GET /api/admin/tenants/{tenant}/tools`
//! answers.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::surface::Surface;

/// `{"tenant": …, "tools": [{"server", "tool", "visible", "reason"}, …]}`. Scripts depend
/// on this shape: keep it stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurfaceReport {
    /// The tenant the surface is for (`None`: a caller without a tenant).
    pub tenant: Option<String>,
    /// Every catalog tool, in catalog order.
    pub tools: Vec<ReportLine>,
}

/// One tool of a [`SurfaceReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    /// The back end.
    pub server: String,
    /// The tool's name at the back end.
    pub tool: String,
    /// Whether the tenant sees it.
    pub visible: bool,
    /// Why (the rule that allowed it, or why it is hidden).
    pub reason: String,
}

impl SurfaceReport {
    /// How many tools are visible.
    pub fn visible_count(&self) -> usize {
        self.tools.iter().filter(|line| line.visible).count()
    }
}

impl Surface {
    /// Every tool of `catalog` (the catalog the surface was computed from), in catalog
    /// order, visible or hidden, with its reason, for `tenant`.
    pub fn report(&self, catalog: &Catalog, tenant: Option<&str>) -> SurfaceReport {
        let mut tools = Vec::with_capacity(catalog.len());
        for server in catalog.servers() {
            for tool in catalog.tools(server).into_iter().flatten() {
                let (visible, reason) =
                    match self.visible_tool(tool).filter(|v| v.server() == server) {
                        Some(visible) => (true, visible.reason().to_owned()),
                        None => (
                            false,
                            self.hidden_reason(server, tool)
                                .map_or_else(|| "hidden".to_owned(), ToString::to_string),
                        ),
                    };
                tools.push(ReportLine {
                    server: server.to_owned(),
                    tool: tool.to_owned(),
                    visible,
                    reason,
                });
            }
        }
        SurfaceReport {
            tenant: tenant.map(str::to_owned),
            tools,
        }
    }
}
