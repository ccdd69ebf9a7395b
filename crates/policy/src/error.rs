/// Opaque policy error.
#[derive(Debug)]
pub struct Error {
    pub(crate) message: String,
}
impl Error {
    /// The error is an invalid glob pattern.
    pub fn is_invalid_pattern(&self) -> bool { todo!() }
    /// A server references a tenant group that was never defined.
    pub fn is_unknown_group(&self) -> bool { todo!() }
}
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.message) }
}
impl std::error::Error for Error {}
