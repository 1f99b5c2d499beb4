//! `vigil-server --data-dir DIR --listen 127.0.0.1:PORT`, and admin subcommands that work
//! on the same data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use vigil_server::api::DEFAULT_BODY_LIMIT;
use vigil_server::{service, Ctx, SqliteStorage, Storage};

#[derive(Parser)]
#[command(name = "vigil-server", about = "Vigil team sync server")]
struct Cli {
    /// Directory holding the server's database.
    #[arg(long, env = "VIGIL_SERVER_DATA_DIR")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// PostgreSQL instead of the SQLite file: `postgres://user@host:port/db`
    /// (needs a build with the `postgres` feature).
    #[arg(long, env = "VIGIL_SERVER_DATABASE_URL")]
    database_url: Option<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let storage = match open_storage(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigil-server: cannot open the storage: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Admin(a)) => admin(storage.as_ref(), a),
        None => run(storage, cli.listen, cli.body_limit),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigil-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open_storage(cli: &Cli) -> Result<Arc<dyn Storage>, String> {
    match &cli.database_url {
        None => Ok(Arc::new(
            SqliteStorage::open_dir(&cli.data_dir).map_err(|e| e.to_string())?,
        )),
        #[cfg(feature = "postgres")]
        Some(url) => Ok(Arc::new(
            vigil_server::PgStorage::connect(url).map_err(|e| e.to_string())?,
        )),
        #[cfg(not(feature = "postgres"))]
        Some(_) => Err("this build has no PostgreSQL support (feature `postgres`)".into()),
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
    }
    Ok(())
}

fn s(e: vigil_server::ServerError) -> String {
    e.to_string()
}

fn run(storage: Arc<dyn Storage>, listen: SocketAddr, body_limit: usize) -> Result<(), String> {
    let ctx = Arc::new(Ctx::new(storage));
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
        vigil_server::serve(listener, ctx, body_limit, stop)
            .await
            .map_err(|e| e.to_string())
    })
}
