//! The `convene` command line: `serve` (default), `migrate`, `app create`, `admin create`,
//! `keys rotate`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::operators::{self, OperatorEmail, OperatorPassword};
use crate::startup::{self, Application};
use crate::tenancy::{self, NewApplication};
use crate::{key_rotation, telemetry};

#[derive(Parser)]
#[command(
    name = "convene",
    version,
    about = "A multi-tenant Zoom conferencing hub"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub (the default).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage applications (tenants).
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Manage operator accounts (the console at /admin).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage the vault's keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Register an application; prints its id, API key and webhook secret as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// A URI end users may be sent back to (repeat for several).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        #[arg(long)]
        webhook_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an operator account. The password is read from stdin when it is not a
    /// terminal, else asked for twice without echo.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Re-seal every stored secret under the first key of CONVENE_MASTER_KEYS.
    Rotate,
}

/// Runs the command line; the exit code says whether it worked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("convene: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("convene: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = ?error, "convene failed");
            eprintln!("convene: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            startup::open_store(&config).await?;
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::App {
            command:
                AppCommand::Create {
                    name,
                    redirect_uris,
                    webhook_url,
                },
        } => {
            let new = NewApplication::parse(&name, &redirect_uris, webhook_url.as_deref(), None)
                .map_err(|errors| {
                    let list: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect();
                    anyhow::anyhow!("invalid application: {}", list.join("; "))
                })?;
            let vault = startup::load_key_ring(&config)?;
            let store = startup::open_store(&config).await?;
            let registered = tenancy::register(&store, &vault, new).await?;
            let printed = serde_json::json!({
                "id": registered.application.id,
                "name": registered.application.name,
                "api_key": registered.api_key.expose(),
                "webhook_secret": registered.webhook_secret.expose(),
            });
            println!("{}", serde_json::to_string_pretty(&printed)?);
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Create { email },
        } => {
            let email = OperatorEmail::parse(&email)
                .map_err(|error| anyhow::anyhow!("--email {}", error.message))?;
            let password = OperatorPassword::parse(&read_password()?)
                .map_err(|error| anyhow::anyhow!("the password {}", error.message))?;
            let store = startup::open_store(&config).await?;
            let id = operators::create(&store, &email, &password).await?;
            println!(
                "operator {} created ({id}); sign in at /admin",
                email.as_str()
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let vault = startup::load_key_ring(&config)?;
            let store = startup::open_store(&config).await?;
            let report = key_rotation::reseal_all(&store, &vault).await?;
            println!(
                "re-sealed {} secrets under key '{}' ({} already current, {} rewritten concurrently)",
                report.resealed,
                vault.active_key_id(),
                report.current,
                report.raced
            );
            Ok(())
        }
    }
}

/// A new operator's password: one line of stdin when it is piped, else typed twice at a
/// prompt that does not echo.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line);
    }
    let first = rpassword::prompt_password("Password (12 characters or more): ")?;
    let again = rpassword::prompt_password("Same password again: ")?;
    anyhow::ensure!(first == again, "the two passwords differ");
    Ok(first)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.zoom.is_sandbox() {
        tracing::warn!(
            "SANDBOX MODE: no CONVENE_ZOOM_CLIENT_ID is set, so no real Zoom account is used; set CONVENE_ZOOM_CLIENT_ID and CONVENE_ZOOM_CLIENT_SECRET for production"
        );
    }
    if config.admin_token.is_none() {
        tracing::info!("admin API is off (set CONVENE_ADMIN_TOKEN to enable /admin/api)");
    }
    let database = config.database_kind();
    let application = Application::build(config).await?;
    tracing::info!(
        url = %application.public_url(),
        database,
        "convene is listening"
    );
    if let Some(banner) = application.sandbox_banner() {
        println!("{banner}");
    }
    application.run_until_stopped().await
}
