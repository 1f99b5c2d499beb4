//! The README.txt of every evidence package: what the recipient holds and how to check
//! it without Vigil. Fixed text (no case data in it), listed and hashed in the manifest.

pub const TEXT: &str = r#"VIGIL EVIDENCE PACKAGE
======================

This package was exported from Vigil, an incident log kept by close-protection officers,
by an officer's device or by the team's server (the manifest says which: "maker").
It holds the log's entries as the officers' devices signed them, the photos and other
files attached to the incidents, and the team server's receipts. You can check all of it
without Vigil, with SHA-256 and Ed25519 (Python's `cryptography`, OpenSSL, Java 17).

WHAT IS IN IT
  manifest.json           every file below with its SHA-256 and size, and every
                          attachment with its incident; signed by its maker: the
                          exporting device ("maker":"device") or the team server
                          ("maker":"team_server")
  README.txt              this text
  bundles/device-N.json   from a device: device-1 is its own signed bundle
                          (format vigil.incident-bundle.v2), the others a teammate's
                          chain as the device received it; from the team server: every
                          one a chain as the devices pushed it (format
                          vigil.incident-chain.v2, no bundle signature: each entry is
                          signed by its device)
  receipts/device-N.json  the team server's receipt for device N's chain (for a bundle,
                          a copy of its "anchor")
  attachments/<sha256>.<ext>
                          each attached file, IN THE CLEAR, named by the SHA-256 of its
                          content. Treat the package as the sensitive material it is.

HOW TO CHECK IT (in this order; the first failure is the verdict)
 1. manifest.json is exactly
      {"format":"vigil.evidence-package.v2","payload":P,"signature":"S"}
    where S is 128 lowercase hex digits. Take P as the exact bytes between the prefix
    and the suffix. Check the Ed25519 signature S, by the raw 32-byte public key given
    in P as "public_key", over the bytes "VIGIL-PACKAGE-V2" followed by P.
    (Format v1, from earlier releases: "device_public_key", "VIGIL-PACKAGE-V1".)
 2. For every entry of P's "files": the file exists at "path" and its size and
    SHA-256 are "size" and "sha256". No other file is in the package (manifest.json
    aside).
 3. Every bundle and chain verifies as docs/INCIDENT_LOG.md of Vigil's source,
    "Verifying a bundle", describes (canonical JSON, SHA-256 entry hashes chained by
    prev_hash, an Ed25519 signature per entry, the bundle signature over
    "VIGIL-BUNDLE-V2" || payload for a bundle; a chain copy has no bundle signature
    and no receipt). From a device, device-1 is that device: its key is the
    manifest's. From the team server, every file is a chain.
 4. A receipt for a bundle equals the bundle's "anchor" (checked in step 3). A receipt
    for a chain is checked as the anchor of a bundle would be: the server's signature
    and the chain reaching the receipt's entry. From the team server, every chain has
    a receipt, signed by the manifest's key.
 5. Each attachment: the SHA-256 and size of its file are those in its file name and
    in the manifest, and a disclosed, signed entry of its incident references exactly
    that attachment id with that SHA-256, size and type. Every attachment a disclosed
    entry references is in the package.

A package that passes proves that the devices holding the keys it names signed these
entries and files, that the maker assembled this package, and (with a receipt) that the
team server saw the chain up to the receipt's entry. Compare the device keys with the
ones the team server registered, and the server key with the one the team server
publishes.

With Vigil:   vigil incident verify-bundle <this directory or .zip>
Without:      python3 verify_bundle.py <this directory or .zip>  (tests/examiner/ in
              Vigil's source: a second, independent verifier written from the documents)
"#;
