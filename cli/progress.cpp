// File: cli/progress.cpp
#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "ingest/archive_source.h"
#include "ingest/file_bytes.h"

namespace dkimscan::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

ProgressSink::ProgressSink(engine::ResultSink& inner, std::optional<std::uint64_t> total_bytes)
    : inner_(inner),
      total_bytes_(total_bytes),
      start_(Clock::now()),
      last_draw_(start_),
      results_on_terminal_(isatty(STDOUT_FILENO) == 1) {}

ProgressSink::~ProgressSink() {
  if (drawn_) std::fputs("\r\033[K", stderr);  // leave the terminal clean for the summary
}

bool ProgressSink::wanted() { return isatty(STDERR_FILENO) == 1; }

std::optional<std::uint64_t> ProgressSink::known_input_size(const std::vector<std::string>& paths) {
  std::uint64_t total = 0;
  for (const std::string& path : paths) {
    std::error_code error;
    if (path == "-" || !fs::is_regular_file(path, error)) return std::nullopt;
    // Compressed input grows as it is read: its file size says nothing about progress. Its
    // first bytes tell, as they tell the reader (a .mbox that is really gzip is gzip).
    std::array<char, 512> head;
    if (ingest::looks_packed(ingest::read_file_head(path, head))) return std::nullopt;
    total += fs::file_size(path, error);
  }
  return total;
}

void ProgressSink::emit(const engine::PipelineItem& item, std::string_view rendered) {
  // Results written to the terminal would land after the progress line's text: erase it first.
  // stdout is line-buffered there, so each result is out before the line is drawn again.
  if (drawn_ && results_on_terminal_) {
    std::fputs("\r\033[K", stderr);
    drawn_ = false;
  }
  inner_.emit(item, rendered);
  ++messages_;
  bytes_ += item.input.bytes.size();
  const auto now = Clock::now();
  if (now - last_draw_ >= std::chrono::milliseconds(250)) {
    last_draw_ = now;
    draw();
  }
}

void ProgressSink::draw() {
  const double seconds = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = seconds > 0 ? messages_ / seconds : 0;
  std::string line = fmt::format("{} messages, {:.1f} MB, {:.0f} messages/s", messages_, bytes_ / 1e6, rate);
  if (total_bytes_ && *total_bytes_ > 0 && bytes_ > 0 && seconds > 0) {
    double fraction = std::min(1.0, static_cast<double>(bytes_) / static_cast<double>(*total_bytes_));
    double eta = seconds / fraction - seconds;
    line += fmt::format(", {:.0f}%, ETA {:.0f} s", fraction * 100, eta);
  }
  fmt::print(stderr, "\r\033[K{}", line);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace dkimscan::cli
