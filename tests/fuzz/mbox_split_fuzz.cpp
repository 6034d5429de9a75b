// File: tests/fuzz/mbox_split_fuzz.cpp
// libFuzzer target for the mbox splitter. For each variant: the mapped reader's messages are in
// order, inside the input and never overlapping; the streaming reader, fed in chunks of a size
// drawn from the input, yields exactly the same items (bytes, sources, offsets, errors); so does
// the chunk reader (mboxo, mboxrd) over a file of the input, its chunks cut front to back and
// back to front, also with a message size limit that the input draws, and also when reading a
// byte range that the input draws fails with EIO (then only the messages around it are lost, the
// rest are the stream's, and those after the error are named by offset); mboxrd
// un-quoting in place gives what a copy gives; un-quoting and the repair variants round-trip
// their quote counts, and a repair limited to the header or the body changes nothing outside it.
// Any violation aborts.
#include <sys/mman.h>  // memfd_create
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/message.h"
#include "ingest/mbox_chunks.h"
#include "ingest/mbox_source.h"
#include "ingest/mbox_split.h"
#include "ingest/repair.h"
#include "tests/ingest/ingest_test_util.h"

namespace {

using namespace dkimscan::ingest;

void require(bool ok) {
  if (!ok) std::abort();
}

// Where the body starts, as the engine splits the message (the boundary repair scopes use).
std::size_t body_start(std::string_view m) {
  dkimscan::engine::ParsedMessage parsed;
  parsed.split(m);
  return static_cast<std::size_t>(parsed.body().data() - m.data());
}

std::vector<InputMessage> drain(MessageSource& source) {
  std::vector<InputMessage> out;
  InputMessage m;
  while (source.next(m)) {
    require(out.size() <= (1u << 20));
    out.push_back(std::move(m));
  }
  return out;
}

// Bytes of the file whose reading fails with EIO, [begin, end); empty: none.
struct BadBytes {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// With read errors, the messages cut must be the stream's, in order, named by offset after the
// first error; a message may be missing only when it reaches into the bad bytes or its From_ line
// lies in a chunk whose reading starts before their end.
void require_only_lost_around(const std::vector<std::vector<InputMessage>>& cut, const std::vector<InputMessage>& stream,
                              std::string_view mbox, const std::string& path, std::size_t chunk_bytes, BadBytes bad) {
  const std::uint64_t clean_from = (bad.end + 3 + chunk_bytes - 1) / chunk_bytes * chunk_bytes;  // 3: look-behind
  const auto end_of = [&](std::size_t i) { return i + 1 < stream.size() ? stream[i + 1].offset : mbox.size(); };
  // Where message i's From_ line starts: the line before its offset (a too-large item's offset may
  // be the From_ line itself, and then this is earlier still, which only widens may_be_lost).
  const auto from_line_of = [&](std::size_t i) -> std::uint64_t {
    const std::size_t at = stream[i].offset < 2 ? std::string_view::npos : mbox.rfind('\n', stream[i].offset - 2);
    return at == std::string_view::npos ? 0 : at + 1;
  };
  const auto may_be_lost = [&](std::size_t i) { return end_of(i) + 8 > bad.begin && from_line_of(i) < clean_from; };
  bool lost = false;
  std::size_t next = 0;
  for (const auto& items : cut) {
    for (const InputMessage& item : items) {
      if (item.count_lost) {
        require(item.error == IngestError::unreadable && item.offset < bad.end && item.source == path);
        lost = true;
        continue;
      }
      while (next < stream.size() && stream[next].offset < item.offset) require(may_be_lost(next++));
      require(next < stream.size());
      const InputMessage& s = stream[next++];
      require(item.offset == s.offset && item.bytes == s.bytes && item.error == s.error &&
              item.error_detail == s.error_detail);
      require(item.source == (lost ? path + "@" + std::to_string(item.offset) : s.source));
    }
  }
  while (next < stream.size()) require(may_be_lost(next++));
}

// The chunk reader over a memory file holding mbox, with chunks of chunk_bytes, against the
// stream reader of the same name and options; each chunk is cut into an arena of its own.
// Without bad bytes the items must be the stream's exactly; with them (format given: detection
// over fewer bytes could pick another), see require_only_lost_around.
void check_chunks(std::string_view mbox, IngestOptions options, std::size_t chunk_bytes, bool backwards,
                  BadBytes bad = {}) {
  const int fd = ::memfd_create("mbox", MFD_CLOEXEC);
  require(fd >= 0 && ::write(fd, mbox.data(), mbox.size()) == static_cast<ssize_t>(mbox.size()));
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const bool failing = bad.end > bad.begin;
  options.stream_block_bytes = chunk_bytes;
  auto source = open_mbox_chunks(path, options, failing ? testing::failing_between(bad.begin, bad.end) : ReadAtFn{});
  if (source == nullptr) {  // a Content-Length variant was detected, or the first byte is bad: the stream reader's
    require(!failing || bad.begin == 0);
    ::close(fd);
    return;
  }
  std::vector<InputMessage> chunks = drain(*source);
  std::vector<std::vector<InputMessage>> cut(chunks.size());
  std::vector<ByteArena> arenas(chunks.size());
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    const std::size_t i = backwards ? chunks.size() - 1 - k : k;
    require(chunks[i].mbox_chunk);
    cut_mbox_chunk(chunks[i], cut[i], arenas[i]);
  }
  options.stream_block_bytes = 3 * chunk_bytes;
  auto stream = drain(*open_mbox_stream(path, "", std::make_unique<testing::StringReader>(std::string(mbox), chunk_bytes), options));
  ::close(fd);
  MboxNamer namer(options.mbox_index_base);
  for (auto& items : cut) {
    for (InputMessage& item : items) namer.name(item);
  }
  if (failing) {
    require_only_lost_around(cut, stream, mbox, path, chunk_bytes, bad);
    return;
  }
  std::size_t n = 0;
  for (const auto& items : cut) {
    for (const InputMessage& item : items) {
      require(n < stream.size());
      const InputMessage& s = stream[n++];
      require(item.bytes == s.bytes && item.source == s.source && item.offset == s.offset && item.error == s.error &&
              item.error_detail == s.error_detail);
    }
  }
  require(n == stream.size());
}

void check_format(std::string_view mbox, MboxFormat format, std::size_t chunk) {
  IngestOptions options;
  options.mbox_format = format;
  options.max_header_line = 200;
  auto owned = std::make_shared<const std::string>(mbox);
  FileBytes file;
  file.kind = FileBytes::Kind::bytes;
  file.bytes = *owned;
  file.storage = owned;
  auto view = drain(*open_mbox_view("m", file, options));
  // Blocks a little larger than the chunks: messages straddle blocks and outgrow them.
  options.stream_block_bytes = 4 * chunk;
  auto stream = drain(*open_mbox_stream("m", "", std::make_unique<testing::StringReader>(std::string(mbox), chunk), options));
  require(view.size() == stream.size());
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < view.size(); ++i) {
    const InputMessage& v = view[i];
    require(v.bytes == stream[i].bytes && v.source == stream[i].source && v.offset == stream[i].offset &&
            v.error == stream[i].error);
    require(v.offset >= last && v.offset <= mbox.size());
    const char* base = owned->data();
    const bool in_archive = v.bytes.data() >= base && v.bytes.data() <= base + owned->size();
    // Zero copy unless mboxrd un-quoting rewrote it: a view into the archive at its offset.
    require(in_archive || v.container == Container::mboxrd || v.bytes.empty());
    if (in_archive) require(v.bytes.data() == base + v.offset);
    last = v.offset + (in_archive ? v.bytes.size() : 0);
    for (const RepairVariant& r : repair_variants(v.bytes, v.container, {}, 4)) {
      require(r.bytes.size() != v.bytes.size());
    }
    // A repair limited to the header keeps the body byte for byte, and one limited to the body
    // keeps the header.
    const std::string_view body = v.bytes.substr(body_start(v.bytes));
    for (const RepairVariant& r : repair_variants(v.bytes, v.container, RepairScope{true, false}, 4)) {
      require(std::string_view(r.bytes).ends_with(body));
    }
    const std::string_view header = v.bytes.substr(0, v.bytes.size() - body.size());
    for (const RepairVariant& r : repair_variants(v.bytes, v.container, RepairScope{false, true}, 4)) {
      require(std::string_view(r.bytes).starts_with(header));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 17;
  // The archive always starts with a From_ line, as the sniffer guarantees.
  std::string mbox = "From x\n";
  mbox.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (MboxFormat f : {MboxFormat::auto_detect, MboxFormat::mboxo, MboxFormat::mboxrd, MboxFormat::mboxcl,
                       MboxFormat::mboxcl2}) {
    check_format(mbox, f, chunk);
  }
  for (MboxFormat f : {MboxFormat::auto_detect, MboxFormat::mboxo, MboxFormat::mboxrd}) {
    IngestOptions options;
    options.mbox_format = f;
    options.max_header_line = 200;
    check_chunks(mbox, options, chunk, false);
    check_chunks(mbox, options, chunk, true);
    options.max_message_bytes = 20 + data[0] % 64;  // messages too large, and From_ lines too long
    check_chunks(mbox, options, chunk, data[0] % 2 == 0);
    if (f != MboxFormat::auto_detect) {
      const std::uint64_t bad_begin = mbox.size() * data[size - 1] / 256;
      check_chunks(mbox, options, chunk, data[0] % 3 == 0, {bad_begin, bad_begin + 1 + data[0] % 29});
    }
  }
  std::string unquoted;
  unquote_mboxrd(mbox, unquoted);
  require(unquoted.size() <= mbox.size());
  std::string in_place = mbox;  // the stream reader un-quotes in its block
  in_place.resize(unquote_mboxrd(in_place, in_place.data()));
  require(in_place == unquoted);
  std::string stay = mbox;  // the chunk reader's: the longest stretch stays
  require(unquote_mboxrd_in_place(stay.data(), stay.size()) == unquoted);
  require(has_quoted_from_line(mbox) == (unquoted.size() != mbox.size()));
  return 0;
}
