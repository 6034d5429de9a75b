// File: ingest/mbox_source.h
// Two of the mbox readers: over a whole mapped (or read) file, handing on views into it; and
// over a stream (a compressed file, a pipe, a large mbox file not cut in chunks), handing on
// views into the blocks it reads. Both cut with the same MboxSplitter and finish items with
// mbox_item.h, so they give the same messages, and both name the N-th message "name#N". The
// third, for a large mboxo/mboxrd file, lets the workers cut it (mbox_chunks.h).
#pragma once

#include <memory>
#include <string>

#include "ingest/byte_reader.h"
#include "ingest/file_bytes.h"
#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

// bytes must start with a From_ line (looks_like_mbox). The variant is options.mbox_format, or
// detected from the first MiB when that is auto_detect.
std::unique_ptr<MessageSource> open_mbox_view(std::string name, FileBytes bytes, const IngestOptions& options);

// initial: bytes already read from reader (they start with a From_ line). The stream is read in
// blocks of options.stream_block_bytes; LIFETIME: each message's storage keeps its block alive.
// Memory is the blocks that messages still in flight point into, plus the message in progress,
// at most max_message_bytes (beyond which it becomes a too_large item and is skipped).
std::unique_ptr<MessageSource> open_mbox_stream(std::string name, std::string initial,
                                                std::unique_ptr<ByteReader> reader,
                                                const IngestOptions& options);

}  // namespace dkimscan::ingest
