//! In the sandbox, with no CONVENE_MASTER_KEYS, the hub makes its own key once.

use convene::config::{Config, MasterKeys};
use convene::startup::load_key_ring;
use convene::vault::{Purpose, SealContext};
use secrecy::ExposeSecret;

#[test]
fn the_sandbox_key_is_generated_once_privately_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_vars([(
        "CONVENE_DATA_DIR".to_owned(),
        dir.path().join("data").display().to_string(),
    )])
    .unwrap();
    let MasterKeys::SandboxFile(path) = &config.master_keys else {
        panic!("sandbox without keys uses a key file");
    };
    assert!(!path.exists());
    let first = load_key_ring(&config).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the key");
    }
    let context = SealContext {
        purpose: Purpose::ZoomRefreshToken,
        row_id: "cred_1",
    };
    let sealed = first.seal_str("refresh-token", &context);
    let again = load_key_ring(&config).unwrap();
    assert_eq!(again.active_key_id(), first.active_key_id());
    assert_eq!(
        again.open_str(&sealed, &context).unwrap().expose_secret(),
        "refresh-token"
    );
}
