//! The back ends' tool lists.

use std::sync::Arc;

use rustc_hash::FxHashMap;

/// One tool of one back end, with the collision verdict computed over the whole catalog.
#[derive(Debug, Clone)]
pub(crate) struct CatalogTool {
    pub(crate) name: Arc<str>,
    /// Every server listing this name, when there are two or more.
    pub(crate) collision: Option<Arc<[Arc<str>]>>,
}

/// One back end's list.
#[derive(Debug, Clone)]
pub(crate) struct CatalogServer {
    pub(crate) name: Arc<str>,
    pub(crate) tools: Vec<CatalogTool>,
}

/// What the back ends offer: server → tool names, servers in the order added and tools in
/// the order each back end listed them (the flat surface keeps that order).
///
/// A name listed by two or more servers is a *collision*; the catalog works collisions out
/// whenever a server's list is set, so computing a surface costs nothing extra for them.
///
/// ```
/// use hangar_projection::Catalog;
///
/// let catalog = Catalog::new()
///     .with_server("payments", ["charge", "refund", "status"])
///     .with_server("billing", ["invoice", "status"]);
/// assert!(catalog.contains("payments", "refund"));
/// let servers: Vec<&str> = catalog.colliding_servers("status").unwrap().collect();
/// assert_eq!(servers, ["payments", "billing"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    servers: Vec<CatalogServer>,
    collisions: usize,
}

impl Catalog {
    /// No server.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`set_server`](Self::set_server), builder style.
    #[must_use]
    pub fn with_server<I, S>(mut self, server: &str, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.set_server(server, tools);
        self
    }

    /// Sets `server`'s tool list (after discovery or a `tools/list_changed`), replacing
    /// the previous one in place, or adding the server at the end. A name the server lists
    /// twice counts once. Recomputes collisions: O(total tools).
    pub fn set_server<I, S>(&mut self, server: &str, tools: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut seen = rustc_hash::FxHashSet::default();
        let tools = tools
            .into_iter()
            .filter(|tool| seen.insert(tool.as_ref().to_owned()))
            .map(|tool| CatalogTool {
                name: tool.as_ref().into(),
                collision: None,
            })
            .collect();
        match self.servers.iter_mut().find(|known| &*known.name == server) {
            Some(known) => known.tools = tools,
            None => self.servers.push(CatalogServer {
                name: server.into(),
                tools,
            }),
        }
        self.find_collisions();
    }

    /// Removes a server and its tools; `true` if it was there.
    pub fn remove_server(&mut self, server: &str) -> bool {
        let before = self.servers.len();
        self.servers.retain(|known| &*known.name != server);
        let removed = self.servers.len() != before;
        if removed {
            self.find_collisions();
        }
        removed
    }

    /// The servers, in the order added.
    pub fn servers(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.servers.iter().map(|server| &*server.name)
    }

    /// A server's tools in its order, or `None` for a server not in the catalog.
    pub fn tools(&self, server: &str) -> Option<impl ExactSizeIterator<Item = &str> + '_> {
        self.server(server)
            .map(|server| server.tools.iter().map(|tool| &*tool.name))
    }

    /// The server is in the catalog.
    pub fn has_server(&self, server: &str) -> bool {
        self.server(server).is_some()
    }

    /// The server lists the tool.
    pub fn contains(&self, server: &str, tool: &str) -> bool {
        self.server(server)
            .is_some_and(|server| server.tools.iter().any(|known| &*known.name == tool))
    }

    /// How many (server, tool) pairs.
    pub fn len(&self) -> usize {
        self.servers.iter().map(|server| server.tools.len()).sum()
    }

    /// No tool at all.
    pub fn is_empty(&self) -> bool {
        self.servers.iter().all(|server| server.tools.is_empty())
    }

    /// The servers that list `tool`, in catalog order, if there are two or more (a
    /// collision); `None` otherwise.
    pub fn colliding_servers(
        &self,
        tool: &str,
    ) -> Option<impl ExactSizeIterator<Item = &str> + '_> {
        if self.collisions == 0 {
            return None;
        }
        let servers = self.servers.iter().find_map(|server| {
            server
                .tools
                .iter()
                .find(|known| &*known.name == tool)
                .and_then(|known| known.collision.as_ref())
        })?;
        Some(servers.iter().map(|server| &**server))
    }

    /// Every colliding name with the servers that list it, in catalog order (for the log
    /// and audit event the gateway emits when a collision appears).
    pub fn collisions(&self) -> Vec<(&str, Vec<&str>)> {
        let mut seen = rustc_hash::FxHashSet::default();
        self.servers
            .iter()
            .flat_map(|server| &server.tools)
            .filter_map(|tool| {
                let servers = tool.collision.as_ref()?;
                seen.insert(&*tool.name).then(|| {
                    (
                        &*tool.name,
                        servers.iter().map(|server| &**server).collect(),
                    )
                })
            })
            .collect()
    }

    pub(crate) fn entries(&self) -> &[CatalogServer] {
        &self.servers
    }

    fn server(&self, server: &str) -> Option<&CatalogServer> {
        self.servers.iter().find(|known| &*known.name == server)
    }

    fn find_collisions(&mut self) {
        let mut by_name: FxHashMap<Arc<str>, Vec<Arc<str>>> = FxHashMap::default();
        for server in &self.servers {
            for tool in &server.tools {
                by_name
                    .entry(tool.name.clone())
                    .or_default()
                    .push(server.name.clone());
            }
        }
        let shared: FxHashMap<Arc<str>, Arc<[Arc<str>]>> = by_name
            .into_iter()
            .filter(|(_, servers)| servers.len() > 1)
            .map(|(name, servers)| (name, servers.into()))
            .collect();
        self.collisions = shared.len();
        for server in &mut self.servers {
            for tool in &mut server.tools {
                tool.collision = shared.get(&tool.name).cloned();
            }
        }
    }
}
