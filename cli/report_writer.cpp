// File: cli/report_writer.cpp
// The text, JSON Lines and Authentication-Results renderings of verification results. render()
// runs on the pipeline's workers and appends each line to its batch's buffer (kept from round to
// round: no allocation once it has held the longest batch); emit(), on the one thread that writes,
// only counts the item and writes its line.
#include "cli/report_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "cli/json_text.h"
#include "engine/authentication_results.h"
#include "engine/algorithms.h"
#include "engine/verdict.h"

namespace dkimscan::cli {
namespace {

using engine::PipelineItem;
using engine::SignatureResult;
using engine::Verdict;
namespace eng = dkimscan::engine;

std::string_view defect_code(eng::MessageDefect defect) noexcept {
  switch (defect) {
    case eng::MessageDefect::none: return "";
    case eng::MessageDefect::empty: return "empty";
    case eng::MessageDefect::no_header_fields: return "no_header_fields";
    case eng::MessageDefect::header_not_terminated: return "header_not_terminated";
    case eng::MessageDefect::header_line_without_colon: return "header_line_without_colon";
  }
  return "";
}

// A control byte from a file name or a header value (a line end, a terminal escape) would break the
// line apart or drive the reader's terminal: from `from` on, each becomes '?'.
void keep_on_one_line(std::string& line, std::size_t from) noexcept {
  for (std::size_t i = from; i < line.size(); ++i) {
    const auto byte = static_cast<unsigned char>(line[i]);
    if (byte < 0x20 || byte == 0x7f) line[i] = '?';
  }
}

constexpr std::array<Verdict, 7> kVerdictOrder = {Verdict::pass, Verdict::fail, Verdict::policy, Verdict::neutral,
                                                  Verdict::temperror, Verdict::permerror, Verdict::none};

class TextWriter final : public ReportWriter {
 public:
  using ReportWriter::ReportWriter;

  void render(const PipelineItem& item, std::string& line) const override {
    auto out = std::back_inserter(line);
    const std::size_t start = line.size();
    if (item.input.error != ingest::IngestError::none) {
      fmt::format_to(out, "{:<9} {}  error: {} ({})", "error", item.input.source,
                     ingest::ingest_error_code(item.input.error), item.input.error_detail);
      keep_on_one_line(line, start);
      line.push_back('\n');
      return;
    }
    fmt::format_to(out, "{:<9} {}", eng::verdict_name(item.result.best), item.input.source);
    if (item.result.signatures.empty()) fmt::format_to(out, "  no DKIM-Signature");
    for (const SignatureResult& sig : item.result.signatures) {
      fmt::format_to(out, "  [d={} s={} {}: {}", sig.domain, sig.selector, sig.algorithm, eng::verdict_name(sig.verdict));
      if (sig.reason != eng::Reason::ok) {
        fmt::format_to(out, " ({}: {}{}{})", eng::reason_code(sig.reason), eng::reason_text(sig.reason),
                       sig.key_detail.empty() ? "" : "; ", sig.key_detail);
      }
      if (sig.key_testing) fmt::format_to(out, " key t=y");
      if (sig.unsigned_body_bytes > 0) fmt::format_to(out, " {} body bytes after l= unsigned", sig.unsigned_body_bytes);
      line.push_back(']');
    }
    if (!item.note.empty()) fmt::format_to(out, "  {}", item.note);
    if (item.result.defect != eng::MessageDefect::none) fmt::format_to(out, "  defect: {}", defect_code(item.result.defect));
    keep_on_one_line(line, start);
    line.push_back('\n');
  }

