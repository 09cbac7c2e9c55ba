//! Fetching a received file for whoever asked (a media link, the send API), for every front
//! door: the plugin says where the file is (`media.locate-media`, in the media lane), the host
//! fetches it within the instance's egress and streams it on with a bounded buffer — never
//! holding a whole file, so thirty-two 100 MB downloads cost a few megabytes, not gigabytes —
//! checking it against the provider's size and SHA-256 as it goes.
//!
//! Files up to 1 MiB are checked before the answer starts (a wrong one is a clean 502). A larger
//! one has already answered 200 with the provider's `Content-Length` when it turns out wrong,
//! so its last chunk is held back until the whole file checked out: a client gets either the
//! complete, verified file or a transfer that ends short of its length.

pub mod check;

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use tokio::sync::mpsc;

use self::check::{CHUNK_BYTES, Check, accepted, broken};
use crate::bindings::types::ChannelError;
use crate::calls::{Calls, Lane};
use crate::channel_host::HostError;
use crate::runtime::PluginError;

/// Chunks buffered ahead of a slow client.
const CHUNKS_AHEAD: usize = 4;
/// Files up to this size (most photos and voice notes) are checked before the answer starts.
const WHOLE_UP_TO: u64 = 1 << 20;

/// A file being streamed.
pub struct MediaStream {
    pub mime_type: String,
    /// The size the provider reported (the stream ends short of it if the file is wrong).
    pub size: Option<u64>,
    /// The SHA-256 the provider reported, which the file is checked against.
    pub sha256: String,
    /// The file's chunks, a few ahead of the reader; an error (the file failed its check, or
    /// the transfer broke) ends the stream unfinished.
    pub chunks: mpsc::Receiver<Result<Bytes, ChannelError>>,
}

/// Why a file could not be streamed.
#[derive(Debug)]
pub enum FetchFailure {
    /// The host could not make the call (unknown instance, no capacity, the plugin failed).
    Host(HostError),
    /// The plugin or the provider refused, or the transfer failed before it began.
    Channel(ChannelError),
}

/// Locates `media_id` of `instance` and starts streaming it. Returns once the provider
/// answered the file's request.
pub async fn stream(
    calls: &Calls,
    instance: &str,
    media_id: &str,
    arrived: Instant,
) -> Result<MediaStream, FetchFailure> {
    let (id, media) = (instance.to_owned(), media_id.to_owned());
    let location = match calls.run(Lane::Media, arrived, move |host| host.locate_media(&id, &media)).await {
        Ok(Ok(location)) => location,
        Ok(Err(refused)) => return Err(FetchFailure::Channel(refused)),
        Err(e) => return Err(FetchFailure::Host(e)),
    };
    let permit = calls.stream_permit(arrived).await.map_err(FetchFailure::Host)?;
    let (head_tx, head_rx) = tokio::sync::oneshot::channel();
    let (chunks_tx, chunks) = mpsc::channel(CHUNKS_AHEAD);
    let stream = MediaStream {
        mime_type: location.mime_type.clone(),
        size: location.size,
        sha256: location.sha256.clone(),
        chunks,
    };
    let host = Arc::clone(calls.host());
    let id = instance.to_owned();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _span = span.enter();
        let body = match host.open_media(&id, &location) {
            Ok(Ok(opened)) => accepted(opened).map_err(FetchFailure::Channel),
            Ok(Err(refused)) => Err(FetchFailure::Channel(refused)),
            Err(e) => Err(FetchFailure::Host(e)),
        };
        match body {
            Ok(body) => {
                if head_tx.send(Ok(())).is_ok() {
                    pump(body, Check::new(&location), &chunks_tx);
                }
            }
            Err(failure) => drop(head_tx.send(Err(failure))),
        }
    });
    match head_rx.await {
        Ok(Ok(())) if stream.size.is_some_and(|size| size <= WHOLE_UP_TO) => whole(stream).await,
        Ok(Ok(())) => Ok(stream),
        Ok(Err(failure)) => Err(failure),
        Err(_) => Err(FetchFailure::Host(HostError::Plugin(PluginError::Host(
            "the media transfer stopped before it began".into(),
        )))),
    }
}

