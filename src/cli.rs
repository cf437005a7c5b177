//! The `convene` command line: `serve` (default), `migrate`, `app create`, `admin create`,
//! `admin list`, `admin remove`, `admin password`, `keys rotate`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::operators::{self, OperatorEmail, OperatorPassword};
use crate::startup::{self, Application};
use crate::store::Store;
use crate::store::operators::{OperatorRecord, OperatorRemoval};
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
    /// List operator accounts: email, when created, when last signed in.
    List,
    /// Remove an operator account and end its console sessions.
    Remove {
        #[arg(long)]
        email: String,
        /// Remove it even if it is the only operator (nobody can then sign in to the console
        /// until `admin create`).
        #[arg(long)]
        force: bool,
    },
    /// Give an operator a new password and end its console sessions. The password is read as
    /// for `create`.
    Password {
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
        Command::Admin { command } => admin(command, config).await,
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

/// `convene admin …`: operator accounts.
async fn admin(command: AdminCommand, config: Config) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create { email } => {
            let email = operator_email(&email)?;
            let password = new_password()?;
            let store = startup::open_store(&config).await?;
            let id = operators::create(&store, &email, &password).await?;
            println!(
                "operator {} created ({id}); sign in at /admin",
                email.as_str()
            );
        }
        AdminCommand::List => {
            let store = startup::open_store(&config).await?;
            println!("EMAIL\tCREATED\tLAST SIGN-IN");
            for operator in store.list_operators().await? {
                println!(
                    "{}\t{}\t{}",
                    operator.email,
                    operator.created_at.to_rfc3339(),
                    operator
                        .last_signed_in_at
                        .map_or_else(|| "unknown".to_owned(), |at| at.to_rfc3339())
                );
            }
        }
        AdminCommand::Remove { email, force } => {
            let email = operator_email(&email)?;
            let store = startup::open_store(&config).await?;
            match operators::remove(&store, &email, force).await? {
                OperatorRemoval::Removed => {
                    println!("operator {} removed; its sessions ended", email.as_str());
                }
                OperatorRemoval::Unknown => return Err(no_such_operator(&email)),
                OperatorRemoval::LastOperator => anyhow::bail!(
                    "{} is the only operator: without one nobody can sign in to the console (add another with `admin create`, or pass --force)",
                    email.as_str()
                ),
            }
        }
        AdminCommand::Password { email } => {
            let email = operator_email(&email)?;
            let password = new_password()?;
            let store = startup::open_store(&config).await?;
            let operator = known_operator(&store, &email).await?;
            let ended = operators::change_password(&store, &operator, &password, None).await?;
            println!(
                "password of operator {} changed; {ended} console session(s) ended",
                email.as_str()
            );
        }
    }
    Ok(())
}

fn operator_email(raw: &str) -> anyhow::Result<OperatorEmail> {
    OperatorEmail::parse(raw).map_err(|error| anyhow::anyhow!("--email {}", error.message))
}

/// The operator with `email`, or an error saying there is none.
async fn known_operator(store: &Store, email: &OperatorEmail) -> anyhow::Result<OperatorRecord> {
    store
        .find_operator_by_email(email.as_str())
        .await?
        .ok_or_else(|| no_such_operator(email))
}

fn no_such_operator(email: &OperatorEmail) -> anyhow::Error {
    anyhow::anyhow!("no operator has the email {}", email.as_str())
}

/// A password read by [`read_password`] that meets the length rule.
fn new_password() -> anyhow::Result<OperatorPassword> {
    OperatorPassword::parse(&read_password()?)
        .map_err(|error| anyhow::anyhow!("the password {}", error.message))
}

/// A new password: one line of stdin when it is piped, else typed twice at a
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
