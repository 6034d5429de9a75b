// File: cli/verify_command.cpp
// Wires a verification run: inputs (ingest), keys (cache), the Verifier with its policy and
// clock, the pipeline, and a report writer. Bad flags throw CLI::ValidationError (usage, 64).
#include "cli/verify_command.h"

#include <unistd.h>  // gethostname, isatty

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cache/key_recorder.h"
#include "cache/key_service.h"
#include "cli/dns_arg.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "cli/report_writer.h"
#include "cli/time_arg.h"
#include "engine/pipeline.h"
#include "engine/verify.h"
#include "ingest/mbox_chunks.h"
#include "ingest/open_inputs.h"
#include "ingest/repair.h"

namespace dkimscan::cli {

void add_verify_command(CLI::App& app, VerifyArgs& args) {
  CLI::App* cmd = app.add_subcommand("verify", "Verify the DKIM signatures of messages, folders and archives");
  cmd->footer(
      "Each message gets one result per DKIM-Signature (pass, fail, neutral, policy, temperror,\n"
      "permerror) with a reason code, and a message result: the best of them, or none if unsigned.\n\n"
      "Examples:\n"
      "  dkimscan verify --keys datasets/sample/keys.zone datasets/sample/messages\n"
      "  dkimscan verify --format jsonl --keys keys.zone ~/Maildir > results.jsonl\n"
      "  dkimscan verify --format authres --authserv-id mx.example.net --keys keys.zone mail/\n"
      "  dkimscan verify --legacy --at 2012-06-01 --keys old-keys.zone archive.mbox\n"
      "  dkimscan verify --must-be-signed Subject,To --min-rsa-bits 2048 --keys keys.zone mail/\n\n"
      "Exit codes: 0 all passed or unsigned; 1 some message did not verify (fail, permerror,\n"
      "neutral, policy); 2 some message was unreadable or hit a temporary key error;\n"
      "64 bad usage; 66 a key file cannot be read; 70 internal error; 74 the report or the key\n"
      "snapshot could not be written.");
  cmd->add_option("paths", args.paths, "Message files, folders (recursive), Maildirs, mbox archives, compressed (.gz .bz2 .xz .zst) or packed (.tar .zip) archives of these, '-' for stdin")
      ->required();
  cmd->add_option("--keys", args.key_files,
                  "Key file(s): lines '<selector>._domainkey.<domain> <TXT value>' (see cache/KEYFILE.md);"
                  " earlier files win; repeat --keys for several")
      ->allow_extra_args(false);
  cmd->add_option("--dns", args.dns,
                  "DNS servers IP[:PORT],... ([IPv6]:PORT) for key lookups, or 'system' for those of"
                  " /etc/resolv.conf (the default without --keys); with --keys, the files answer first and DNS the rest")
      ->each([&args](const std::string&) { args.use_dns = true; });
  cmd->add_option("--dns-timeout", args.dns_timeout_ms,
                  "Milliseconds a server gets for a query's first try (c-ares doubles it for each retry)")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  cmd->add_option("--dns-tries", args.dns_tries, "DNS tries per server")->check(CLI::Range(1, 10))->capture_default_str();
  cmd->add_option("--dns-in-flight", args.dns_in_flight, "DNS queries outstanding at once")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  cmd->add_option("--record-keys", args.record_keys,
                  "Write every key answer used (TXT, NXDOMAIN, failures, TTL, time, server) to FILE;"
                  " --keys FILE --at T replays the run offline with the same verdicts (T, the run's clock for x=, is"
                  " on the snapshot's first line, with the policy flags the replay must be given too). A name whose"
                  " answer changed during the run (a DNS failure that cleared) keeps its first answer");
  cmd->add_option("--format", args.format,
                  "Output: 'text' (a line per message and a summary), 'jsonl', or 'authres' (a line per message: "
                  "source, tab, Authentication-Results field, RFC 8601)")
      ->check(CLI::IsMember({"text", "jsonl", "authres"}))
      ->capture_default_str();
  cmd->add_option("--authserv-id", args.authserv_id,
                  "Who did the checks, in Authentication-Results (authres and jsonl output; default: this host's name)");
  cmd->add_flag("--legacy", args.legacy,
                "Policy for old archives: accept rsa-sha1, RSA keys from 512 bits, empty h= items and draft"
                " signatures without v= (default policy: strict, RFC 6376 + RFC 8301)");
  cmd->add_option("--at", args.at, "Verify as of this time (x= expiry): unix seconds or ISO 8601, e.g. 2019-03-01T12:00:00Z (a time without a zone is UTC)");
  cmd->add_option("--max-signatures", args.max_signatures, "Signatures checked per message; the rest get neutral and their keys are not looked up")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--must-be-signed", args.must_be_signed,
                  "Local policy: header fields (comma-separated) that a signature must cover when the"
                  " message has them, e.g. Subject,Reply-To; a verified signature that does not gets policy")
      ->delimiter(',');
  cmd->add_option("--min-rsa-bits", args.min_rsa_bits,
                  "Local policy: a verified RSA signature with a smaller key gets policy (below RFC 8301's floor"
                  " of 1024 bits, or 512 with --legacy, a key is permerror whatever this says)")
      ->check(CLI::Range(0u, 16384u));
  cmd->add_flag("--reject-partial-body", args.reject_partial_body,
                "Local policy: a verified signature whose l= leaves body bytes unsigned gets policy (RFC 6376 §8.2)");
  cmd->add_option("--threads,-j", args.threads, "Worker threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--quiet,-q", args.quiet,
                "No progress line (shown on a terminal: messages, MB, messages/s, ETA) and no text summary");
  cmd->add_option("--mbox-format", args.mbox_format, "mbox variant: auto, mboxo, mboxrd, mboxcl, mboxcl2")
      ->capture_default_str();
  cmd->add_option("--stdin-format", args.stdin_format, "What '-' holds: auto, message, mbox")->capture_default_str();
}

