// File: cli/report_writer.h
// The output formats of `dkimscan verify`, as pipeline sinks. All are documented in the README
// ("Output formats") and stable: fields are only ever added.
//   text:    one line per message, then a summary block.
//   jsonl:   one {"type":"message",...} object per message in input order, then one
//            {"type":"summary",...} object.
//   authres: one line per message, "<source> TAB Authentication-Results: <value>" (RFC 8601).
#pragma once

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli/run_summary.h"
#include "engine/pipeline.h"

namespace dkimscan::cli {

enum class OutputFormat { text, jsonl, authres };

struct RunInfo {  // what the summary reports beyond the counts
  engine::PipelineStats pipeline;
  std::string policy;
  std::string local_policy;    // the rules on top of policy, as flags ("" when none)
  std::string key_stats_json;  // extra JSON members from the key source (may be empty)
  std::string key_stats_text;  // the same for people (may be empty)
};

// The report could not be written (a full disk, a closed pipe): exit code 74, not an internal error.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // "cannot write the report: <errno's text>" (EIO's when stdio left errno unset).
  static OutputError from_errno();
};

class ReportWriter : public engine::ResultSink {
 public:
  // authserv_id names the checker in Authentication-Results (jsonl and authres).
  static std::unique_ptr<ReportWriter> create(OutputFormat format, std::FILE* out, std::string authserv_id);

  // render() (each format's own) makes an item's line on a worker; emit() counts it and writes it.
  void emit(const engine::PipelineItem& item, std::string_view rendered) final;
  virtual void write_summary(const RunInfo& info) = 0;
  const RunSummary& summary() const noexcept { return summary_; }
  // Before write_summary(): the key snapshot failed, which the summary and the exit code say.
  void set_snapshot_error(std::string error) { summary_.snapshot_error = std::move(error); }

 protected:
  explicit ReportWriter(std::FILE* out) : out_(out) {}
  void write(std::string_view bytes);  // throws OutputError

  RunSummary summary_;
  std::FILE* out_;
};

}  // namespace dkimscan::cli