  void write_summary(const RunInfo& info) override {
    fmt::memory_buffer text;
    auto out = std::back_inserter(text);
    const RunSummary& s = summary_;
    fmt::format_to(out, "\n{} messages ({} verified, {} unreadable), {} signatures, policy {}\n", s.messages,
                   s.messages - s.ingest_errors, s.ingest_errors, s.signatures, info.policy);
    if (!info.local_policy.empty()) fmt::format_to(out, "local policy: {}\n", info.local_policy);
    fmt::format_to(out, "messages:  ");
    for (Verdict v : kVerdictOrder) fmt::format_to(out, " {} {}", eng::verdict_name(v), s.message_results[static_cast<std::size_t>(v)]);
    fmt::format_to(out, "\nsignatures:");
    for (Verdict v : kVerdictOrder) fmt::format_to(out, " {} {}", eng::verdict_name(v), s.signature_results[static_cast<std::size_t>(v)]);
    if (s.repaired > 0) fmt::format_to(out, "\nrepaired:   {} passed only after an archive-damage repair", s.repaired);
    double seconds = info.pipeline.seconds;
    fmt::format_to(out, "\ntime:       {:.3f} s, {:.0f} messages/s, {:.1f} MB/s\n", seconds,
                   seconds > 0 ? s.messages / seconds : 0.0, seconds > 0 ? info.pipeline.bytes / seconds / 1e6 : 0.0);
    const engine::PipelineStats& p = info.pipeline;
    fmt::format_to(out, "stages:     read {:.3f} s, verify {:.3f} s (over {} threads), render {:.3f} s, output {:.3f} s\n",
                   p.read_seconds, p.verify_seconds, p.threads, p.render_seconds, p.emit_seconds);
    if (!info.key_stats_text.empty()) fmt::format_to(out, "keys:       {}\n", info.key_stats_text);
    write({text.data(), text.size()});
  }
};

// An item's Authentication-Results value: its DKIM results (with the repair note, if any, as a
// comment), or "none" when it could not be read as a message.
void append_item_authres(std::string& out, std::string_view authserv_id, const PipelineItem& item) {
  if (item.input.error != ingest::IngestError::none) {
    const std::string why =
        fmt::format("unreadable, {}: {}", ingest::ingest_error_code(item.input.error), item.input.error_detail);
    eng::append_authentication_results_unreadable(out, authserv_id, why);
    return;
  }
  eng::append_authentication_results(out, authserv_id, item.result, item.note);
}

class JsonLinesWriter final : public ReportWriter {
 public:
  JsonLinesWriter(std::FILE* out, std::string authserv_id) : ReportWriter(out), authserv_id_(std::move(authserv_id)) {}

  void render(const PipelineItem& item, std::string& line) const override {
    auto out = std::back_inserter(line);
    fmt::format_to(out, "{{\"type\":\"message\",\"seq\":{},\"source\":", item.sequence);
    append_json_string(line, item.input.source);
    fmt::format_to(out, ",\"offset\":{},\"message_id\":", item.input.offset);
    append_json_string(line, item.result.message_id);
    fmt::format_to(out, ",\"from_domain\":");
    append_json_string(line, item.result.from_domain);
    const bool unreadable = item.input.error != ingest::IngestError::none;
    fmt::format_to(out, ",\"result\":\"{}\",\"reason\":\"{}\",\"policy\":\"{}\"", eng::verdict_name(item.result.best),
                   unreadable ? "unreadable" : eng::reason_code(item.result.best_reason),
                   eng::policy_name(item.result.policy));
    if (unreadable) {
      fmt::format_to(out, ",\"error\":{{\"code\":\"{}\",\"detail\":", ingest::ingest_error_code(item.input.error));
      append_json_string(line, item.input.error_detail);
      line.push_back('}');
    }
    if (item.result.defect != eng::MessageDefect::none) fmt::format_to(out, ",\"defect\":\"{}\"", defect_code(item.result.defect));
    if (!item.note.empty()) {
      fmt::format_to(out, ",\"note\":");
      append_json_string(line, item.note);
    }
    fmt::format_to(out, ",\"signatures\":[");
    for (std::size_t i = 0; i < item.result.signatures.size(); ++i) append_signature(line, i, item.result.signatures[i]);
    fmt::format_to(out, "],\"authentication_results\":");
    // The value is made first, then escaped into the line: a scratch string per thread, kept
    // (render runs on many threads at once).
    thread_local std::string authres;
    authres.clear();
    append_item_authres(authres, authserv_id_, item);
    append_json_string(line, authres);
    fmt::format_to(out, "}}\n");
  }

