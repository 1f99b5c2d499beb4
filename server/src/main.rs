//! `vigil-server --data-dir DIR --listen ADDR [--tls-cert FILE --tls-key FILE]`, and
//! admin subcommands that work on the same data directory. Plain HTTP is served only on a
//! loopback address (behind a TLS-terminating proxy); anything else needs the TLS files.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use vigil_server::api::DEFAULT_BODY_LIMIT;
use vigil_server::console::accounts::{self, Role};
use vigil_server::console::webauthn::RelyingParty;
use vigil_server::console::{ConsoleConfig, SessionLimits};
use vigil_server::tls::TlsIdentity;
use vigil_server::{service, Ctx, SqliteStorage, Storage};

#[derive(Parser)]
#[command(name = "vigil-server", about = "Vigil team sync server")]
struct Cli {
    /// Directory holding the server's database (every command but `admin pin`).
    #[arg(long, env = "VIGIL_SERVER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on. Without `--tls-cert/--tls-key` only a loopback address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// PEM certificate chain (leaf first) to serve HTTPS with.
    #[arg(long, env = "VIGIL_SERVER_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "VIGIL_SERVER_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PostgreSQL instead of the SQLite file: `postgres://user@host:port/db`
    /// (needs a build with the `postgres` feature).
    #[arg(long, env = "VIGIL_SERVER_DATABASE_URL")]
    database_url: Option<String>,
    /// The SQLite database's 32-byte key file (created on first start), default
    /// `DATA_DIR/vigil-server.key`. Keep it on another volume or a secrets mount so a
    /// copy of the data directory alone reveals nothing.
    #[arg(long, env = "VIGIL_SERVER_DB_KEY_FILE")]
    db_key_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Map tiles for the web console, `https://tiles.example/{z}/{x}/{y}.png`. Without,
    /// the console's maps draw on a plain background.
    #[arg(long, env = "VIGIL_CONSOLE_TILE_URL")]
    console_tile_url: Option<String>,
    /// The address devices enroll with, shown with the console's enrollment codes
    /// (default: the address the console was opened at).
    #[arg(long, env = "VIGIL_SERVER_PUBLIC_URL")]
    public_url: Option<String>,
    /// The console's address as browsers open it, `https://ops.example.org` (or
    /// `http://localhost:PORT` on this machine): turns on passkeys, for the relying party
    /// of that host name. WebAuthn refuses IP addresses. Without it, no passkeys.
    #[arg(long, env = "VIGIL_CONSOLE_ORIGIN", value_parser = RelyingParty::from_origin)]
    console_origin: Option<RelyingParty>,
    /// Console sessions end after this many seconds without a request (30 minutes).
    #[arg(long, default_value_t = 1800)]
    console_idle_seconds: u64,
    /// Console sessions end this many hours after sign-in, whatever happens.
    #[arg(long, default_value_t = 12)]
    console_session_hours: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Administration of teams, enrollment codes and devices.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Admin {
    /// Creates a team; prints its id.
    CreateTeam { name: String },
    /// Issues a one-time enrollment code for a team (valid 24 hours); prints it.
    IssueCode { team: String },
    /// Revokes a device: its pushes and pulls are refused from now on.
    Revoke { device: String },
    /// Creates a web console user of a team (id or name); reads the passphrase from the
    /// terminal (or one line of standard input) and prints, once, the TOTP secret as an
    /// `otpauth://` URI for an authenticator app.
    CreateUser {
        name: String,
        #[arg(long, value_parser = ["leader", "viewer"])]
        role: String,
        #[arg(long)]
        team: String,
    },
    /// Prints the SPKI pin (`sha256/<base64>`) of a PEM certificate's leaf, for
    /// `vigil enroll --pin`. Needs no data directory.
    Pin {
        #[arg(long)]
        tls_cert: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The log (refused requests, storage failures) goes to stderr; no line holds content.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    // `admin pin` reads a certificate file only: no storage.
    if let Some(Command::Admin(Admin::Pin { tls_cert })) = &cli.command {
        return match print_pin(tls_cert) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("vigil-server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Serving: refuse a bad listen/TLS combination before touching the storage.
    let tls = match &cli.command {
        Some(_) => None,
        None => match serving_tls(&cli) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("vigil-server: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let storage = match open_storage(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigil-server: cannot open the storage: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Admin(a)) => admin(storage.as_ref(), a),
        None => {
            let console = ConsoleConfig {
                tile_url: cli.console_tile_url.clone(),
                public_url: cli.public_url.clone(),
                pin: tls.as_ref().map(|t| t.pin.to_string()),
                sessions: SessionLimits {
                    lifetime_ms: cli.console_session_hours.max(1) * 3_600_000,
                    idle_ms: cli.console_idle_seconds.max(1) * 1000,
                },
                passkeys: cli.console_origin.clone(),
                ..ConsoleConfig::default()
            };
            run(storage, cli.listen, cli.body_limit, tls, console)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigil-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The TLS identity to serve with, or `None` for plain HTTP on loopback.
fn serving_tls(cli: &Cli) -> Result<Option<TlsIdentity>, String> {
    match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => Ok(Some(
            TlsIdentity::load(cert, key).map_err(|e| e.to_string())?,
        )),
        _ if cli.listen.ip().is_loopback() => Ok(None),
        _ => Err(format!(
            "refusing to serve plain HTTP on {}, which is not a loopback address: pass \
             --tls-cert/--tls-key to serve HTTPS, or listen on 127.0.0.1 behind a TLS proxy",
            cli.listen
        )),
    }
}

fn open_storage(cli: &Cli) -> Result<Arc<dyn Storage>, String> {
    match &cli.database_url {
        None => {
            let dir = cli.data_dir.as_ref().ok_or("--data-dir is required")?;
            let storage = match &cli.db_key_file {
                Some(key) => SqliteStorage::open_dir_with_key_file(dir, key),
                None => SqliteStorage::open_dir(dir),
            };
            Ok(Arc::new(storage.map_err(|e| e.to_string())?))
        }
        Some(url) => Ok(Arc::new(
            vigil_server::PgStorage::connect(url).map_err(|e| e.to_string())?,
        )),
    }
}

fn admin(storage: &dyn Storage, cmd: Admin) -> Result<(), String> {
    match cmd {
        Admin::CreateTeam { name } => println!("{}", storage.create_team(&name).map_err(s)?),
        Admin::IssueCode { team } => {
            println!("{}", service::issue_code(storage, &team).map_err(s)?)
        }
        Admin::Revoke { device } => {
            storage.revoke_device(&device).map_err(s)?;
            println!("revoked {device}");
        }
        Admin::CreateUser { name, role, team } => {
            let role = Role::parse(&role).ok_or("--role is leader or viewer")?;
            let passphrase = read_passphrase()?;
            let user = accounts::create_user(
                storage,
                &name,
                role,
                &team,
                &passphrase,
                vigil_server::now_ms(),
            )
            .map_err(|e| e.to_string())?;
            println!(
                "created console user {name} ({}) of team {}",
                role.as_str(),
                user.team_name
            );
            println!("TOTP secret (shown once; add it to an authenticator app):");
            println!("{}", user.otpauth_uri);
        }
        Admin::Pin { tls_cert } => print_pin(&tls_cert)?,
    }
    Ok(())
}

/// The new user's passphrase: typed twice at the terminal, or one line of standard input
/// (scripts).
fn read_passphrase() -> Result<zeroize::Zeroizing<String>, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let a = zeroize::Zeroizing::new(
            rpassword::prompt_password("Passphrase: ").map_err(|e| e.to_string())?,
        );
        let b = zeroize::Zeroizing::new(
            rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?,
        );
        if *a != *b {
            return Err("the passphrases differ".into());
        }
        return Ok(a);
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let trimmed = zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
    Ok(trimmed)
}

fn s(e: vigil_server::ServerError) -> String {
    e.to_string()
}

fn print_pin(cert: &std::path::Path) -> Result<(), String> {
    let pin = vigil_server::tls::certificate_pin(cert).map_err(|e| e.to_string())?;
    println!("{pin}");
    Ok(())
}

fn run(
    storage: Arc<dyn Storage>,
    listen: SocketAddr,
    body_limit: usize,
    tls: Option<TlsIdentity>,
    console: ConsoleConfig,
) -> Result<(), String> {
    let ctx = Arc::new(Ctx::new(storage).with_console(console));
    // The receipt signing key: created and stored in the database at first start.
    let key = hex::encode(ctx.server_key().map_err(s)?.public_key());
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("vigil-server listening on {addr}");
        eprintln!("vigil-server: server key (signs chain receipts) {key}");
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match tls {
            None => vigil_server::serve(listener, ctx, body_limit, stop).await,
            Some(t) => {
                println!("TLS certificate pin {}", t.pin);
                vigil_server::serve_tls(listener, ctx, body_limit, t.config, stop).await
            }
        }
        .map_err(|e| e.to_string())
    })
}
