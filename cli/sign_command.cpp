// File: cli/sign_command.cpp
// The signing half of the CLI. Edge code: bad usage is an exception (64); a key, message or copy
// that cannot be read or written is named on stderr and becomes the exit code.
#include "cli/sign_command.h"

#include <fmt/format.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/time_arg.h"
#include "engine/key_provider.h"
#include "engine/message.h"
#include "engine/signature.h"
#include "engine/sign.h"
#include "engine/whole_file.h"

namespace dkimscan::cli {
namespace fs = std::filesystem;
using namespace dkimscan::engine;

void add_sign_command(CLI::App& app, SignArgs& args) {
  CLI::App* cmd = app.add_subcommand("sign", "Sign messages: write signed copies under the same names in --out");
  cmd->footer(
      "Example:\n"
      "  dkimscan keygen --type ed25519 --domain example.org --selector s1 --out s1.pem >> keys.zone\n"
      "  dkimscan sign --key s1.pem --domain example.org --selector s1 --out signed/ mail/*.eml\n"
      "  dkimscan verify --keys keys.zone signed/\n"
      "\n"
      "A copy gets its input's permissions, so a private mailbox stays private.\n"
      "\n"
      "Exit codes: 0 every message was signed; 2 some message could not be read or signed (each is\n"
      "named on stderr; the others were signed); 64 bad usage; 66 the key cannot be read; 74 the\n"
      "--out folder or a copy could not be written.");
  cmd->add_option("--key", args.key_file, "Private key (PEM, RSA or Ed25519)")->required();
  cmd->add_option("--domain,-d", args.domain, "Signing domain (d=)")->required();
  cmd->add_option("--selector,-s", args.selector, "Selector (s=)")->required();
  cmd->add_option("--out,-o", args.out_dir, "Folder for the signed copies (created if missing)")->required();
  cmd->add_option("messages", args.messages, "Message files to sign (not folders or standard input)")->required();
  cmd->add_option("--algorithm,-a", args.algorithm, "rsa-sha256 (RSA keys), ed25519-sha256 (Ed25519 keys) or, with --legacy, rsa-sha1");
  cmd->add_flag("--legacy", args.legacy,
                "Sign what RFC 8301 forbids signers, rsa-sha1 and RSA keys under 1024 bits, to make test corpora"
                " for verify --legacy (which alone accepts them)");
  cmd->add_option("--canonicalization,-c", args.canonicalization, "header/body: simple or relaxed")->capture_default_str();
  cmd->add_option("--headers", args.headers, "Header fields to sign (h=); default: the usual set, those present")
      ->delimiter(':')
      ->allow_extra_args(false);
  cmd->add_flag("--oversign", args.oversign, "List each signed name once more than present, so added fields break the signature");
  cmd->add_flag("--body-length", args.body_length, "Add l= with the body length (lets others append: use with care)");
  cmd->add_option("--auid,-i", args.auid,
                  "Agent or user identifier (i=), [local-part]@domain within --domain, e.g. @mail.example.org;"
                  " as written in the field, in dkim-quoted-printable ('=' and ';' as =3D and =3B)");
  cmd->add_option("--timestamp", args.timestamp, "Signing time t= (unix seconds or ISO 8601; default now)");
  cmd->add_option("--expire", args.expire_after, "Add x= this many seconds after t= (at least 1)");
  cmd->add_option("--threads,-j", args.threads, "Messages signed at once (default: all cores)")->check(CLI::Range(1, 1024));
}

void add_keygen_command(CLI::App& app, KeygenArgs& args) {
  CLI::App* cmd = app.add_subcommand("keygen", "Generate a signing key and print its DNS TXT record");
  cmd->footer(
      "Prints the key-file line '<selector>._domainkey.<domain> v=DKIM1; k=...; p=...' (the format of\n"
      "--keys) on stdout; --zone also prints a zone-file line with the TXT strings split at 255 bytes.\n"
      "The private key is created readable by its owner only, and never over an existing file.\n"
      "\n"
      "Exit codes: 0 written; 64 bad usage; 73 --out exists (remove it first to replace the key);\n"
      "74 --out could not be written.");
  cmd->add_option("--type", args.type, "rsa or ed25519")->check(CLI::IsMember({"rsa", "ed25519"}))->capture_default_str();
  CLI::Option* bits =
      cmd->add_option("--bits", args.bits, "RSA modulus size")->check(CLI::Range(1024, 4096))->capture_default_str();
  bits->each([&args](const std::string&) { args.bits_given = true; });
  cmd->add_option("--domain,-d", args.domain, "Domain the key is for")->required();
  cmd->add_option("--selector,-s", args.selector, "Selector")->required();
  cmd->add_option("--out,-o", args.out, "Where to write the private key (PEM)")->required();
  cmd->add_flag("--zone", args.zone, "Also print the record as a zone-file line");
}

namespace {

Canon parse_canon(std::string_view text, std::string_view what) {
  if (text == "simple") return Canon::simple;
  if (text == "relaxed") return Canon::relaxed;
  throw CLI::ValidationError("--canonicalization", fmt::format("unknown {} canonicalization '{}'", what, text));
}

SignOptions sign_options(const SignArgs& args, KeyType key_type) {
  SignOptions options;
  options.domain = args.domain;
  options.selector = args.selector;
  if (!args.algorithm.empty()) {
    options.algorithm = parse_algorithm(args.algorithm);
    if (!options.algorithm) throw CLI::ValidationError("--algorithm", "unknown algorithm '" + args.algorithm + "'");
    if (key_type_of(*options.algorithm) != key_type) {
      throw CLI::ValidationError("--algorithm", args.algorithm + " does not match the key's type");
    }
  }
  std::string_view canon = args.canonicalization;
  std::size_t slash = canon.find('/');
  options.header_canon = parse_canon(canon.substr(0, slash), "header");
  options.body_canon = slash == std::string_view::npos ? Canon::simple : parse_canon(canon.substr(slash + 1), "body");
  for (const std::string& name : args.headers) {
    // RFC 5322 field-name = 1*ftext: a name verifiers would reject makes a signature that never passes.
    // (CLI11 drops the empty items of "From::To" itself.)
    if (!is_field_name(name)) throw CLI::ValidationError("--headers", fmt::format("'{}' is not a header field name", name));
  }
  options.headers = args.headers;
  options.oversign = args.oversign;
  options.policy = args.legacy ? Policy::legacy : Policy::strict;
  options.body_length = args.body_length;
  options.expire_after = args.expire_after;
  if (!args.auid.empty()) options.auid = args.auid;
  try {
    options.timestamp = args.timestamp.empty() ? static_cast<std::int64_t>(std::time(nullptr)) : parse_time_arg(args.timestamp);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--timestamp", e.what());
  }
  return options;
}

// sign's inputs are message files: a folder or standard input is bad usage, not a message that
// could not be read.
void check_sign_inputs(const std::vector<std::string>& messages) {
  for (const std::string& path : messages) {
    if (path == "-") throw CLI::ValidationError("messages", "sign reads message files, not standard input ('-')");
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      throw CLI::ValidationError("messages", "'" + path + "' is a folder: sign takes message files");
    }
  }
}

// Writes all of bytes to fd: 0, or the errno of the failure (EIO for a write that makes no progress).
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    else if (n == 0) return EIO;
    else if (errno != EINTR) return errno;
  }
  return 0;
}

