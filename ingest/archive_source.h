// File: ingest/archive_source.h
// Compressed files (.gz .bz2 .xz .zst) and packed archives (.tar, .tar.*, .zip) read in one
// streaming pass with libarchive: nothing is unpacked to disk, and at most one message (or a
// bounded mbox window) is held at a time. Entries are told apart by their first bytes, even in a
// packed Maildir: the on-disk rule that a file in a Maildir's cur/ or new/ is one message, unsniffed
// (open_inputs.cpp), does not apply to them. A compressed entry is opened once more.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ingest/file_bytes.h"
#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

// True when bytes start with the magic of gzip, bzip2, xz, zstd, zip or (at offset 257) tar.
bool looks_packed(std::string_view bytes) noexcept;
// True when bytes start with the magic of a compression alone: gzip, bzip2, xz or zstd.
bool looks_compressed(std::string_view bytes) noexcept;

// One message stored compressed, as dovecot's zlib plugin stores Maildir files (gzip, bzip2, xz or
// zstd): fills out with the message unpacked (at most max_message_bytes), source name, or with
// the error item that says why not. What the stream unpacks to is one message whatever it looks
// like (a Maildir file is one message by definition), so a .tar.gz here is not opened as a tar.
void unpack_message(std::string name, FileBytes bytes, const IngestOptions& options, InputMessage& out);

// name is the path; an entry's source is "name!entry/path" ("name" for a single compressed file),
// then "#N" for the N-th message of an mbox. entries says what an entry holds (StdinFormat's
// words: auto_detect sniffs each entry).
std::unique_ptr<MessageSource> open_archive_memory(std::string name, FileBytes bytes,
                                                   const IngestOptions& options);
// Streams the file at path (a pipe, a large compressed file or archive, or an mbox too large to buffer).
std::unique_ptr<MessageSource> open_archive_path(std::string path, const IngestOptions& options);
// fd is read to its end (not closed: the caller owns it), any compression or none at all.
std::unique_ptr<MessageSource> open_archive_fd(std::string name, int fd, const IngestOptions& options,
                                               StdinFormat entries);

}  // namespace dkimscan::ingest
