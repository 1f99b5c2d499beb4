//! Reading passphrases: from the environment (for scripts) or a no-echo prompt.

use std::io::IsTerminal;

use zeroize::Zeroizing;

use crate::commands::CliError;

/// `var` if set, else a no-echo prompt on the terminal.
pub fn passphrase(var: &str, prompt: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(v) = std::env::var_os(var) {
        let s = v
            .into_string()
            .map_err(|_| CliError::Usage(format!("{var} is not valid UTF-8")))?;
        return Ok(Zeroizing::new(s.into_bytes()));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "no terminal to ask for the passphrase: set {var}"
        )));
    }
    let s = rpassword::prompt_password(prompt)
        .map_err(|_| CliError::Usage("could not read the passphrase".into()))?;
    Ok(Zeroizing::new(s.into_bytes()))
}

/// A new passphrase: from `var`, or prompted twice.
pub fn new_passphrase(var: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if std::env::var_os(var).is_some() {
        return passphrase(var, "");
    }
    let a = passphrase(var, "New passphrase: ")?;
    let b = passphrase(var, "Repeat new passphrase: ")?;
    if *a != *b {
        return Err(CliError::Usage("the passphrases do not match".into()));
    }
    Ok(a)
}
