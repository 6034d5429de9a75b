// File: ingest/mbox_item.h
// What every mbox reader does with a message once it is cut: its name ("path#N"), its container,
// the size limit, mboxrd un-quoting and the message check. The readers (mbox_source.h: a mapping
// or a stream; mbox_chunks.h: chunks cut by workers) share these, so that the report does not
// depend on how the archive was read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ingest/ingest_options.h"
#include "ingest/input_message.h"
#include "ingest/mbox_split.h"

namespace dkimscan::ingest {

// The variant options ask for, or the one detected from prefix (the archive's first bytes).
MboxFormat mbox_format_for(const IngestOptions& options, std::string_view prefix, bool eof);

Container container_of(MboxFormat format) noexcept;

// "name#number", in one allocation.
std::string mbox_item_name(const std::string& name, std::uint64_t number);

// too_large's detail for a message beyond options.max_message_bytes.
std::string mbox_too_large_detail(const IngestOptions& options);

// A reader that has not found where the message whose From_ line starts at window[at] ends yet:
// is it beyond options.max_message_bytes already, whatever follows? Its text (after the From_
// line) is then longer than the limit. A From_ line without its line end within the limit
// counts as too large too. The one rule for every reader that reads in pieces.
bool certainly_too_large(std::string_view window, std::size_t at, const IngestOptions& options) noexcept;
// The window size from which certainly_too_large() says yes, given what the window shows now
// (a From_ line end that comes into view moves it): how far a reader need read to decide.
std::size_t too_large_known_at(std::string_view window, std::size_t at, const IngestOptions& options) noexcept;

// Where a too-large message is reported: after its From_ line, or at the From_ line when that
// line is itself longer than the limit (or its end is not in view yet, which certainly_too_large()
// only says once the limit is passed).
std::size_t too_large_offset(std::string_view window, std::size_t at, const IngestOptions& options) noexcept;

// Fills out with the message [cut.begin, cut.end) of window, whose From_ line starts at window[at],
// sharing storage (zero copy). offset: where the message starts in its file. mboxrd un-quoting rewrites it: in place when block is
// the window's writable memory (a block of the stream reader, a chunk's buffer: each holds no
// message beyond max_message_bytes), otherwise into a copy. With options.defer_reads an mboxrd
// message is left to the worker that loads it (load_deferred()): looking for quoted lines is a
// pass over every byte, and the serial reader, which bounds a run on many cores, then makes only
// the From_-line pass.
void fill_mbox_item(InputMessage& out, std::string source, std::uint64_t offset, std::string_view window,
                    std::size_t at, const MboxCut& cut, const std::shared_ptr<const void>& storage, char* block,
                    const IngestOptions& options, MboxFormat format);

}  // namespace dkimscan::ingest
