//! Blob requests (attachment files): status, chunked upload, ranged download. Every
//! request is signed by an enrolled device and fresh (like a pull); a device reaches only
//! its own team's blobs. An upload appends in order, so a cut connection resumes where the
//! server's copy ends; the whole blob is checked against its SHA-256 before anyone can
//! read it, and a mismatch discards it.

use ring::digest;
use vigil_core::sync::protocol::{
    BlobOp, BlobRequest, BlobStatusReply, BLOB_AFTER_RECORD_VERSION, BLOB_CHUNK, MAX_BLOB_RANGE,
    PULL_FRESHNESS_MS,
};

use crate::error::ServerError;
use crate::service::{authenticate, check_version, Ctx};
use crate::storage::{BlobState, DeviceRecord};

fn authorize(ctx: &Ctx, req: &BlobRequest, op: BlobOp) -> Result<DeviceRecord, ServerError> {
    check_version(req.schema_version)?;
    if req.op != op {
        return Err(ServerError::Malformed(
            "blob operation does not match the endpoint".into(),
        ));
    }
    if !req.blob.is_valid() {
        return Err(ServerError::Malformed("blob name or size".into()));
    }
    let device = authenticate(ctx.storage.as_ref(), &req.device_id)?;
    if !req.verify(&device.public_key) {
        return Err(ServerError::BadSignature);
    }
    if ctx.now_ms().abs_diff(req.issued_ms) > PULL_FRESHNESS_MS {
        return Err(ServerError::StaleRequest);
    }
    Ok(device)
}

fn reply(ctx: &Ctx, req: &BlobRequest, st: &BlobState) -> BlobStatusReply {
    BlobStatusReply {
        schema_version: req.schema_version,
        blob: req.blob.clone(),
        received: st.received,
        complete: st.complete,
        server_time_ms: Some(ctx.now_ms()),
    }
}

/// What the server holds of the request's blob (nothing yet: received 0).
fn held(ctx: &Ctx, team: &str, req: &BlobRequest) -> Result<BlobState, ServerError> {
    let st = ctx
        .storage
        .blob(team, &req.blob.sha256)?
        .unwrap_or(BlobState {
            size: req.blob.size,
            received: 0,
            complete: false,
        });
    if st.size != req.blob.size {
        return Err(ServerError::Malformed(
            "blob size differs from its first upload".into(),
        ));
    }
    Ok(st)
}

pub fn status(ctx: &Ctx, req: &BlobRequest) -> Result<BlobStatusReply, ServerError> {
    let device = authorize(ctx, req, BlobOp::Status)?;
    Ok(reply(ctx, req, &held(ctx, &device.team_id, req)?))
}

/// Appends a chunk; the chunk that completes the blob is checked against its name in the
/// same transaction (`Storage::blob_append`). An empty chunk at the blob's end (what a
/// device sends when it believes every byte arrived) is answered with the server's state,
/// never refused: the device then sees the blob complete, or starts it again.
pub fn put(ctx: &Ctx, req: &BlobRequest, chunk: &[u8]) -> Result<BlobStatusReply, ServerError> {
    let device = authorize(ctx, req, BlobOp::Put)?;
    ctx.count_blob_bytes(chunk.len());
    let team = &device.team_id;
    if chunk.is_empty() && req.length == 0 && req.offset == req.blob.size {
        return Ok(reply(ctx, req, &held(ctx, team, req)?));
    }
    if chunk.is_empty() || chunk.len() > BLOB_CHUNK || chunk.len() as u64 != req.length {
        return Err(ServerError::Malformed("blob chunk length".into()));
    }
    if req.offset.saturating_add(req.length) > req.blob.size {
        return Err(ServerError::Malformed("blob chunk past the end".into()));
    }
    if hex::encode(digest::digest(&digest::SHA256, chunk)) != req.chunk_sha256 {
        return Err(ServerError::Malformed(
            "blob chunk does not match its digest".into(),
        ));
    }
    let st =
        ctx.storage
            .blob_append(team, &device.id, &req.blob, req.offset, chunk, ctx.now_ms())?;
    Ok(reply(ctx, req, &st))
}

/// Keeps the bytes of a put whose connection was cut after `prefix` (a strict, non-empty
/// start of the announced chunk) arrived, so the device resends only what was lost (it
/// asks `status` and goes on from there). The chunk's digest cannot be checked on a part
/// of it; the whole blob's SHA-256 still is, when its last byte arrives (a mismatch
/// discards the blob and the device starts it again).
pub fn put_prefix(
    ctx: &Ctx,
    req: &BlobRequest,
    prefix: &[u8],
) -> Result<BlobStatusReply, ServerError> {
    let device = authorize(ctx, req, BlobOp::Put)?;
    ctx.count_blob_bytes(prefix.len());
    if prefix.is_empty() || prefix.len() as u64 >= req.length || req.length > BLOB_CHUNK as u64 {
        return Err(ServerError::Malformed("blob chunk length".into()));
    }
    if req.offset.saturating_add(req.length) > req.blob.size {
        return Err(ServerError::Malformed("blob chunk past the end".into()));
    }
    let st = ctx.storage.blob_append(
        &device.team_id,
        &device.id,
        &req.blob,
        req.offset,
        prefix,
        ctx.now_ms(),
    )?;
    Ok(reply(ctx, req, &st))
}

pub fn get(ctx: &Ctx, req: &BlobRequest) -> Result<Vec<u8>, ServerError> {
    let device = authorize(ctx, req, BlobOp::Get)?;
    match ctx.storage.blob(&device.team_id, &req.blob.sha256)? {
        Some(st) if st.complete && st.size == req.blob.size => {}
        // Announced by a teammate's record, not uploaded whole yet: "coming".
        _ if req.schema_version >= BLOB_AFTER_RECORD_VERSION
            && ctx
                .storage
                .blob_expected(&device.team_id, &req.blob.sha256)? =>
        {
            return Err(ServerError::BlobPending)
        }
        _ => return Err(ServerError::NotFound("blob")),
    }
    if req.length == 0 || req.length > MAX_BLOB_RANGE || req.offset >= req.blob.size {
        return Err(ServerError::Malformed("blob range".into()));
    }
    ctx.storage
        .blob_read(&device.team_id, &req.blob.sha256, req.offset, req.length)
}
