// File: cli/run_summary.h
// Totals of a verification run, kept by the output thread as results stream past (the sink is
// called in order on one thread at a time, so plain counters suffice), and the exit code they
// imply (cli/exit_codes.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "engine/pipeline.h"
#include "engine/verdict.h"

namespace dkimscan::cli {

struct RunSummary {
  std::uint64_t messages = 0;       // every item: read + ingest errors
  std::uint64_t ingest_errors = 0;  // items that could not be read as a message
  std::uint64_t signatures = 0;
  std::uint64_t repaired = 0;       // passes that needed an archive-damage repair
  std::array<std::uint64_t, 7> message_results{};    // by engine::Verdict
  std::array<std::uint64_t, 7> signature_results{};  // by engine::Verdict
  std::string snapshot_error;  // the --record-keys snapshot could not be written (exit code 74)

  void add(const engine::PipelineItem& item) noexcept;
  int exit_code() const noexcept;
};

}  // namespace dkimscan::cli
