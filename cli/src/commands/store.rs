//! `init`, `status`, `passphrase change`, `wipe`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use vigil_core::crypto::KdfParams;
use vigil_core::{KdfChoice, SlotKind, Vault};

use super::{unlock, CliError};
use crate::output::Output;
use crate::secret;

#[derive(Clone, Copy, ValueEnum)]
pub enum KdfAlg {
    Argon2id,
    Pbkdf2,
}

#[derive(Args)]
pub struct InitArgs {
    /// Passphrase KDF.
    #[arg(long, value_enum, default_value = "argon2id")]
    kdf: KdfAlg,
    /// Argon2id memory in KiB (default 65536 = 64 MiB).
    #[arg(long)]
    kdf_memory_kib: Option<u32>,
    /// Argon2id passes or PBKDF2 iterations.
    #[arg(long)]
    kdf_iterations: Option<u32>,
    /// Accept KDF parameters below OWASP's minimum (tests and demos only).
    #[arg(long)]
    allow_weak_kdf: bool,
    /// Wipe the store after this many consecutive failed unlocks.
    #[arg(long)]
    wipe_after: Option<u32>,
    /// Succeed without changes if a store already exists (for scripts and demos).
    #[arg(long)]
    exist_ok: bool,
}

#[derive(Subcommand)]
pub enum PassphraseCommand {
    /// Change the passphrase (rewraps the master key; the database is untouched).
    /// Old from VIGIL_PASSPHRASE, new from VIGIL_NEW_PASSPHRASE, or prompts.
    Change,
}

pub fn init(dir: &Path, args: InitArgs, out: &Output) -> Result<(), CliError> {
    if args.exist_ok && Vault::open(dir).is_ok() {
        out.print(&json!({"created": false, "exists": dir}), || {
            format!("A Vigil store already exists in {}", dir.display())
        });
        return Ok(());
    }
    let params = match args.kdf {
        KdfAlg::Argon2id => {
            let KdfParams::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } = KdfParams::default()
            else {
                return Err(CliError::Usage("no default Argon2id parameters".into()));
            };
            KdfParams::Argon2id {
                memory_kib: args.kdf_memory_kib.unwrap_or(memory_kib),
                iterations: args.kdf_iterations.unwrap_or(iterations),
                parallelism,
            }
        }
        KdfAlg::Pbkdf2 => KdfParams::Pbkdf2Sha256 {
            iterations: args.kdf_iterations.unwrap_or(600_000),
        },
    };
    let pass = secret::new_passphrase("VIGIL_PASSPHRASE")?;
    let mut v = Vault::create(
        dir,
        &pass,
        KdfChoice {
            params,
            allow_weak: args.allow_weak_kdf,
        },
        None,
    )?;
    if args.wipe_after.is_some() {
        v.set_wipe_policy(args.wipe_after)?;
    }
    let status = v.status()?;
    out.print(
        &json!({"created": dir, "device_id": status.device_id, "slots": status.slots}),
        || format!("Created an encrypted Vigil store in {}", dir.display()),
    );
    Ok(())
}

fn slot_kind(k: SlotKind) -> &'static str {
    match k {
        SlotKind::Passphrase => "passphrase",
        SlotKind::Platform => "platform key",
        SlotKind::PassphraseAndPlatform => "passphrase + platform key",
    }
}

pub fn status(dir: &Path, out: &Output) -> Result<(), CliError> {
    let v = unlock(dir)?;
    let s = v.status()?;
    out.print(&s, || {
        let mut t = String::new();
        t.push_str(&format!("store          {}\n", dir.display()));
        t.push_str(&format!("key file       format {}\n", s.key_file_version));
        t.push_str(&format!(
            "database       schema {}\n",
            s.schema_version.unwrap_or_default()
        ));
        t.push_str(&format!(
            "device         {}\n",
            s.device_id.clone().unwrap_or_default()
        ));
        for slot in &s.slots {
            let kdf = match slot.kdf {
                Some(KdfParams::Argon2id {
                    memory_kib,
                    iterations,
                    parallelism,
                }) => format!(" (Argon2id m={memory_kib} KiB t={iterations} p={parallelism})"),
                Some(KdfParams::Pbkdf2Sha256 { iterations }) => {
                    format!(" (PBKDF2-SHA256 {iterations} iterations)")
                }
                None => String::new(),
            };
            let duress = if slot.duress { " [duress]" } else { "" };
            t.push_str(&format!(
                "key slot {:<5} {}{}{}\n",
                slot.id,
                slot_kind(slot.kind),
                kdf,
                duress
            ));
        }
        let ob = s.outbox.clone().unwrap_or_default();
        t.push_str(&format!(
            "outbox         {} pending, {} quarantined\n",
            ob.pending, ob.quarantined
        ));
        t.push_str(&format!(
            "wipe policy    {}",
            s.wipe_after
                .map(|n| format!("after {n} failed unlocks"))
                .unwrap_or_else(|| "off".into())
        ));
        t
    });
    Ok(())
}

pub fn passphrase(dir: &Path, cmd: PassphraseCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        PassphraseCommand::Change => {
            let mut v = super::open(dir)?;
            let old = secret::passphrase("VIGIL_PASSPHRASE", "Current passphrase: ")?;
            v.unlock_with_passphrase(&old, None)?;
            let new = secret::new_passphrase("VIGIL_NEW_PASSPHRASE")?;
            v.change_passphrase(&old, &new, None)?;
            out.print(&json!({"changed": true}), || "Passphrase changed.".into());
            Ok(())
        }
    }
}

pub fn wipe(dir: &Path, yes: bool, out: &Output) -> Result<(), CliError> {
    let mut v = super::open(dir)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "refusing to wipe without confirmation: pass --yes".into(),
            ));
        }
        eprint!(
            "This destroys the store in {} for good. Type WIPE to confirm: ",
            dir.display()
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Io(e.kind().to_string()))?;
        if line.trim() != "WIPE" {
            return Err(CliError::Cancelled);
        }
    }
    v.wipe(None)?;
    out.print(&json!({"wiped": true}), || "Store wiped.".into());
    Ok(())
}
