//! What every fuzz target shares: an allocator that turns unbounded allocation into a
//! crash, so "bounded memory" is checked on the stable toolchain too (libFuzzer's own
//! `-malloc_limit_mb` needs a sanitizer's malloc hooks, which only nightly builds have;
//! `fuzz/run` still passes `-rss_limit_mb` as a second net).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The most one allocation may ask for. Fuzz inputs are at most `fuzz/run`'s `-max_len`
/// (64 KiB); the parsers' own ceilings (16 MiB files, 256 KiB templates, 1 MiB bodies)
/// are far above anything such an input may legitimately need.
pub const MAX_ALLOCATION: usize = 64 * 1024 * 1024;
/// The most live heap at any time, for the whole process (the server target's runtime
/// and SQLite caches included).
pub const MAX_LIVE: usize = 256 * 1024 * 1024;

/// Counts live bytes; aborts (a crash libFuzzer reports, with the input) beyond the limits.
pub struct Bounded;

static LIVE: AtomicUsize = AtomicUsize::new(0);

fn over(what: &str, size: usize) -> ! {
    // No allocation here: the allocator is what failed.
    let msg = [
        "vigil-fuzz: allocation bound exceeded (",
        what,
        "); input allocates without bound\n",
    ];
    for m in msg {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), m.as_bytes());
    }
    let _ = size;
    std::process::abort();
}

fn account(size: usize) {
    if size > MAX_ALLOCATION {
        over("one allocation above MAX_ALLOCATION", size);
    }
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    if live > MAX_LIVE {
        over("live heap above MAX_LIVE", live);
    }
}

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            account(new_size - layout.size());
            if new_size > MAX_ALLOCATION {
                over("one allocation above MAX_ALLOCATION", new_size);
            }
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Bounded = Bounded;

/// Splits `data` into length-prefixed parts (`u16be length ‖ bytes`, the last part takes
/// what is left when its length runs past the end): how the targets that need several
/// messages read them from one input.
pub fn parts(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let rest = &data[2..];
        let take = len.min(rest.len());
        out.push(&rest[..take]);
        data = &rest[take..];
    }
    out
}

/// The inverse of [`parts`] (seed generators).
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        let len = u16::try_from(p.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&p[..usize::from(len)]);
    }
    out
}

/// One Ed25519 key for the whole run, standing in for a device (or a server) the
/// fuzzer controls, so structure-aware targets can sign what they mutate.
pub fn fuzz_key() -> &'static vigil_core::crypto::signing::DeviceKey {
    static KEY: std::sync::OnceLock<vigil_core::crypto::signing::DeviceKey> =
        std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        vigil_core::crypto::signing::DeviceKey::generate()
            .expect("generate the fuzz key")
            .0
    })
}

/// A key file around `data`: byte 0 picks the format (odd: 1, even: 2); for format 2
/// the last 176 bytes are the attempts region (each record's checksum set right), the
/// rest the JSON body; header and checksum are computed, as `keyfile::encode` would.
pub fn keyfile_framed(data: &[u8]) -> Vec<u8> {
    use ring::digest::{digest, SHA256};
    let Some((&first, rest)) = data.split_first() else {
        return Vec::new();
    };
    let version: u32 = if first & 1 == 1 { 1 } else { 2 };
    let (body, region) = if version == 2 && rest.len() >= 176 {
        rest.split_at(rest.len() - 176)
    } else {
        (rest, &[][..])
    };
    let mut out = Vec::with_capacity(data.len() + 64);
    out.extend_from_slice(vigil_core::testing::keyfile::MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    let sum = digest(&SHA256, &out);
    out.extend_from_slice(sum.as_ref());
    if version == 2 {
        let mut region = region.to_vec();
        region.resize(176, 0);
        for record in region.chunks_mut(88) {
            let sum = digest(&SHA256, &record[..56]);
            record[56..].copy_from_slice(sum.as_ref());
        }
        out.extend_from_slice(&region);
    }
    out
}

/// A bundle that parses, its payload's device key replaced by [`fuzz_key`] and signed
/// again by it (docs/INCIDENT_LOG.md: the domain, then the canonical payload); `None`
/// when `data` is no bundle.
pub fn resign_bundle(data: &[u8]) -> Option<Vec<u8>> {
    use vigil_core::incident::export::{
        Bundle, BUNDLE_DOMAIN_V1, BUNDLE_DOMAIN_V2, BUNDLE_FORMAT_V1,
    };
    let mut bundle: Bundle = serde_json::from_slice(data).ok()?;
    let key = fuzz_key();
    bundle.payload.device_public_key = hex::encode(key.public_key());
    let domain = if bundle.format == BUNDLE_FORMAT_V1 {
        BUNDLE_DOMAIN_V1
    } else {
        BUNDLE_DOMAIN_V2
    };
    let mut message = domain.to_vec();
    message.extend_from_slice(&serde_json::to_vec(&bundle.payload).ok()?);
    bundle.signature = hex::encode(key.sign(&message));
    serde_json::to_vec(&bundle).ok()
}

/// `haystack` with every `needle` replaced by `with`, bytes as they are (a body may be
/// binary: a text round trip would mangle it).
pub fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !needle.is_empty() {
        match rest.windows(needle.len()).position(|w| w == needle) {
            Some(i) => {
                out.extend_from_slice(&rest[..i]);
                out.extend_from_slice(with);
                rest = &rest[i + needle.len()..];
            }
            None => break,
        }
    }
    out.extend_from_slice(rest);
    out
}
