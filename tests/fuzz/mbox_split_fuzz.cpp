// File: tests/fuzz/mbox_split_fuzz.cpp
// libFuzzer target for the mbox splitter. For each variant: the mapped reader's messages are in
// order, inside the input and never overlapping; the streaming reader, fed in chunks of a size
// drawn from the input, yields exactly the same items (bytes, sources, offsets, errors); mboxrd
// un-quoting in place gives what a copy gives; un-quoting and the repair variants round-trip
// their quote counts, and a repair limited to the header or the body changes nothing outside it.
// Any violation aborts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/message.h"
#include "ingest/mbox_source.h"
#include "ingest/mbox_split.h"
#include "ingest/repair.h"

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

class ChunkReader final : public ByteReader {
 public:
  ChunkReader(std::string_view data, std::size_t chunk) : data_(data), chunk_(chunk) {}
  long read(char* buffer, std::size_t n) override {
    n = std::min({n, chunk_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return static_cast<long>(n);
  }

 private:
  std::string_view data_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

std::vector<InputMessage> drain(MessageSource& source) {
  std::vector<InputMessage> out;
  InputMessage m;
  while (source.next(m)) {
    require(out.size() <= (1u << 20));
    out.push_back(std::move(m));
  }
  return out;
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
  auto stream = drain(*open_mbox_stream("m", "", std::make_unique<ChunkReader>(mbox, chunk), options));
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
  std::string unquoted;
  unquote_mboxrd(mbox, unquoted);
  require(unquoted.size() <= mbox.size());
  std::string in_place = mbox;  // the stream reader un-quotes in its block
  in_place.resize(unquote_mboxrd(in_place, in_place.data()));
  require(in_place == unquoted);
  require(has_quoted_from_line(mbox) == (unquoted.size() != mbox.size()));
  return 0;
}
