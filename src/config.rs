//! Typed configuration: environment variables (`CONVENE_*`), an optional
//! `convene.toml`, and `*_FILE` variants for secrets — validated once at start.
//!
//! The environment wins over the file. Secrets are held as [`SecretString`] and
//! never printed: `Debug` on [`Config`] redacts them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Every variable the hub reads, with whether it is a secret (and so also accepted as `*_FILE`).
const VARIABLES: &[(&str, bool)] = &[
    ("CONVENE_LISTEN", false),
    ("CONVENE_PUBLIC_URL", false),
    ("CONVENE_DATABASE_URL", true),
    ("CONVENE_MASTER_KEYS", true),
    ("CONVENE_ADMIN_TOKEN", true),
    ("CONVENE_ZOOM_CLIENT_ID", false),
    ("CONVENE_ZOOM_CLIENT_SECRET", true),
    ("CONVENE_ZOOM_WEBHOOK_SECRET", true),
    ("CONVENE_ZOOM_OAUTH_URL", false),
    ("CONVENE_ZOOM_API_URL", false),
    ("CONVENE_SMTP_URL", true),
    ("CONVENE_EMAIL_FROM", false),
    ("CONVENE_WEBHOOK_ALLOW_PRIVATE", false),
    ("CONVENE_DEMO", false),
    ("CONVENE_DATA_DIR", false),
    ("CONVENE_LOG_FORMAT", false),
    ("CONVENE_RATE_LIMIT_PER_SECOND", false),
    ("CONVENE_ZOOM_REFRESH_TOKEN_DAYS", false),
    ("CONVENE_CONNECT_SESSION_MINUTES", false),
    ("CONVENE_CONFIG", false),
];

/// The Zoom webhook secret used when the hub runs against its own sandbox.
pub const SANDBOX_ZOOM_WEBHOOK_SECRET: &str = "convene-sandbox-webhook-secret";

/// A configuration problem, phrased as what the operator should set.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

/// The hub's whole configuration.
#[derive(Clone)]
pub struct Config {
    /// Address to bind (`CONVENE_LISTEN`).
    pub listen: SocketAddr,
    /// External base URL; `None` means "http:// + the bound address".
    pub public_url: Option<Url>,
    /// `sqlite://…` or `postgres://…` (may carry a password, hence secret).
    pub database_url: SecretString,
    /// Where the vault's keys come from.
    pub master_keys: MasterKeys,
    /// Bearer token for `/admin/api`; `None` turns the admin API off.
    pub admin_token: Option<SecretString>,
    /// Which Zoom the hub talks to.
    pub zoom: ZoomConfig,
    /// SMTP server for end-user emails; `None` keeps emails in the database.
    pub smtp_url: Option<SecretString>,
    /// Sender of end-user emails (`Name <address>`); `None` means `Convene <no-reply@{public host}>`.
    pub email_from: Option<String>,
    /// Whether application webhooks may go to loopback, private and other non-public
    /// addresses (default: yes in the sandbox, no with a real Zoom app).
    pub webhook_allow_private: bool,
    /// Directory for files the hub generates (the sandbox key, the demo practice).
    pub data_dir: PathBuf,
    /// Whether `serve` also runs the sandbox demo client under `/demo` (sandbox only; default
    /// on there).
    pub demo: bool,
    /// Log line format.
    pub log_format: LogFormat,
    /// Default per-API-key request rate, per second (applications may override).
    pub rate_limit_per_second: NonZeroU32,
    /// Timings of background work; not read from the environment.
    pub tuning: Tuning,
    /// Variables that looked like ours but are not known (reported once logging is up).
    pub warnings: Vec<String>,
}

/// Where the vault's AES keys come from.
#[derive(Clone)]
pub enum MasterKeys {
    /// `CONVENE_MASTER_KEYS` as given.
    Configured(SecretString),
    /// Sandbox only: a key generated once into this file.
    SandboxFile(PathBuf),
}

/// The Zoom the hub talks to.
#[derive(Clone)]
pub struct ZoomConfig {
    /// Real credentials, or `None` for the built-in sandbox.
    pub client: Option<ZoomClient>,
    /// Zoom's "secret token" for event notifications.
    pub webhook_secret: SecretString,
    /// OAuth base URL (`{base}/oauth/authorize` …); `None` means the in-process sandbox.
    pub oauth_url: Option<Url>,
    /// REST base URL (`{base}/users/me` …); `None` means the in-process sandbox.
    pub api_url: Option<Url>,
    /// How long Zoom keeps an unused refresh token alive (Zoom says 15 years,
    /// many integrators see 90 days); idle credentials are refreshed well before.
    pub refresh_token_lifetime: Duration,
}

