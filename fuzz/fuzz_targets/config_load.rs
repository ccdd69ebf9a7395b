//! `hangar_config::Config::from_yaml_str` on arbitrary UTF-8, with a fixed environment
//! (so `${VAR}` interpolation runs): it never panics; a loaded config compiles its policy
//! and lists its withdrawals; an error renders as text naming the file.
#![no_main]

use hangar_config::{Config, MapEnvironment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let env = MapEnvironment::new()
        .with("HANGAR_ADMIN_KEY", "fuzz-admin-key")
        .with("TENANT_C_KEY", "fuzz-tenant-key")
        .with("EMPTY", "");
    match Config::from_yaml_str(text, "fuzz.yaml", &env) {
        Ok(config) => {
            let _ = config.policy();
            let _ = config.withdrawals().count();
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("fuzz.yaml"), "{message}");
        }
    }
});
