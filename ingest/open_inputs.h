// File: ingest/open_inputs.h
// The entry point of ingest: the paths a user names (files, folders, Maildirs, mbox archives,
// compressed and packed archives, "-" for standard input) become one MessageSource that yields
// every message in a stable order, errors included as items. The formats are listed in README.md, "Input formats".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ingest/byte_arena.h"
#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

// Never throws for a bad path: an unreadable root becomes an error item like any other.
// The returned source counts what it hands on (stats()), but for the messages of mbox chunks
// (IngestOptions::cut_mbox_chunks), which it does not cut itself.
std::unique_ptr<MessageSource> open_inputs(const std::vector<std::string>& paths,
                                           const IngestOptions& options);

// Reads a deferred item (InputMessage::deferred) in place: its bytes, or an error. Files below
// options.large_file_bytes and un-quoted mboxrd messages are put in arena (LIFETIME: the bytes then
// live until the arena's reset(), and storage is empty); larger files get a buffer of their own.
// Thread-safe for distinct arenas: the pipeline's workers call it for their own batches.
void load_deferred(InputMessage& item, const IngestOptions& options, ByteArena& arena);

}  // namespace dkimscan::ingest
