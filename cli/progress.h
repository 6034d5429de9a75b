// File: cli/progress.h
// A progress line on stderr for long runs on a terminal: messages, MB, messages/s and, when the
// input size is known (plain files), an ETA. It wraps the real sink and redraws at most four
// times a second; off when stderr is not a terminal or with --quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline.h"

namespace dkimscan::cli {

class ProgressSink final : public engine::ResultSink {
 public:
  ProgressSink(engine::ResultSink& inner, std::optional<std::uint64_t> total_bytes);
  ~ProgressSink() override;

  void render(const engine::PipelineItem& item, std::string& out) const override { inner_.render(item, out); }
  void emit(const engine::PipelineItem& item, std::string_view rendered) override;

  // True when a progress line makes sense: stderr is a terminal.
  static bool wanted();
  // The total size of the inputs when every path is a plain, uncompressed file.
  static std::optional<std::uint64_t> known_input_size(const std::vector<std::string>& paths);

 private:
  void draw();

  engine::ResultSink& inner_;
  std::optional<std::uint64_t> total_bytes_;
  std::uint64_t messages_ = 0;
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool results_on_terminal_;  // stdout is a terminal too: results and the line share it
  bool drawn_ = false;        // the line is on the terminal now
};

}  // namespace dkimscan::cli