// Writes bytes to path as a new file with the permission bits mode: created 0600 and only given
// mode once written, so it is never readable by others before its mode says. A copy left by an
// earlier run is removed first: it may be read-only (the copy of a read-only input), and writing
// through it would keep its old mode, or follow a symbolic link put in its place.
bool write_private_copy(const fs::path& path, std::string_view head, std::string_view rest, mode_t mode,
                        std::string& reason) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    reason = std::strerror(errno);
    return false;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    reason = std::strerror(errno);
    return false;
  }
  int error = write_all(fd, head);
  if (error == 0) error = write_all(fd, rest);
  if (error == 0 && ::fchmod(fd, mode) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) reason = std::strerror(error);
  return error == 0;
}

// A zone-file line: TXT character-strings hold at most 255 bytes (RFC 1035 §3.3.14).
std::string zone_line(const std::string& name, const std::string& txt) {
  std::string line = name + ". IN TXT (";
  for (std::size_t pos = 0; pos < txt.size(); pos += 255) line += " \"" + txt.substr(pos, 255) + "\"";
  return line + " )";
}

}  // namespace

namespace {

// One message of a batch: where its copy goes, and what went wrong (empty: signed and written).
struct SignJob {
  const std::string* path;
  fs::path target;
  std::string problem;
  bool write_failed = false;
};

// Reads, signs and writes one message; on a worker thread (the key and options are only read).
void sign_one(SignJob& job, const SignOptions& options, const PrivateKey& key) {
  std::string reason;
  const std::optional<std::string> message = read_whole_file(*job.path, reason);
  struct stat input {};
  if (!message || ::stat(job.path->c_str(), &input) != 0) {
    job.problem = "cannot read: " + (message ? std::string(std::strerror(errno)) : reason);
    return;
  }
  std::string field;
  try {
    field = sign_message(*message, options, key);
  } catch (const std::runtime_error& e) {
    job.problem = std::string("not signed: ") + e.what();
    return;
  }
  if (!write_private_copy(job.target, field, *message, input.st_mode & 0666, reason)) {
    job.problem = "cannot write " + job.target.string() + ": " + reason;
    job.write_failed = true;
  }
}

}  // namespace

