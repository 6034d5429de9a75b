// File: cli/run_summary.cpp
#include "cli/run_summary.h"

#include "cli/exit_codes.h"

namespace dkimscan::cli {

using engine::Verdict;

void RunSummary::add(const engine::PipelineItem& item) noexcept {
  ++messages;
  if (item.input.error != ingest::IngestError::none) {
    ++ingest_errors;
    return;
  }
  ++message_results[static_cast<std::size_t>(item.result.best)];
  for (const engine::SignatureResult& sig : item.result.signatures) {
    ++signatures;
    ++signature_results[static_cast<std::size_t>(sig.verdict)];
  }
  if (!item.note.empty() && item.result.best == Verdict::pass) ++repaired;  // not a "fail after repair"
}

int RunSummary::exit_code() const noexcept {
  if (!snapshot_error.empty()) return kExitIoError;  // the results stand, but the audit trail does not
  auto count = [&](Verdict v) { return message_results[static_cast<std::size_t>(v)]; };
  if (ingest_errors > 0 || count(Verdict::temperror) > 0) return kExitIncomplete;
  if (count(Verdict::fail) + count(Verdict::permerror) + count(Verdict::neutral) + count(Verdict::policy) > 0) {
    return kExitNotVerified;
  }
  return kExitOk;
}

}  // namespace dkimscan::cli