namespace {

ingest::IngestOptions ingest_options(const VerifyArgs& args) {
  ingest::IngestOptions options;
  auto mbox = ingest::parse_mbox_format(args.mbox_format);
  if (!mbox) throw CLI::ValidationError("--mbox-format", "unknown mbox variant '" + args.mbox_format + "'");
  options.mbox_format = *mbox;
  auto stdin_format = ingest::parse_stdin_format(args.stdin_format);
  if (!stdin_format) throw CLI::ValidationError("--stdin-format", "unknown stdin format '" + args.stdin_format + "'");
  options.stdin_format = *stdin_format;
  // The pipeline's workers read message files in parallel. With one thread there is nothing to
  // share the reading with, the sniff before a deferred read would be one more open() per plain
  // file, and even a Maildir (no sniff) measured 5% slower deferred: the reader's per-message
  // buffer, freed and taken again by the same thread, stays in cache; the batch arenas do not.
  options.defer_reads = engine::pipeline_threads(args.threads) > 1;  // the count the pipeline will use
  // A large mbox file is cut by the workers at every thread count, so that -j1 and -jN read it
  // the same way (mbox_chunks.h).
  options.cut_mbox_chunks = true;
  return options;
}

engine::VerifyOptions verify_options(const VerifyArgs& args) {
  engine::VerifyOptions options;
  options.policy = args.legacy ? engine::Policy::legacy : engine::Policy::strict;
  try {
    options.now = args.at ? parse_time_arg(*args.at) : static_cast<std::int64_t>(std::time(nullptr));
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--at", e.what());
  }
  options.max_signatures = args.max_signatures;
  for (const std::string& name : args.must_be_signed) {
    const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return c > ' ' && c < 0x7f && c != ':';  // RFC 5322 §3.6.8 ftext
    });
    if (!valid) throw CLI::ValidationError("--must-be-signed", "'" + name + "' is not a header field name");
    options.local.must_be_signed.push_back(name);
  }
  options.local.min_rsa_bits = args.min_rsa_bits;
  options.local.reject_partial_body = args.reject_partial_body;
  return options;
}