// A batch signs every message it can, on all cores (RSA signing is about a millisecond a message):
// one that cannot be read or signed (no From field, say) is named on stderr, in input order, and
// skipped, and the exit code says that some were (2). Two inputs with the same file name would
// write the same copy; the second is refused rather than overwriting the first. A copy that cannot
// be written is an I/O error (74).
int run_sign(const SignArgs& args) {
  std::optional<PrivateKey> loaded;
  try {
    loaded.emplace(PrivateKey::load_pem_file(args.key_file));
  } catch (const std::runtime_error& e) {  // unreadable, or not a PEM private key
    fmt::print(stderr, "dkimscan: sign: {}\n", e.what());
    return kExitNoInput;
  }
  const PrivateKey& key = *loaded;
  const SignOptions options = sign_options(args, key.type());
  try {
    check_sign_options(options, key);  // once, rather than the same refusal for every message
  } catch (const std::runtime_error& e) {
    throw CLI::ValidationError("sign", e.what());
  }
  check_sign_inputs(args.messages);
  std::error_code created;
  fs::create_directories(args.out_dir, created);
  if (created || !fs::is_directory(args.out_dir, created)) {
    fmt::print(stderr, "dkimscan: sign: cannot create the --out folder {}: {}\n", args.out_dir,
               created ? created.message() : "it is not a folder");
    return kExitIoError;
  }
  std::vector<SignJob> jobs;
  jobs.reserve(args.messages.size());
  std::map<fs::path, const std::string*> written;  // copy → the input it was signed from
  for (const std::string& path : args.messages) {
    SignJob& job = jobs.emplace_back(SignJob{&path, fs::path(args.out_dir) / fs::path(path).filename(), {}});
    const auto [earlier, fresh] = written.emplace(job.target, &path);
    if (!fresh) {
      job.problem = "not signed: its copy " + job.target.string() + " is already the one of " + *earlier->second;
    }
  }
  const unsigned threads = args.threads != 0 ? args.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  tbb::parallel_for(std::size_t{0}, jobs.size(), [&](std::size_t i) {
    if (jobs[i].problem.empty()) sign_one(jobs[i], options, key);
  });
  int exit_code = kExitOk;
  for (const SignJob& job : jobs) {
    if (job.problem.empty()) continue;
    fmt::print(stderr, "dkimscan: sign: {}: {}\n", *job.path, job.problem);
    if (job.write_failed) {
      exit_code = kExitIoError;
    } else if (exit_code == kExitOk) {
      exit_code = kExitIncomplete;
    }
  }
  return exit_code;
}

int run_keygen(const KeygenArgs& args) {
  // The names the record is published under: what sign and verifiers accept (RFC 6376 §3.1, §3.5).
  if (args.bits_given && args.type == "ed25519") throw CLI::ValidationError("--bits", "Ed25519 keys have no size to choose");
  if (!is_valid_dns_name(args.domain)) throw CLI::ValidationError("--domain", "'" + args.domain + "' is not a domain name");
  if (!is_valid_dns_name(args.selector)) {
    throw CLI::ValidationError("--selector", "'" + args.selector + "' is not a selector: dot-separated labels");
  }
  KeyType type = args.type == "ed25519" ? KeyType::ed25519 : KeyType::rsa;
  PrivateKey key = PrivateKey::generate(type, args.bits);
  // Created 0600 from the start, never over an existing file or through a symbolic link: a key
  // must not be readable by others for a moment, nor replace one that signs mail now.
  const int fd = ::open(args.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    fmt::print(stderr, "dkimscan: keygen: cannot create {}: {}{}\n", args.out, std::strerror(err),
               err == EEXIST ? " (keygen never overwrites a key: remove it first to replace it)" : "");
    return err == EEXIST ? kExitCantCreate : kExitIoError;
  }
  int write_errno = write_all(fd, key.to_pem());
  if (::close(fd) != 0 && write_errno == 0) write_errno = errno;
  if (write_errno != 0) {
    fmt::print(stderr, "dkimscan: keygen: cannot write {}: {}\n", args.out, std::strerror(write_errno));
    ::unlink(args.out.c_str());
    return kExitIoError;
  }
  std::string name = key_name(args.selector, args.domain);
  std::string txt = fmt::format("v=DKIM1; k={}; p={}", key_type_name(type), key.public_key_base64());
  fmt::print("{} {}\n", name, txt);
  if (args.zone) fmt::print("{}\n", zone_line(name, txt));
  return kExitOk;
}

}  // namespace dkimscan::cli
