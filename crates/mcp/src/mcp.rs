//! MCP methods the gateway touches, typed views of the params it needs, and builders for
//! the messages it emits itself.

mod build;
mod handshake;
mod params;

use std::fmt;

pub use build::{CacheScope, ToolListBuilder, list_changed};
pub use handshake::{DiscoverResultBuilder, InitializeResultBuilder};
pub use params::{
    CallToolParams, CancelledParams, CompleteParams, CompletionRef, GetPromptParams,
    Implementation, InitializeParams, LoggingMessageParams, PaginatedParams, ProgressParams,
    RequestMeta, ResourceParams, SetLevelParams, SubscriptionFilter, SubscriptionsListenParams,
};

use crate::version::ProtocolVersion;

/// Which param a method's `Mcp-Name` header mirrors (2026-07-28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameParam {
    /// `params.name` (`tools/call`, `prompts/get`).
    Name,
    /// `params.uri` (`resources/read`).
    Uri,
}

macro_rules! methods {
    ($($variant:ident => $name:literal, $kind:ident, $since:ident ..= $until:ident;)*) => {
        /// An MCP method (request or notification) the gateway routes, answers or relays.
        ///
        /// Unknown methods are still decoded (the message keeps its method string); they
        /// just have no `Method`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Method {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Method {
            /// Every method this crate knows.
            pub const ALL: &'static [Method] = &[$(Self::$variant),*];

            /// The method name on the wire, e.g. `tools/call`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The method with this wire name, if this crate knows it.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The method is a notification (no id, no response).
            pub const fn is_notification(self) -> bool {
                match self {
                    $(Self::$variant => methods!(@kind $kind),)*
                }
            }

            /// The method exists in `version`.
            pub fn is_available_in(self, version: ProtocolVersion) -> bool {
                match self {
                    $(Self::$variant => {
                        ProtocolVersion::$since <= version && version <= ProtocolVersion::$until
                    })*
                }
            }
        }
    };
    (@kind request) => { false };
    (@kind notification) => { true };
}

methods! {
    Initialize => "initialize", request, V2025_03_26 ..= V2025_11_25;
    Ping => "ping", request, V2025_03_26 ..= V2025_11_25;
    ServerDiscover => "server/discover", request, V2026_07_28 ..= V2026_07_28;
    ToolsList => "tools/list", request, V2025_03_26 ..= V2026_07_28;
    ToolsCall => "tools/call", request, V2025_03_26 ..= V2026_07_28;
    ResourcesList => "resources/list", request, V2025_03_26 ..= V2026_07_28;
    ResourcesTemplatesList => "resources/templates/list", request, V2025_03_26 ..= V2026_07_28;
    ResourcesRead => "resources/read", request, V2025_03_26 ..= V2026_07_28;
    ResourcesSubscribe => "resources/subscribe", request, V2025_03_26 ..= V2025_11_25;
    ResourcesUnsubscribe => "resources/unsubscribe", request, V2025_03_26 ..= V2025_11_25;
    PromptsList => "prompts/list", request, V2025_03_26 ..= V2026_07_28;
    PromptsGet => "prompts/get", request, V2025_03_26 ..= V2026_07_28;
    CompletionComplete => "completion/complete", request, V2025_03_26 ..= V2026_07_28;
    SubscriptionsListen => "subscriptions/listen", request, V2026_07_28 ..= V2026_07_28;
    LoggingSetLevel => "logging/setLevel", request, V2025_03_26 ..= V2025_11_25;
    SamplingCreateMessage => "sampling/createMessage", request, V2025_03_26 ..= V2025_11_25;
    ElicitationCreate => "elicitation/create", request, V2025_06_18 ..= V2025_11_25;
    RootsList => "roots/list", request, V2025_03_26 ..= V2025_11_25;
    Initialized => "notifications/initialized", notification, V2025_03_26 ..= V2025_11_25;
    Cancelled => "notifications/cancelled", notification, V2025_03_26 ..= V2026_07_28;
    Progress => "notifications/progress", notification, V2025_03_26 ..= V2026_07_28;
    LoggingMessage => "notifications/message", notification, V2025_03_26 ..= V2026_07_28;
    ToolsListChanged => "notifications/tools/list_changed", notification, V2025_03_26 ..= V2026_07_28;
    ResourcesListChanged => "notifications/resources/list_changed", notification, V2025_03_26 ..= V2026_07_28;
    ResourcesUpdated => "notifications/resources/updated", notification, V2025_03_26 ..= V2026_07_28;
    PromptsListChanged => "notifications/prompts/list_changed", notification, V2025_03_26 ..= V2026_07_28;
    RootsListChanged => "notifications/roots/list_changed", notification, V2025_03_26 ..= V2025_11_25;
    SubscriptionsAcknowledged => "notifications/subscriptions/acknowledged", notification, V2026_07_28 ..= V2026_07_28;
}

impl Method {
    /// The param the `Mcp-Name` header mirrors for this method, if any.
    pub const fn name_param(self) -> Option<NameParam> {
        match self {
            Self::ToolsCall | Self::PromptsGet => Some(NameParam::Name),
            Self::ResourcesRead => Some(NameParam::Uri),
            _ => None,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
