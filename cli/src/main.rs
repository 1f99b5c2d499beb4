//! `vigil`: the officer's companion on a laptop, for scripting and demos. A thin shell
//! over `vigil-core`: it parses arguments, reads the passphrase, prints results.

mod commands;
mod output;
mod secret;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Output;

#[derive(Parser)]
#[command(
    name = "vigil",
    version,
    about = "Vigil: encrypted field log for close-protection officers"
)]
struct Cli {
    /// Directory holding the store (key file, database, attachments).
    #[arg(
        long,
        global = true,
        env = "VIGIL_DATA_DIR",
        default_value = "vigil-data"
    )]
    data_dir: PathBuf,
    /// Machine-readable JSON on stdout (and JSON errors on stderr).
    #[arg(long, global = true)]
    json: bool,
    /// Seconds to wait for another process writing the same store before giving up
    /// with `busy` (exit status 6; nothing is written).
    #[arg(long, global = true, env = "VIGIL_WAIT", default_value_t = 15.0, value_parser = commands::parse_wait)]
    wait: f64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new encrypted store in the data directory.
    Init(commands::store::InitArgs),
    /// Show the store's format, key slots and outbox size.
    Status,
    /// Manage passphrases.
    #[command(subcommand)]
    Passphrase(commands::store::PassphraseCommand),
    /// The store itself: integrity check, re-key, wipe policy (see docs/cli/store.md).
    #[command(subcommand)]
    Store(commands::store::StoreCommand),
    /// Crypto-shred the store: key file, database, attachments. Irreversible.
    Wipe {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Venues: add, list, show.
    #[command(subcommand)]
    Venue(commands::advance::VenueCommand),
    /// Safe havens (A&E, police, fire, embassies): add, list, nearest.
    #[command(subcommand)]
    Haven(commands::advance::HavenCommand),
    /// Routes: import GPX / GeoJSON, list, show, export, check a position.
    #[command(subcommand)]
    Route(commands::advance::RouteCommand),
    /// Advance checklists: templates, walks, answers, completion, sign-off.
    #[command(subcommand)]
    Checklist(commands::advance::ChecklistCommand),
    /// The tamper-evident incident log (see docs/cli/incident.md).
    #[command(subcommand)]
    Incident(Box<commands::incident::IncidentCommand>),
    /// PDF/A-3b reports: incidents, advance walks (see docs/cli/report.md).
    #[command(subcommand)]
    Report(commands::report::ReportCommand),
    /// Enroll this device with a team server using a one-time code.
    Enroll(commands::sync::EnrollArgs),
    /// Push local changes and pull the team's; `sync status` shows the sync state.
    Sync(commands::sync::SyncArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    commands::set_wait(cli.wait);
    let result = match cli.command {
        Command::Init(args) => commands::store::init(&cli.data_dir, args, &out),
        Command::Status => commands::store::status(&cli.data_dir, &out),
        Command::Passphrase(cmd) => commands::store::passphrase(&cli.data_dir, cmd, &out),
        Command::Store(cmd) => commands::store::store_cmd(&cli.data_dir, cmd, &out),
        Command::Wipe { yes } => commands::store::wipe(&cli.data_dir, yes, &out),
        Command::Venue(cmd) => commands::advance::venue_cmd(&cli.data_dir, cmd, &out),
        Command::Haven(cmd) => commands::advance::haven_cmd(&cli.data_dir, cmd, &out),
        Command::Route(cmd) => commands::advance::route_cmd(&cli.data_dir, cmd, &out),
        Command::Checklist(cmd) => commands::advance::checklist_cmd(&cli.data_dir, cmd, &out),
        Command::Incident(cmd) => commands::incident::run(&cli.data_dir, *cmd, &out),
        Command::Report(cmd) => commands::report::run(&cli.data_dir, cmd, &out),
        Command::Enroll(args) => commands::sync::enroll(&cli.data_dir, args, &out),
        Command::Sync(args) => commands::sync::run(&cli.data_dir, args, &out),
    };
    match result.map_err(|e| e.in_dir(&cli.data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
