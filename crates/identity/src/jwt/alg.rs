//! The JWS algorithms Hangar verifies.

/// A JWS algorithm Hangar verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

const ALL: [Alg; 13] = [
    Alg::HS256,
    Alg::HS384,
    Alg::HS512,
    Alg::RS256,
    Alg::RS384,
    Alg::RS512,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
    Alg::ES256,
    Alg::ES384,
    Alg::ES512,
    Alg::EdDSA,
];

impl Alg {
    /// The JOSE name (`RS256`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm with this exact JOSE name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The configured algorithm (`auth.jwt.algorithm`).
    pub(crate) fn from_config(alg: hangar_config::JwtAlgorithm) -> Option<Self> {
        Self::from_name(&format!("{alg:?}"))
    }

    /// The JWK key type this algorithm needs.
    pub(crate) fn kty(self) -> &'static str {
        match self.name().as_bytes()[0] {
            b'H' => "oct",
            b'R' | b'P' => "RSA",
            b'E' if self == Self::EdDSA => "OKP",
            _ => "EC",
        }
    }
}
