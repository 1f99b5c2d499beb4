//! Evidence that leaves the store: attachments written out, and the evidence package
//! (signed bundles, attachments in the clear, receipts, a signed manifest and a README
//! for the recipient) with its standalone verifier. See docs/EVIDENCE.md.

pub mod manifest;
pub mod package;
mod readme;
pub mod verify;

pub use package::{export_package, PackageSummary};
pub use verify::{verify_package, PackageProblem, PackageReport};
