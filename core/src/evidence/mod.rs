//! Evidence that leaves the store: attachments written out, and the evidence package
//! (signed bundles, attachments in the clear, receipts, a signed manifest and a README
//! for the recipient) with its standalone verifier, made by a device or by the team
//! server (`relay`). See docs/EVIDENCE.md.

pub mod manifest;
pub mod package;
mod readme;
pub mod relay;
pub mod verify;

pub use manifest::PackageMaker;
pub use package::{export_package, PackageSummary};
pub use relay::{export_server_package, PushedChain, ServerPackage};
pub use verify::{verify_package, PackageProblem, PackageReport};