  void write_summary(const RunInfo& info) override {
    std::string text;
    auto out = std::back_inserter(text);
    const RunSummary& s = summary_;
    fmt::format_to(out, "{{\"type\":\"summary\",\"messages\":{},\"verified\":{},\"unreadable\":{},\"signatures\":{},"
                        "\"repaired\":{},\"policy\":\"{}\",\"local_policy\":",
                   s.messages, s.messages - s.ingest_errors, s.ingest_errors, s.signatures, s.repaired, info.policy);
    append_json_string(text, info.local_policy);
    for (auto [name, counts] : {std::pair{"message_results", &s.message_results}, std::pair{"signature_results", &s.signature_results}}) {
      fmt::format_to(out, ",\"{}\":{{", name);
      for (std::size_t i = 0; i < kVerdictOrder.size(); ++i) {
        fmt::format_to(out, "{}\"{}\":{}", i ? "," : "", eng::verdict_name(kVerdictOrder[i]),
                       (*counts)[static_cast<std::size_t>(kVerdictOrder[i])]);
      }
      text.push_back('}');
    }
    const engine::PipelineStats& p = info.pipeline;
    fmt::format_to(out, ",\"bytes\":{},\"seconds\":{:.6f},\"threads\":{}", p.bytes, p.seconds, p.threads);
    fmt::format_to(out, ",\"stage_seconds\":{{\"read\":{:.6f},\"verify\":{:.6f},\"render\":{:.6f},\"output\":{:.6f}}}",
                   p.read_seconds, p.verify_seconds, p.render_seconds, p.emit_seconds);
    if (!info.key_stats_json.empty()) fmt::format_to(out, ",{}", info.key_stats_json);
    if (!s.snapshot_error.empty()) {
      text += ",\"snapshot_error\":";
      append_json_string(text, s.snapshot_error);
    }
    fmt::format_to(out, ",\"exit_code\":{}}}\n", s.exit_code());
    write({text.data(), text.size()});
  }

 private:
  static void append_signature(std::string& line, std::size_t index, const SignatureResult& sig) {
    auto out = std::back_inserter(line);
    fmt::format_to(out, "{}{{\"index\":{},\"d\":", index ? "," : "", index);
    append_json_string(line, sig.domain);
    for (auto [name, value] : {std::pair{"s", sig.selector}, std::pair{"i", sig.auid}, std::pair{"a", sig.algorithm},
                               std::pair{"c", sig.canonicalization}}) {
      fmt::format_to(out, ",\"{}\":", name);
      append_json_string(line, value);
    }
    fmt::format_to(out, ",\"result\":\"{}\",\"reason\":\"{}\",\"reason_text\":", eng::verdict_name(sig.verdict),
                   eng::reason_code(sig.reason));
    append_json_string(line, eng::reason_text(sig.reason));
    line += ",\"key_detail\":";
    append_json_string(line, sig.key_detail);
    fmt::format_to(out, ",\"key_bits\":{},\"key_testing\":{}", sig.key_bits, sig.key_testing);
    if (sig.body_length) {
      fmt::format_to(out, ",\"l\":{},\"unsigned_body_bytes\":{}", *sig.body_length, sig.unsigned_body_bytes);
    } else {
      fmt::format_to(out, ",\"l\":null,\"unsigned_body_bytes\":0");
    }
    line.push_back('}');
  }

  std::string authserv_id_;
};

// One line per message: the source, a tab, and the Authentication-Results field (RFC 8601), so
// that a scorer can pair them up, or cut -f2- them into the messages' headers. No summary.
class AuthResWriter final : public ReportWriter {
 public:
  AuthResWriter(std::FILE* out, std::string authserv_id) : ReportWriter(out), authserv_id_(std::move(authserv_id)) {}

  void render(const PipelineItem& item, std::string& line) const override {
    const std::size_t start = line.size();
    line += item.input.source;
    keep_on_one_line(line, start);  // the tab after it must be the only one
    line += "\tAuthentication-Results: ";
    append_item_authres(line, authserv_id_, item);
    line += '\n';
  }

  void write_summary(const RunInfo&) override {}  // the exit code and --format jsonl say the rest

 private:
  std::string authserv_id_;
};

}  // namespace

std::unique_ptr<ReportWriter> ReportWriter::create(OutputFormat format, std::FILE* out, std::string authserv_id) {
  switch (format) {
    case OutputFormat::jsonl: return std::unique_ptr<ReportWriter>(new JsonLinesWriter(out, std::move(authserv_id)));
    case OutputFormat::authres: return std::unique_ptr<ReportWriter>(new AuthResWriter(out, std::move(authserv_id)));
    case OutputFormat::text: break;
  }
  return std::unique_ptr<ReportWriter>(new TextWriter(out));
}

void ReportWriter::emit(const PipelineItem& item, std::string_view rendered) {
  summary_.add(item);
  write(rendered);
}

OutputError OutputError::from_errno() {
  return OutputError(std::string("cannot write the report: ") + std::strerror(errno != 0 ? errno : EIO));
}

void ReportWriter::write(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), out_) != bytes.size()) {
    throw OutputError::from_errno();
  }
}

}  // namespace dkimscan::cli