// The local policy as the summary reports it, in the flags' own words; empty when there is none.
std::string describe_local_policy(const engine::LocalPolicy& local) {
  std::vector<std::string> rules;
  if (!local.must_be_signed.empty()) rules.push_back(fmt::format("must-be-signed={}", fmt::join(local.must_be_signed, ",")));
  if (local.min_rsa_bits != 0) rules.push_back(fmt::format("min-rsa-bits={}", local.min_rsa_bits));
  if (local.reject_partial_body) rules.push_back("reject-partial-body");
  return fmt::format("{}", fmt::join(rules, " "));
}

// The flags a replay of a key snapshot must be given to reach the same verdicts: the policy and
// the local rules (the clock, --at, the snapshot names itself). Each starts with a space.
std::string replay_flags(const engine::VerifyOptions& options) {
  std::string flags;
  if (options.policy == engine::Policy::legacy) flags += " --legacy";
  if (options.max_signatures != engine::VerifyOptions{}.max_signatures) {
    flags += fmt::format(" --max-signatures {}", options.max_signatures);
  }
  const engine::LocalPolicy& local = options.local;
  if (!local.must_be_signed.empty()) flags += fmt::format(" --must-be-signed {}", fmt::join(local.must_be_signed, ","));
  if (local.min_rsa_bits != 0) flags += fmt::format(" --min-rsa-bits {}", local.min_rsa_bits);
  if (local.reject_partial_body) flags += " --reject-partial-body";
  return flags;
}

// RFC 8601 §2.5: the authserv-id names the host or domain that did the checks.
std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// Where keys come from: the key files, DNS (unless --no-dns), and the snapshot to record.
cache::KeyOptions key_options(const VerifyArgs& args, const engine::VerifyOptions& verify) {
  cache::KeyOptions options;
  options.key_files = args.key_files;
  options.use_dns = args.use_dns;
  if (args.use_dns && args.dns != "system") {
    try {
      check_dns_servers(args.dns);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--dns", e.what());
    }
    options.dns_servers = args.dns;
  }
  options.dns_timeout = std::chrono::milliseconds(args.dns_timeout_ms);
  options.dns_tries = args.dns_tries;
  options.max_in_flight = args.dns_in_flight;
  options.record_keys = args.record_keys;
  options.verified_at = verify.now;
  options.replay_flags = replay_flags(verify);
  return options;
}

// The pipeline's hooks into ingest (deferred reads, mbox chunks and their names) and the archive
// repair. LIFETIME: read_options and namer must outlive the run.
engine::PipelineOptions pipeline_options(const VerifyArgs& args, const engine::Verifier& verifier,
                                         const ingest::IngestOptions& read_options, ingest::MboxNamer& namer,
                                         bool dns_wanted) {
  engine::PipelineOptions pipeline;
  // A failing signature on bytes an archive format may have altered is retried on the repaired
  // bytes; a pass there is reported as "pass after repair: <what>", never as a plain pass.
  pipeline.reverify = ingest::make_repair_reverifier(verifier);
  pipeline.load = [&read_options](ingest::InputMessage& input, ingest::ByteArena& arena) {
    ingest::load_deferred(input, read_options, arena);
  };
  pipeline.expand = ingest::cut_mbox_chunk;
  pipeline.name = [&namer](ingest::InputMessage& input) { namer.name(input); };
  pipeline.threads = args.threads;
  // DNS answers take milliseconds: read ahead and request keys early so workers rarely wait.
  if (dns_wanted) pipeline.lookahead_batches = 64;
  return pipeline;
}