/// The hub's Zoom OAuth app.
#[derive(Clone)]
pub struct ZoomClient {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl ZoomConfig {
    /// True when no Zoom client is configured and the hub runs against its emulator.
    pub fn is_sandbox(&self) -> bool {
        self.client.is_none()
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// How often background upkeep runs.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// How often API-key `last_used_at` values are written back.
    pub key_usage_flush: Duration,
    /// How often idle rate-limiter entries are dropped.
    pub rate_limit_sweep: Duration,
    /// Largest request body accepted by the JSON APIs.
    pub max_body_bytes: usize,
    /// Connections in the database pool.
    pub max_db_connections: u32,
    /// How often the token keeper looks for idle or failing credentials.
    pub token_keeper_interval: Duration,
    /// How long a connect session's URL can be used.
    pub connect_session_ttl: Duration,
    /// How long an application's account-page link can be used (once).
    pub account_link_ttl: Duration,
    /// How long a signed-in account-page session lasts, from sign-in.
    pub account_session_ttl: Duration,
    /// How long an API request waits for Zoom before answering with
    /// conferencing `pending` (the work goes on in the background).
    pub zoom_request_budget: Duration,
    /// First wait before retrying a meeting change Zoom could not take; doubles up to an hour.
    pub meeting_retry_base: Duration,
    /// Attempts at a meeting change before its conferencing is `failed`.
    pub meeting_retry_attempts: i32,
    /// Waits between webhook attempts after each failure; once used up, a delivery fails.
    pub webhook_retry_schedule: Vec<Duration>,
    /// How often the webhook and email outboxes are worked.
    pub outbox_poll: Duration,
    /// Most webhook deliveries one outbox pass claims.
    pub webhook_batch: u64,
    /// Whether committed deliveries wake the webhook worker at once (else they wait for the
    /// next `outbox_poll` tick).
    pub outbox_wake_on_enqueue: bool,
    /// How often old rows (worked Zoom notifications, long-expired connect sessions) are
    /// deleted.
    pub forget_sweep: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            key_usage_flush: Duration::from_secs(30),
            rate_limit_sweep: Duration::from_secs(60),
            max_body_bytes: 256 * 1024,
            max_db_connections: 16,
            token_keeper_interval: Duration::from_secs(60),
            connect_session_ttl: Duration::from_secs(30 * 60),
            account_link_ttl: Duration::from_secs(15 * 60),
            account_session_ttl: Duration::from_secs(60 * 60),
            zoom_request_budget: Duration::from_secs(3),
            meeting_retry_base: Duration::from_secs(5),
            // 5 s doubling to an hour: about a day of trying.
            meeting_retry_attempts: 32,
            // Standard Webhooks / Svix: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight
            // attempts over about 27.5 hours.
            webhook_retry_schedule: [5, 300, 1800, 7200, 18_000, 36_000, 36_000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            outbox_poll: Duration::from_secs(1),
            webhook_batch: 256,
            outbox_wake_on_enqueue: true,
            forget_sweep: Duration::from_secs(3600),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field("database", &self.database_kind())
            .field("admin_api", &self.admin_token.is_some())
            .field("zoom_sandbox", &self.zoom.is_sandbox())
            .field("smtp", &self.smtp_url.is_some())
            .field("data_dir", &self.data_dir)
            .field("demo", &self.demo)
            .field("log_format", &self.log_format)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the process environment and, when present, the TOML file named by
    /// `CONVENE_CONFIG` (default `./convene.toml`).
    pub fn load() -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(name, _)| name.starts_with("CONVENE_"))
            .collect();
        let explicit_file = env.get("CONVENE_CONFIG").map(PathBuf::from);
        let file = explicit_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("convene.toml"));
        let mut vars = if file.exists() {
            read_toml(&file)?
        } else if explicit_file.is_some() {
            return Err(invalid(format!(
                "CONVENE_CONFIG names {}, which does not exist",
                file.display()
            )));
        } else {
            BTreeMap::new()
        };
        vars.extend(env);
        Self::from_vars(vars)
    }

    /// Builds the configuration from variables alone (`CONVENE_*` names), as tests do.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut vars: BTreeMap<String, String> = vars.into_iter().collect();
        let warnings = unknown_variables(&vars);
        resolve_files(&mut vars)?;
        let get = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let secret = |name: &str| get(name).map(|v| SecretString::from(v.to_owned()));

