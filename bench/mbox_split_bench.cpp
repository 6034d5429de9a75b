// File: bench/mbox_split_bench.cpp
// Throughput of mbox splitting in bytes/s over a generated 256 MiB mbox of mail-like messages
// (2-40 KB, paragraph breaks, quoted ">From " body lines): the raw From_-line scan over memory,
// and the file read three ways (split + message check each): mapped (ReadMode::mmap), in blocks
// (the default for an mbox this large) and through libarchive's stream (as a compressed archive
// would be). And the serial reader's share of reading a 64 MiB mboxrd archive whose messages
// quote nothing (as most real mail), as at -j2 and more (defer_reads): what limits an mbox run on
// many cores. Each benchmark first checks that it finds exactly the generated number of messages.
#include <benchmark/benchmark.h>

#include <string>

#include "ingest/archive_source.h"
#include "ingest/mbox_split.h"
#include "ingest/open_inputs.h"
#include "tests/temp_dir.h"

namespace dkimscan::ingest {
namespace {

constexpr std::size_t kArchiveBytes = 256u << 20;

// The archive in memory and as a file in a temporary folder, which is removed at exit.
struct Archive {
  Archive(std::size_t size, bool quoted_lines);

  testing::TempDir dir;
  std::string bytes;
  std::string path;
  std::size_t messages = 0;
};

std::string make_message(std::uint32_t& seed, std::size_t n, bool quoted_lines = true) {
  std::string m = "From: sender" + std::to_string(n) + "@example.com\nTo: list@example.org\n"
                  "Subject: message " + std::to_string(n) + "\nMessage-ID: <" + std::to_string(n) +
                  "@example.com>\n\n";
  seed = seed * 1103515245u + 12345u;
  const std::size_t size = 2000 + (seed >> 8) % 38000;
  while (m.size() < size) {
    seed = seed * 1103515245u + 12345u;
    const std::uint32_t r = seed >> 16;
    if (r % 11 == 0) m += "\n";                      // paragraph break: an empty line
    if (quoted_lines && r % 97 == 0) m += ">From an mboxo-quoted line\n";
    m += "the quick brown fox jumps over the lazy dog, the message body of a typical mail\n";
  }
  return m;
}

Archive::Archive(std::size_t size, bool quoted_lines) {
  std::uint32_t seed = 7;
  while (bytes.size() < size) {
    bytes += "From sender@example.com Thu Jan  1 00:00:00 2024\n";
    bytes += make_message(seed, messages++, quoted_lines);
    bytes += "\n";
  }
  path = dir.write("bench.mbox", bytes);
}

const Archive& archive() {
  static const Archive a(kArchiveBytes, true);
  return a;
}

const Archive& unquoted_archive() {
  static const Archive a(kArchiveBytes / 4, false);
  return a;
}

std::size_t count_from_lines(std::string_view data) {
  std::size_t n = 1;  // the From_ line at offset 0
  for (std::size_t p = find_from_line(data, 1); p != kNoPos; p = find_from_line(data, p + 1)) ++n;
  return n;
}

std::size_t count(MessageSource& source) {
  InputMessage m;
  std::size_t n = 0;
  while (source.next(m)) n += m.error == IngestError::none ? 1 : 0;
  return n;
}

std::size_t count_messages(const std::string& path, const IngestOptions& options) {
  return count(*open_inputs({path}, options));
}

std::size_t count_through_libarchive(const std::string& path, const IngestOptions& options) {
  return count(*open_archive_path(path, options));
}

void BM_FindFromLines(benchmark::State& state) {
  const Archive& a = archive();
  if (count_from_lines(a.bytes) != a.messages) return state.SkipWithError("wrong message count");
  for (auto _ : state) benchmark::DoNotOptimize(count_from_lines(a.bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.bytes.size()));
  state.counters["messages"] = static_cast<double>(a.messages);
}

template <class Count>
void run_reader(benchmark::State& state, const IngestOptions& options, Count count_in, const Archive& a = archive()) {
  if (count_in(a.path, options) != a.messages) return state.SkipWithError("wrong message count");
  for (auto _ : state) benchmark::DoNotOptimize(count_in(a.path, options));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.bytes.size()));
  state.counters["msgs/s"] = benchmark::Counter(static_cast<double>(state.iterations() * a.messages),
                                                benchmark::Counter::kIsRate);
}

void BM_MappedReader(benchmark::State& state) {
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxo;
  options.read_mode = ReadMode::mmap;
  run_reader(state, options, count_messages);
}

void BM_BlockReader(benchmark::State& state) {
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxo;
  run_reader(state, options, count_messages);
}

void BM_LibarchiveStreamReader(benchmark::State& state) {
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxo;
  run_reader(state, options, count_through_libarchive);
}

// The serial reader of a parallel run: with defer_reads, what is left to it of an mboxrd archive.
void BM_BlockReaderMboxrdDeferred(benchmark::State& state) {
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxrd;
  options.defer_reads = true;
  run_reader(state, options, count_messages, unquoted_archive());
}

BENCHMARK(BM_FindFromLines)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MappedReader)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BlockReader)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LibarchiveStreamReader)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BlockReaderMboxrdDeferred)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dkimscan::ingest

BENCHMARK_MAIN();
