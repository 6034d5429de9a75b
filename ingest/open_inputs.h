// File: ingest/open_inputs.h
// The entry point of ingest: the paths a user names (files, folders, Maildirs, mbox archives,
// compressed and packed archives, "-" for standard input) become one MessageSource that yields
// every message in a stable order, errors included as items. The formats are listed in README.md, "Input formats".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

// Never throws for a bad path: an unreadable root becomes an error item like any other.
// The returned source counts what it hands on (stats()).
std::unique_ptr<MessageSource> open_inputs(const std::vector<std::string>& paths,
                                           const IngestOptions& options);

// Reads a deferred item (InputMessage::deferred) in place: the bytes and storage, or an error.
// Thread-safe: the pipeline's workers call it for their own items.
void load_deferred(InputMessage& item, const IngestOptions& options);

}  // namespace dkimscan::ingest