        let listen = get("CONVENE_LISTEN")
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| invalid("CONVENE_LISTEN must be an address such as 127.0.0.1:8080"))?;
        let public_url = get("CONVENE_PUBLIC_URL")
            .map(|raw| base_url("CONVENE_PUBLIC_URL", raw))
            .transpose()?;
        let database_url = get("CONVENE_DATABASE_URL").unwrap_or("sqlite://convene.db?mode=rwc");
        if !["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            return Err(invalid(
                "CONVENE_DATABASE_URL must start with sqlite:// or postgres://",
            ));
        }
        let data_dir = PathBuf::from(get("CONVENE_DATA_DIR").unwrap_or("."));

        let client = match (
            get("CONVENE_ZOOM_CLIENT_ID"),
            secret("CONVENE_ZOOM_CLIENT_SECRET"),
        ) {
            (None, None) => None,
            (Some(client_id), Some(client_secret)) => Some(ZoomClient {
                client_id: client_id.to_owned(),
                client_secret,
            }),
            (Some(_), None) => {
                return Err(invalid(
                    "CONVENE_ZOOM_CLIENT_ID is set but CONVENE_ZOOM_CLIENT_SECRET is not: set both (from your Zoom app's credentials page) or neither for the sandbox",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "CONVENE_ZOOM_CLIENT_SECRET is set but CONVENE_ZOOM_CLIENT_ID is not: set both or neither",
                ));
            }
        };
        let sandbox = client.is_none();
        let webhook_secret = match secret("CONVENE_ZOOM_WEBHOOK_SECRET") {
            Some(secret) => secret,
            None if sandbox => SecretString::from(SANDBOX_ZOOM_WEBHOOK_SECRET),
            None => {
                return Err(invalid(
                    "CONVENE_ZOOM_WEBHOOK_SECRET is required with a real Zoom app: copy the \"Secret Token\" from the app's Feature → Event Subscriptions page",
                ));
            }
        };
        let zoom_url = |name: &str, real_default: &str| -> Result<Option<Url>, ConfigError> {
            match get(name) {
                Some(raw) => base_url(name, raw).map(Some),
                None if sandbox => Ok(None),
                None => base_url(name, real_default).map(Some),
            }
        };
        let zoom = ZoomConfig {
            oauth_url: zoom_url("CONVENE_ZOOM_OAUTH_URL", "https://zoom.us")?,
            api_url: zoom_url("CONVENE_ZOOM_API_URL", "https://api.zoom.us/v2")?,
            client,
            webhook_secret,
            refresh_token_lifetime: Duration::from_secs(
                24 * 3600
                    * get("CONVENE_ZOOM_REFRESH_TOKEN_DAYS")
                        .unwrap_or("90")
                        .parse::<u64>()
                        .ok()
                        .filter(|days| (1..=36_500).contains(days))
                        .ok_or_else(|| {
                            invalid("CONVENE_ZOOM_REFRESH_TOKEN_DAYS must be a whole number of days from 1 to 36500")
                        })?,
            ),
        };

        let master_keys = match secret("CONVENE_MASTER_KEYS") {
            Some(keys) => MasterKeys::Configured(keys),
            None if sandbox => MasterKeys::SandboxFile(data_dir.join("convene-master.key")),
            None => {
                return Err(invalid(format!(
                    "CONVENE_MASTER_KEYS is required with a real Zoom app; generate one with: echo \"k1:$(openssl rand -base64 32)\" (for example {})",
                    "k1:<44 base64 characters>"
                )));
            }
        };

        let log_format = match get("CONVENE_LOG_FORMAT").unwrap_or("pretty") {
            "pretty" | "text" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => return Err(invalid("CONVENE_LOG_FORMAT must be `pretty` or `json`")),
        };
        let rate_limit_per_second = get("CONVENE_RATE_LIMIT_PER_SECOND")
            .unwrap_or("50")
            .parse()
            .map_err(|_| invalid("CONVENE_RATE_LIMIT_PER_SECOND must be a whole number above 0"))?;

        let email_from = get("CONVENE_EMAIL_FROM")
            .map(|from| {
                from.parse::<lettre::message::Mailbox>()
                    .map(|_| from.to_owned())
                    .map_err(|_| invalid("CONVENE_EMAIL_FROM must be an email address, optionally with a name: Convene <no-reply@hub.example.com>"))
            })
            .transpose()?;
        let webhook_allow_private = match get("CONVENE_WEBHOOK_ALLOW_PRIVATE") {
            None => sandbox,
            Some("true") => true,
            Some("false") => false,
            Some(_) => {
                return Err(invalid(
                    "CONVENE_WEBHOOK_ALLOW_PRIVATE must be `true` or `false`",
                ));
            }
        };

        let demo = match get("CONVENE_DEMO") {
            None => sandbox,
            Some("on") if sandbox => true,
            Some("on") => {
                return Err(invalid(
                    "CONVENE_DEMO=on needs sandbox mode: the demo client creates meetings for pretend therapists and must not reach a real Zoom",
                ));
            }
            Some("off") => false,
            Some(_) => return Err(invalid("CONVENE_DEMO must be `on` or `off`")),
        };

        let mut tuning = Tuning::default();
        if let Some(minutes) = get("CONVENE_CONNECT_SESSION_MINUTES") {
            let minutes: u64 = minutes
                .parse()
                .ok()
                .filter(|m| (1..=1440).contains(m))
                .ok_or_else(|| invalid("CONVENE_CONNECT_SESSION_MINUTES must be a whole number of minutes from 1 to 1440"))?;
            tuning.connect_session_ttl = Duration::from_secs(minutes * 60);
        }

        Ok(Self {
            listen,
            public_url,
            database_url: SecretString::from(database_url.to_owned()),
            master_keys,
            admin_token: secret("CONVENE_ADMIN_TOKEN"),
            zoom,
            smtp_url: secret("CONVENE_SMTP_URL"),
            email_from,
            webhook_allow_private,
            data_dir,
            demo,
            log_format,
            rate_limit_per_second,
            tuning,
            warnings,
        })
    }

    /// `"sqlite"` or `"postgres"`, safe to log.
    pub fn database_kind(&self) -> &'static str {
        if self.database_url.expose_secret().starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        }
    }
}

