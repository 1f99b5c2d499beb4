//! Opening a team's attachment on the server: the blob is read, opened under the key its
//! device sent for the team, and its plaintext checked against the size and SHA-256 the
//! incident's signed entry states. Used by the Incident page (photos) and the PDF report
//! (thumbnails).

use vigil_core::incident::model::AttachmentRef;
use zeroize::Zeroizing;

use super::view::TeamView;
use crate::error::ServerError;
use crate::Storage;

/// Attachments larger than this (sealed) are not opened by the console.
pub const MAX_PHOTO_BYTES: u64 = 32 * 1024 * 1024;

pub enum Opened {
    /// The plaintext, which is the file the signed entry names.
    File(AttachmentRef, Zeroizing<Vec<u8>>),
    /// Larger than [`MAX_PHOTO_BYTES`].
    TooLarge,
    /// It does not open, or is not the file the signed entry names.
    Refused,
}

/// Opens attachment `id` of the team; NotFound when no incident names it or its file is
/// not (completely) uploaded.
pub fn open(
    storage: &dyn Storage,
    team_id: &str,
    view: &TeamView,
    id: &str,
) -> Result<Opened, ServerError> {
    let signed: AttachmentRef = view
        .incidents
        .iter()
        .flat_map(|i| i.report.attachments.iter())
        .find(|a| a.id == id)
        .cloned()
        .ok_or(ServerError::NotFound("attachment"))?;
    let blob = view
        .attachments
        .get(id)
        .ok_or(ServerError::NotFound("attachment"))?;
    let state = storage
        .blob(team_id, &blob.blob.sha256)?
        .filter(|b| b.complete)
        .ok_or(ServerError::NotFound("attachment file (not uploaded yet)"))?;
    if state.size > MAX_PHOTO_BYTES {
        return Ok(Opened::TooLarge);
    }
    let mut sealed = Vec::with_capacity(state.size as usize);
    while (sealed.len() as u64) < state.size {
        let part = storage.blob_read(
            team_id,
            &blob.blob.sha256,
            sealed.len() as u64,
            (1u64 << 20).min(state.size - sealed.len() as u64),
        )?;
        if part.is_empty() {
            return Err(ServerError::Storage("blob shorter than recorded".into()));
        }
        sealed.extend_from_slice(&part);
    }
    let key: Zeroizing<[u8; 32]> = Zeroizing::new(
        hex::decode(&blob.file_key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or(ServerError::Storage("malformed attachment key".into()))?,
    );
    let mut plain = Zeroizing::new(Vec::with_capacity(signed.size as usize));
    if vigil_core::incident::attachment::open_reader(
        &mut sealed.as_slice(),
        &signed,
        &key,
        &mut *plain,
    )
    .is_err()
    {
        return Ok(Opened::Refused);
    }
    Ok(Opened::File(signed, plain))
}
