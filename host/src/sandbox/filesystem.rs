//! The host's side of the guest's `wasi:filesystem`: each `FsRequest` is
//! run against the sandbox's descriptor table
//! ([`crate::wasm::wasi::filesystem`]) and answered with an `FsReply`.

use super::Sandbox;
use crate::error::Error;
use crate::wasm::wasi::filesystem::{Reply, serve};
use featherlight_abi::fb;
use featherlight_wire::filesystem::FsRequest;
use flatbuffers::FlatBufferBuilder;

impl Sandbox {
    /// Runs one filesystem operation for the guest and sends the outcome.
    pub(super) fn serve_filesystem(&mut self, request: &FsRequest<'_>) -> Result<(), Error> {
        let reply = serve(&mut self.descriptors, request);
        tracing::trace!(target: "featherlight::wasi", op = ?request.op, error = ?reply.error, "filesystem");
        let mut fbb = FlatBufferBuilder::with_capacity(reply.bytes.len() + 256);
        let encoded = encode(&mut fbb, &reply);
        self.send(fbb, fb::HostBody::FsReply, encoded.as_union_value())
    }

    /// How many descriptors the component holds open beneath its granted
    /// directories (preopens not counted).
    #[doc(hidden)]
    pub fn open_files(&self) -> usize {
        self.descriptors.open_count()
    }
}

fn encode<'a>(fbb: &mut FlatBufferBuilder<'a>, reply: &Reply) -> flatbuffers::WIPOffset<fb::FsReply<'a>> {
    let bytes = (!reply.bytes.is_empty()).then(|| fbb.create_vector(&reply.bytes));
    let entries = (!reply.entries.is_empty()).then(|| {
        let entries: Vec<_> = reply
            .entries
            .iter()
            .map(|(type_, name, hash)| {
                let name = fbb.create_vector(name);
                fb::FsDirEntry::create(fbb, &fb::FsDirEntryArgs { type_: *type_, name: Some(name), hash: *hash })
            })
            .collect();
        fbb.create_vector(&entries)
    });
    let stat = reply.stat.map(|s| {
        let time = |t: Option<(u64, u32)>| t.map(|(seconds, nanos)| fb::FsTime::new(seconds, nanos));
        let (accessed, modified, changed) = (time(s.accessed), time(s.modified), time(s.changed));
        fb::FsStat::create(
            fbb,
            &fb::FsStatArgs {
                type_: s.type_,
                link_count: s.link_count,
                size: s.size,
                accessed: accessed.as_ref(),
                modified: modified.as_ref(),
                changed: changed.as_ref(),
            },
        )
    });
    fb::FsReply::create(
        fbb,
        &fb::FsReplyArgs {
            error: reply.error.map_or(0, |e| e.to_wire()),
            fd: reply.fd,
            bytes,
            end: reply.end,
            value: reply.value,
            value2: reply.value2,
            stat,
            entries,
        },
    )
}
