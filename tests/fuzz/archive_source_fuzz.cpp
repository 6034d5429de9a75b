// File: tests/fuzz/archive_source_fuzz.cpp
// libFuzzer target for the archive reader (ingest/archive_source.cpp): the input is wrapped as the
// first byte says, in a tar entry, a gzip stream, both or neither, and read through libarchive.
// Checked: reading ends, and an item without an error has bytes. When the payload is not itself an
// archive: the whole archive reports nothing truncated, and the archive cut short gives exactly the
// whole one's items, in order, up to the one the damage is in (the last), which carries the error.
// Any violation aborts.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ingest/archive_source.h"

namespace {

using namespace dkimscan::ingest;

void require(bool ok) {
  if (!ok) std::abort();
}

// One ustar entry "m/1" holding data, then the two zero blocks that end an archive.
std::string tar_of(const std::string& data) {
  std::string header(512, '\0');
  auto put = [&](std::size_t at, const std::string& text) { std::memcpy(&header[at], text.data(), text.size()); };
  put(0, "m/1");
  put(100, "0000644");
  put(108, "0000000");
  put(116, "0000000");
  char size[12];
  std::snprintf(size, sizeof size, "%011llo", static_cast<unsigned long long>(data.size()));
  put(124, size);
  put(136, "00000000000");
  header[156] = '0';
  put(257, std::string("ustar\0" "00", 8));
  std::memset(&header[148], ' ', 8);  // the checksum counts its own field as spaces
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);
  std::memcpy(&header[148], checksum, 7);
  std::string out = header + data;
  out.append((512 - data.size() % 512) % 512, '\0');
  return out.append(1024, '\0');
}

std::string gzip_of(const std::string& data) {
  z_stream z{};
  require(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  require(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::vector<InputMessage> read_archive(const std::string& archive) {
  auto owned = std::make_shared<const std::string>(archive);
  FileBytes file;
  file.kind = FileBytes::Kind::bytes;
  file.bytes = *owned;
  file.storage = owned;
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxo;  // detection would see less of a cut archive
  options.max_header_line = 200;
  options.stream_block_bytes = 4096;
  auto source = open_archive_memory("a", std::move(file), options);
  std::vector<InputMessage> items;
  InputMessage m;
  while (source->next(m)) {
    require(items.size() <= (1u << 20));
    require(m.error != IngestError::none || !m.bytes.empty());
    items.push_back(std::move(m));
  }
  return items;
}

bool same(const InputMessage& a, const InputMessage& b) {
  return a.bytes == b.bytes && a.source == b.source && a.offset == b.offset && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string archive = payload;
  if (mode & 1) archive = tar_of(archive);
  if (mode & 2) archive = gzip_of(archive);
  const std::vector<InputMessage> whole = read_archive(archive);
  // The bytes as given, or a payload that is itself an archive (and may be a broken one): anything
  // goes, as long as reading ends.
  if ((mode & 3) == 0 || looks_packed(payload)) return 0;
  for (const InputMessage& item : whole) require(item.error != IngestError::truncated);

  const std::size_t keep = archive.size() * (1 + (mode >> 2)) / 65;  // 1/65 .. 64/65 of it
  // Shorter than a tar header or a gzip header and some data, the cut is no longer recognized as
  // what it was cut from: libarchive reads it as plain bytes.
  if (keep < ((mode & 2) ? 64u : 512u)) return 0;
  const std::vector<InputMessage> cut = read_archive(archive.substr(0, keep));
  if (cut.empty()) return 0;  // a tar cut inside its first header can read as no archive at all
  require(cut.size() <= whole.size() + 1);
  for (std::size_t i = 0; i + 1 < cut.size(); ++i) require(same(cut[i], whole[i]));
  const IngestError last = cut.back().error;
  require(last == IngestError::truncated || last == IngestError::unreadable ||
          (cut.size() <= whole.size() && same(cut.back(), whole[cut.size() - 1])));
  return 0;
}
