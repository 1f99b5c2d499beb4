//! `init`, `status`, `passphrase change|duress`, `store check|rekey|policy`, `wipe`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use vigil_core::crypto::KdfParams;
use vigil_core::{KdfChoice, SlotKind, StoreError, Vault};

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
    /// The duress passphrase: entered at unlock, it crypto-shreds the store and opens a
    /// fresh, empty one. On disk its slot looks like any other passphrase slot.
    #[command(subcommand)]
    Duress(DuressCommand),
}

#[derive(Subcommand)]
pub enum DuressCommand {
    /// Set a duress passphrase (from VIGIL_DURESS_PASSPHRASE, or prompted twice). It must
    /// differ from every passphrase that opens the store.
    Set,
    /// Remove the duress passphrase (every duress slot, or only --slot N).
    Remove {
        /// The duress slot to remove (as `vigil status` lists it).
        #[arg(long)]
        slot: Option<u32>,
    },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Full integrity check of the database: every page's HMAC (SQLCipher's
    /// cipher_integrity_check) and SQLite's integrity_check. Exits 4 if anything is wrong;
    /// changes nothing.
    Check,
    /// Suspected compromise: a new master key, every page re-encrypted under it, and every
    /// key slot (other passphrases, the duress passphrase) replaced by one new passphrase
    /// (from VIGIL_NEW_PASSPHRASE, or prompted twice).
    ///
    /// Old copies of the key file (backups, a copy someone took) no longer open this
    /// database: they hold the old master key, and the database is now under the new one.
    /// But an old key-file copy together with an old copy of the database (a backup of the
    /// whole directory) still opens that old data with the old passphrases: delete such
    /// backups, or treat them as compromised.
    Rekey,
    /// Set the wipe policy (--wipe-after N or --off), authenticated under the master key.
    /// This is also how the owner answers `policy_tampered`: it unlocks and puts back the
    /// policy they confirm.
    Policy {
        /// Wipe the store after this many consecutive failed unlocks.
        #[arg(long, conflicts_with = "off", required_unless_present = "off")]
        wipe_after: Option<u32>,
        /// No wipe policy.
        #[arg(long)]
        off: bool,
    },
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
        if let Some(st) = s.storage {
            t.push_str(&format!(
                "\nfree space     {} MiB{}",
                st.available_bytes / (1024 * 1024),
                if st.low {
                    " (low: free space before logging fails)"
                } else {
                    ""
                }
            ));
        }
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
        PassphraseCommand::Duress(DuressCommand::Set) => {
            let mut v = unlock(dir)?;
            let duress = secret::new_passphrase("VIGIL_DURESS_PASSPHRASE")?;
            let slot = v.set_duress_passphrase(&duress)?;
            out.print(&json!({"duress_slot": slot}), || {
                format!("Duress passphrase set (key slot {slot}). Entering it at unlock wipes the store.")
            });
            Ok(())
        }
        PassphraseCommand::Duress(DuressCommand::Remove { slot }) => {
            let mut v = unlock(dir)?;
            let duress: Vec<u32> = v
                .status()?
                .slots
                .iter()
                .filter(|s| s.duress)
                .map(|s| s.id)
                .collect();
            let targets = match slot {
                Some(id) if duress.contains(&id) => vec![id],
                Some(id) => {
                    return Err(CliError::Usage(format!(
                        "key slot {id} is not a duress slot"
                    )))
                }
                None => duress,
            };
            for id in &targets {
                v.remove_slot(*id)?;
            }
            out.print(&json!({"removed": targets}), || {
                if targets.is_empty() {
                    "No duress passphrase was set.".into()
                } else {
                    "Duress passphrase removed.".into()
                }
            });
            Ok(())
        }
    }
}

pub fn store_cmd(dir: &Path, cmd: StoreCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        StoreCommand::Check => {
            let v = unlock(dir)?;
            let problems = v.check()?;
            out.print(
                &json!({"ok": problems.is_empty(), "problems": problems}),
                || {
                    if problems.is_empty() {
                        "Database integrity: ok (every page's HMAC and SQLite's structure checked)."
                            .into()
                    } else {
                        format!(
                            "Database integrity: {} problem(s)\n{}",
                            problems.len(),
                            problems.join("\n")
                        )
                    }
                },
            );
            if problems.is_empty() {
                Ok(())
            } else {
                Err(CliError::Store(StoreError::DatabaseCorrupt))
            }
        }
        StoreCommand::Rekey => {
            let mut v = unlock(dir)?;
            let params = v
                .status()?
                .slots
                .iter()
                .find_map(|s| s.kdf)
                .unwrap_or_default();
            let new = secret::new_passphrase("VIGIL_NEW_PASSPHRASE")?;
            // The parameters already protecting the store, whatever they are.
            v.rekey(
                &new,
                KdfChoice {
                    params,
                    allow_weak: true,
                },
                None,
            )?;
            out.print(&json!({"rekeyed": true}), || {
                "Re-keyed: new master key, database re-encrypted, one passphrase slot. \
                 Old key-file copies no longer open this database; delete old backups of the whole store."
                    .into()
            });
            Ok(())
        }
        StoreCommand::Policy { wipe_after, off } => {
            let policy = if off { None } else { wipe_after };
            let mut v = super::open(dir)?;
            let p = secret::passphrase("VIGIL_PASSPHRASE", "Passphrase: ")?;
            v.unlock_confirming_policy(&p, None, policy)?;
            out.print(&json!({"wipe_after": policy}), || match policy {
                Some(n) => format!("Wipe policy: after {n} failed unlocks."),
                None => "Wipe policy: off.".into(),
            });
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