/// Parses an absolute http(s) base URL, without a trailing slash in its path.
fn base_url(name: &str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim_end_matches('/')).map_err(|_| {
        invalid(format!(
            "{name} must be an absolute URL such as https://hub.example.com"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(format!(
            "{name} must be an http:// or https:// URL"
        )));
    }
    Ok(url)
}

/// Replaces every `NAME_FILE` by `NAME` read from that file.
fn resolve_files(vars: &mut BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (name, secret) in VARIABLES {
        let file_var = format!("{name}_FILE");
        let Some(path) = vars.remove(&file_var) else {
            continue;
        };
        if !secret {
            return Err(invalid(format!(
                "{file_var} is not supported: {name} is not a secret"
            )));
        }
        if vars.contains_key(*name) {
            return Err(invalid(format!("set {name} or {file_var}, not both")));
        }
        let value = std::fs::read_to_string(&path)
            .map_err(|e| invalid(format!("{file_var}: cannot read {path}: {e}")))?;
        vars.insert(
            (*name).to_owned(),
            value.trim_end_matches(['\r', '\n']).to_owned(),
        );
    }
    Ok(())
}

fn unknown_variables(vars: &BTreeMap<String, String>) -> Vec<String> {
    vars.keys()
        .filter(|name| name.starts_with("CONVENE_"))
        .filter(|name| {
            let base = name.strip_suffix("_FILE").unwrap_or(name);
            !VARIABLES.iter().any(|(known, _)| *known == base)
        })
        .filter(|name| !name.starts_with("CONVENE_TEST_"))
        .map(|name| format!("unknown variable {name} is ignored"))
        .collect()
}

/// Reads `convene.toml`: flat keys named like the variables without the prefix
/// (`listen = "0.0.0.0:8080"`, `database_url = "postgres://…"`).
fn read_toml(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| invalid(format!("{} is not valid TOML: {e}", path.display())))?;
    let mut vars = BTreeMap::new();
    for (key, value) in table {
        let name = format!("CONVENE_{}", key.to_uppercase());
        let base = name.strip_suffix("_FILE").unwrap_or(&name);
        if !VARIABLES.iter().any(|(known, _)| *known == base) || name == "CONVENE_CONFIG" {
            return Err(invalid(format!("{}: unknown key `{key}`", path.display())));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(invalid(format!(
                    "{}: `{key}` must be a string or a number, not {}",
                    path.display(),
                    other.type_str()
                )));
            }
        };
        vars.insert(name, value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_are_the_sandbox_on_sqlite() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.zoom.is_sandbox());
        assert_eq!(config.database_kind(), "sqlite");
        assert!(matches!(config.master_keys, MasterKeys::SandboxFile(_)));
        assert!(config.admin_token.is_none());
    }

    #[test]
    fn real_zoom_requires_master_keys_and_webhook_secret() {
        let err = config(&[
            ("CONVENE_ZOOM_CLIENT_ID", "id"),
            ("CONVENE_ZOOM_CLIENT_SECRET", "shh"),
            ("CONVENE_ZOOM_WEBHOOK_SECRET", "hook"),
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("CONVENE_MASTER_KEYS"), "{err}");
        let err = config(&[("CONVENE_ZOOM_CLIENT_ID", "id")]).err().unwrap();
        assert!(
            err.to_string().contains("CONVENE_ZOOM_CLIENT_SECRET"),
            "{err}"
        );
    }

    /// The least configuration of a hub with a real Zoom app.
    const REAL_ZOOM: [(&str, &str); 4] = [
        ("CONVENE_ZOOM_CLIENT_ID", "id"),
        ("CONVENE_ZOOM_CLIENT_SECRET", "shh"),
        ("CONVENE_ZOOM_WEBHOOK_SECRET", "hook"),
        (
            "CONVENE_MASTER_KEYS",
            "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
    ];

    #[test]
    fn the_demo_runs_in_the_sandbox_unless_turned_off_and_never_with_real_zoom() {
        assert!(config(&[]).unwrap().demo);
        assert!(!config(&[("CONVENE_DEMO", "off")]).unwrap().demo);
        let real = REAL_ZOOM;
        assert!(!config(&real).unwrap().demo);
        let err = config(&[real.as_slice(), &[("CONVENE_DEMO", "on")]].concat())
            .err()
            .unwrap();
        assert!(err.to_string().contains("sandbox"), "{err}");
        let err = config(&[("CONVENE_DEMO", "yes")]).err().unwrap();
        assert!(err.to_string().contains("`on` or `off`"), "{err}");
    }

    #[test]
    fn secrets_are_read_from_files_and_never_debug_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "very-secret-admin-token\n").unwrap();
        let config = config(&[("CONVENE_ADMIN_TOKEN_FILE", path.to_str().unwrap())]).unwrap();
        assert_eq!(
            config.admin_token.as_ref().unwrap().expose_secret(),
            "very-secret-admin-token"
        );
        assert!(!format!("{config:?}").contains("very-secret"));
    }

    #[test]
    fn a_variable_and_its_file_together_are_refused() {
        let err = config(&[
            ("CONVENE_ADMIN_TOKEN", "a"),
            ("CONVENE_ADMIN_TOKEN_FILE", "/nonexistent"),
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn private_webhook_destinations_are_allowed_only_in_the_sandbox_by_default() {
        assert!(config(&[]).unwrap().webhook_allow_private);
        let real = REAL_ZOOM;
        assert!(!config(&real).unwrap().webhook_allow_private);
        let mut allowed = real.to_vec();
        allowed.push(("CONVENE_WEBHOOK_ALLOW_PRIVATE", "true"));
        assert!(config(&allowed).unwrap().webhook_allow_private);
        let config = config(&[
            ("CONVENE_WEBHOOK_ALLOW_PRIVATE", "false"),
            ("CONVENE_EMAIL_FROM", "Calm Hub <hello@calm.example>"),
        ])
        .unwrap();
        assert!(!config.webhook_allow_private);
        assert_eq!(
            config.email_from.as_deref(),
            Some("Calm Hub <hello@calm.example>")
        );
        assert_eq!(config.tuning.webhook_retry_schedule.len(), 7);
    }

    #[test]
    fn bad_values_name_the_variable_to_fix() {
        for (name, value) in [
            ("CONVENE_LISTEN", "nowhere"),
            ("CONVENE_PUBLIC_URL", "ftp://x"),
            ("CONVENE_DATABASE_URL", "mysql://x"),
            ("CONVENE_LOG_FORMAT", "xml"),
            ("CONVENE_RATE_LIMIT_PER_SECOND", "0"),
            ("CONVENE_ZOOM_REFRESH_TOKEN_DAYS", "0"),
            ("CONVENE_WEBHOOK_ALLOW_PRIVATE", "yes"),
            ("CONVENE_EMAIL_FROM", "not an address"),
        ] {
            let err = config(&[(name, value)]).err().unwrap();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn unknown_variables_are_reported() {
        let config = config(&[("CONVENE_LISTN", "x")]).unwrap();
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("CONVENE_LISTN"));
    }

    #[test]
    fn the_toml_file_adds_to_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("convene.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\nrate_limit_per_second = 7\n",
        )
        .unwrap();
        let vars = read_toml(&path).unwrap();
        let config = Config::from_vars(vars).unwrap();
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.rate_limit_per_second.get(), 7);
        std::fs::write(&path, "lissten = \"x\"\n").unwrap();
        assert!(
            read_toml(&path)
                .unwrap_err()
                .to_string()
                .contains("lissten")
        );
    }
}