/// A small file read whole before answering, so that one failing its check is a clean
/// error rather than a transfer cut short.
async fn whole(mut stream: MediaStream) -> Result<MediaStream, FetchFailure> {
    let mut bytes = Vec::with_capacity(stream.size.unwrap_or(0) as usize);
    while let Some(chunk) = stream.chunks.recv().await {
        bytes.extend_from_slice(&chunk.map_err(FetchFailure::Channel)?);
    }
    let (tx, chunks) = mpsc::channel(1);
    tx.try_send(Ok(Bytes::from(bytes))).expect("room for the one chunk");
    Ok(MediaStream { chunks, ..stream })
}

/// Sends the file's chunks down `chunks`, the last one only once the whole file checked out.
fn pump(mut body: Box<dyn Read + Send>, mut check: Check, chunks: &mpsc::Sender<Result<Bytes, ChannelError>>) {
    let mut held: Option<Bytes> = None;
    loop {
        let mut chunk = vec![0u8; CHUNK_BYTES];
        let n = match body.read(&mut chunk) {
            Ok(n) => n,
            Err(e) => return fail(chunks, &broken(&e)),
        };
        if n == 0 {
            break;
        }
        chunk.truncate(n);
        if let Err(wrong) = check.update(&chunk) {
            return fail(chunks, &wrong);
        }
        if let Some(previous) = held.replace(Bytes::from(chunk))
            && chunks.blocking_send(Ok(previous)).is_err()
        {
            // The client went away: stop reading the provider.
            return;
        }
    }
    match check.finish() {
        Ok(_) => {
            if let Some(last) = held {
                let _ = chunks.blocking_send(Ok(last));
            }
        }
        Err(wrong) => fail(chunks, &wrong),
    }
}

fn fail(chunks: &mpsc::Sender<Result<Bytes, ChannelError>>, why: &ChannelError) {
    tracing::warn!(error = ?why, "a media transfer was cut short");
    let _ = chunks.blocking_send(Err(why.clone()));
}

#[cfg(test)]
mod tests {
    use super::check::tests::location;
    use super::*;
    use crate::bindings::media::MediaLocation;

    /// Everything a pump sends for `body` checked against `location`.
    fn pumped(body: &[u8], location: &MediaLocation) -> Vec<Result<Bytes, ChannelError>> {
        let (tx, mut rx) = mpsc::channel(1024);
        pump(Box::new(std::io::Cursor::new(body.to_vec())), Check::new(location), &tx);
        drop(tx);
        let mut sent = Vec::new();
        while let Ok(item) = rx.try_recv() {
            sent.push(item);
        }
        sent
    }

    #[test]
    fn a_good_file_streams_whole_in_chunks() {
        let file: Vec<u8> = (0..(3 * CHUNK_BYTES + 10)).map(|i| (i % 251) as u8).collect();
        let sent = pumped(&file, &location(&file, Some(file.len() as u64)));
        assert_eq!(sent.len(), 4);
        let joined: Vec<u8> = sent.into_iter().flat_map(|chunk| chunk.unwrap().to_vec()).collect();
        assert_eq!(joined, file);
    }

    #[test]
    fn a_wrong_file_never_delivers_its_last_chunk() {
        let file: Vec<u8> = vec![7; 2 * CHUNK_BYTES + 1];
        for wrong in [
            location(b"another file", Some(file.len() as u64)),
            location(&file, Some(file.len() as u64 + 1)),
            location(&file, Some(10)),
        ] {
            let sent = pumped(&file, &wrong);
            let delivered: usize = sent.iter().filter_map(|c| c.as_ref().ok()).map(Bytes::len).sum();
            assert!(delivered < file.len(), "{delivered} of {}", file.len());
            assert!(sent.last().unwrap().is_err(), "the stream ends in an error");
        }
    }
}
