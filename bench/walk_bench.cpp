// File: bench/walk_bench.cpp
// The serial reader's ceiling on a folder of message files: how many items per second
// open_inputs() hands on when the workers read the files (defer_reads), so that the reader only
// walks the folder and sniffs each file's first bytes. Every message of a parallel run passes
// through this one thread, so items/s here bounds a run's msgs/s at any number of threads. The
// argument is how many threads may sniff (sniff_ahead.h): with one, the reader sniffs alone.
#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>

#include <string>

#include "ingest/open_inputs.h"
#include "tests/temp_dir.h"

namespace dkimscan::ingest {
namespace {

constexpr int kFiles = 5000;

// A folder of kFiles small messages under the system's temporary folder, made once per run and
// removed at exit.
struct MessageFolder {
  MessageFolder() {
    for (int i = 0; i < kFiles; ++i) {
      const std::string n = std::to_string(i);
      dir.write(std::to_string(100000 + i) + ".eml",
                "From: a@example.com\r\nTo: b@example.org\r\nSubject: " + n + "\r\n\r\nbody " + n + "\r\n");
    }
  }
  testing::TempDir dir;
};

const std::string& message_folder() {
  static const MessageFolder folder;
  return folder.dir.path();
}

void BM_WalkAndSniffFolder(benchmark::State& state) {
  const std::string& folder = message_folder();
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(state.range(0)));
  IngestOptions options;
  options.defer_reads = true;
  std::size_t items = 0;
  for (auto _ : state) {
    auto source = open_inputs({folder}, options);
    InputMessage item;
    std::size_t deferred = 0;
    while (source->next(item)) deferred += item.deferred ? 1 : 0;
    if (deferred != kFiles) state.SkipWithError("not every file was left for a worker to read");
    items += kFiles;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
}
BENCHMARK(BM_WalkAndSniffFolder)->Arg(1)->Arg(2)->Arg(4)->Arg(16)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dkimscan::ingest

BENCHMARK_MAIN();