// Into a file or a pipe, the report goes out 1 MiB at a time: stdio's 4 KiB buffer made one
// write() per 4 KiB, on the one thread that writes (11,000 for a 2 GB archive's report). On a
// terminal, stdio's line buffering stays.
void buffer_stdout() {
  // glibc takes the size only with a buffer of ours. LIFETIME: static, as stdout outlives us.
  static char stdout_buffer[1u << 20];
  if (isatty(STDOUT_FILENO) != 1) std::setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
}

// The key statistics as summary members (every count) and as text (the counts that are not 0).
void describe_key_stats(const cache::KeyStats& stats, RunInfo& info) {
  fmt::memory_buffer json, text;
  for (auto [name, value] : stats.fields()) {
    fmt::format_to(std::back_inserter(json), "{}\"{}\":{}", json.size() ? "," : "", name, value);
    if (value != 0) fmt::format_to(std::back_inserter(text), "{}{} {}", text.size() ? ", " : "", name, value);
  }
  info.key_stats_json = fmt::format("\"keys\":{{{}}}", fmt::to_string(json));
  info.key_stats_text = fmt::to_string(text);
}

// Writes the key snapshot, if one was asked for; its error, or "" when it was written.
std::string finish_snapshot(cache::KeyService& keys) {
  try {
    keys.finish();
  } catch (const cache::KeySnapshotError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

int run_verify(const VerifyArgs& args) {
  const engine::Verifier verifier(verify_options(args));
  const ingest::IngestOptions read_options = ingest_options(args);
  const cache::KeyOptions keys_from = key_options(args, verifier.options());
  std::unique_ptr<cache::KeyService> key_service = cache::make_key_provider(keys_from);
  auto source = ingest::open_inputs(args.paths, read_options);
  const OutputFormat format = args.format == "jsonl"     ? OutputFormat::jsonl
                              : args.format == "authres" ? OutputFormat::authres
                                                         : OutputFormat::text;
  buffer_stdout();
  auto writer = ReportWriter::create(format, stdout, args.authserv_id.empty() ? host_name() : args.authserv_id);
  ingest::MboxNamer namer(read_options.mbox_index_base);
  const engine::PipelineOptions pipeline =
      pipeline_options(args, verifier, read_options, namer, keys_from.dns_wanted());

  RunInfo info;
  try {
    if (!args.quiet && ProgressSink::wanted()) {
      ProgressSink progress(*writer, ProgressSink::known_input_size(args.paths));
      info.pipeline = engine::run_pipeline(*source, verifier, *key_service, progress, pipeline);
    } else {
      info.pipeline = engine::run_pipeline(*source, verifier, *key_service, *writer, pipeline);
    }
  } catch (const OutputError&) {
    // The report broke off, but the keys asked for so far are still written: a snapshot that
    // held only its first line would replay every key as missing.
    if (const std::string error = finish_snapshot(*key_service); !error.empty()) {
      fmt::print(stderr, "dkimscan: {}\n", error);
    }
    throw;
  }
  // An empty folder or a mistyped Maildir path reads as a clean run; say so, on stderr.
  if (info.pipeline.messages == 0) fmt::print(stderr, "dkimscan: warning: the input held no messages\n");
  info.policy = std::string(engine::policy_name(verifier.options().policy));
  info.local_policy = describe_local_policy(verifier.options().local);
  // A snapshot that failed to write is named in the summary and again after it, on stderr: the
  // run's results stand, its exit code is 74.
  const std::string snapshot_error = finish_snapshot(*key_service);
  if (!snapshot_error.empty()) writer->set_snapshot_error(snapshot_error);
  describe_key_stats(key_service->stats(), info);
  if (!(args.quiet && args.format == "text")) writer->write_summary(info);
  if (std::fflush(stdout) != 0) throw OutputError::from_errno();
  if (!snapshot_error.empty()) fmt::print(stderr, "dkimscan: {}\n", snapshot_error);
  return writer->summary().exit_code();
}

}  // namespace dkimscan::cli
