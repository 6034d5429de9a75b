// Integration tests against a real authoritative DNS server: Debian's nsd on a loopback port, with
// zones written by the test from the corpora's keys.zone files (TXT values split into 255-byte
// strings, one record split into many short strings). Keys resolved through c-ares + the cache must
// equal the key file's, and messages must verify identically through DNS and through the file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cache/key_file.h"
#include "cache/key_service.h"
#include "engine/key_provider.h"
#include "engine/verify.h"
#include "tests/cache/dns_responder.h"

namespace dkimscan::cache {
namespace {

namespace fs = std::filesystem;
using engine::Reason;

constexpr const char* kNsd = "/usr/sbin/nsd";

// A zone-file <character-string>: quoted, '"' and '\' escaped, other odd bytes as \DDD.
std::string zone_string(std::string_view bytes) {
  std::string out = "\"";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b < 0x20 || b >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", b);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string txt_rdata(std::string_view value, std::size_t chunk) {
  if (value.empty()) return zone_string("");
  std::string out;
  for (std::size_t i = 0; i < value.size(); i += chunk) {
    out += (out.empty() ? "" : " ") + zone_string(value.substr(i, chunk));
  }
  return out;
}

// nsd serving one zone per key domain (the part after "._domainkey.") on 127.0.0.1:port.
class NsdServer {
 public:
  // names: key name → TXT values (record lines of a key file). extra: zone → more lines for it
  // (the zone is served even when no key name is in it).
  explicit NsdServer(const std::map<std::string, std::vector<std::string>>& names,
                     const std::map<std::string, std::string>& extra = {}) {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("dkimscan-nsd-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    {
      testing::DnsResponder probe([](const std::string&) { return testing::Reply{}; });
      port_ = probe.port();  // free for UDP and TCP a moment ago; the responder closes it now
    }
    std::map<std::string, std::string> zones;  // domain → zone text
    const auto zone_of = [&zones](const std::string& domain) -> std::string& {
      std::string& zone = zones[domain];
      if (zone.empty()) {
        zone = "$ORIGIN " + domain + ".\n$TTL 300\n"
               "@ IN SOA ns.test.example. hostmaster.test.example. 1 3600 600 86400 120\n"
               "@ IN NS ns.test.example.\n"
               "nodata._domainkey IN A 127.0.0.1\n";
      }
      return zone;
    };
    for (const auto& [domain, lines] : extra) zone_of(domain) += lines;
    for (const auto& [name, values] : names) {
      const std::size_t at = name.find("._domainkey.");
      const std::string domain = name.substr(at + 12);
      std::string& zone = zone_of(domain);
      const std::string owner = name.substr(0, at) + "._domainkey";
      // One record is split into 7-byte strings; the others at the 255-byte limit (RFC 1035 §3.3).
      for (const std::string& value : values) {
        zone += owner + " IN TXT " + txt_rdata(value, name.starts_with("split7.") ? 7 : 255) + "\n";
      }
    }
    std::string conf =
        "server:\n  ip-address: 127.0.0.1@" + std::to_string(port_) +
        "\n  username: \"\"\n  database: \"\"\n  chroot: \"\"\n  zonesdir: \"" + dir_.string() +
        "\"\n  pidfile: \"" + (dir_ / "nsd.pid").string() + "\"\n  zonelistfile: \"" +
        (dir_ / "zone.list").string() + "\"\n  xfrdfile: \"" + (dir_ / "xfrd.state").string() +
        "\"\n  xfrdir: \"" + dir_.string() + "\"\n  logfile: \"" + (dir_ / "nsd.log").string() +
        "\"\n  server-count: 1\n  do-ip6: no\n  verbosity: 1\nremote-control:\n  control-enable: no\n";
    for (const auto& [domain, text] : zones) {
      std::ofstream(dir_ / (domain + ".zone")) << text;
      conf += "zone:\n  name: \"" + domain + "\"\n  zonefile: \"" + domain + ".zone\"\n";
      any_domain_ = domain;
    }
    std::ofstream(dir_ / "nsd.conf") << conf;
    start();
  }

  ~NsdServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  bool ready() const { return ready_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(dir_ / "nsd.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  void start() {
    const std::string conf = (dir_ / "nsd.conf").string();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // nsd must not outlive a crashed test (it would also hold the test's output pipe open).
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(kNsd, kNsd, "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when it answers the SOA of a zone (bounded wait: nsd reads its zones first).
    for (int attempt = 0; attempt < 200 && !ready_; ++attempt) {
      ready_ = answers_soa();
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
    }
  }

  bool answers_soa() const {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const testing::Bytes query = testing::build_query(any_domain_, 0x4242, 6);
    ::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    pollfd p{fd, POLLIN, 0};
    std::uint8_t buf[512];
    const bool answered = ::poll(&p, 1, 50) == 1 && ::recv(fd, buf, sizeof buf, 0) >= 12 && (buf[3] & 0x0f) == 0;
    ::close(fd);
    return answered;
  }

  fs::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string any_domain_;
};

std::map<std::string, std::vector<std::string>> record_lines(const KeyFileProvider& file) {
  std::map<std::string, std::vector<std::string>> names;
  for (const auto& [name, entry] : file.entries()) {
    if (entry.keys()->lookup != Reason::ok) continue;
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos) continue;
    names[name] = entry.txt_values;
  }
  return names;
}

std::string describe(const engine::KeySet& keys) {
  std::string out = std::string(engine::reason_code(keys.lookup));
  for (const engine::KeyRecord& r : keys.records) {
    out += " {" + std::string(engine::reason_code(r.status)) + " " + std::to_string(r.bits) + " " +
           std::to_string(static_cast<int>(r.type)) + " " + std::to_string(r.testing) + "}";
  }
  return out;
}

KeyOptions dns_options(const NsdServer& nsd) {
  KeyOptions options;
  options.use_dns = true;
  options.dns_servers = nsd.server();
  options.dns_timeout = std::chrono::milliseconds(1000);
  return options;
}

#define REQUIRE_NSD(nsd)                                                              \
  if (!fs::exists(kNsd)) GTEST_SKIP() << kNsd << " is not installed (.ci/install-deps)"; \
  ASSERT_TRUE((nsd).ready()) << "nsd did not start:\n" << (nsd).log()

class NsdCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(NsdCorpus, KeysThroughNsdEqualTheKeyFileAndMessagesVerifyIdentically) {
  const std::string corpus = std::string(DKIMSCAN_TESTDATA) + "/" + GetParam();
  KeyFileProvider file({corpus + "/keys.zone"});
  const auto names = record_lines(file);
  NsdServer nsd(names);
  REQUIRE_NSD(nsd);
  auto dns = make_key_provider(dns_options(nsd));
  for (const auto& [name, values] : names) {
    EXPECT_EQ(describe(*dns->lookup(name)), describe(*file.lookup(name))) << name;
  }
  // Every message of the corpus, verified with keys from nsd and from the file.
  engine::VerifyOptions options;
  options.now = 1700000000;
  const engine::Verifier verifier(options);
  engine::VerifyScratch scratch;
  int passes = 0;
  for (const auto& message : fs::directory_iterator(corpus + "/messages")) {
    std::ifstream in(message.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    engine::MessageResult through_dns, through_file;
    verifier.verify(bytes, *dns, scratch, through_dns);
    verifier.verify(bytes, file, scratch, through_file);
    ASSERT_EQ(through_dns.signatures.size(), through_file.signatures.size()) << message.path();
    for (std::size_t i = 0; i < through_dns.signatures.size(); ++i) {
      // A key name this nsd has no zone for is REFUSED by it (dkimpy's "legitimate.com(.attacker.com").
      const engine::SignatureResult& sig = through_file.signatures[i];
      if (!sig.domain.empty() && !names.contains(engine::key_name(sig.selector, sig.domain)) &&
          through_dns.signatures[i].reason == Reason::key_dns_servfail) {
        continue;
      }
      EXPECT_EQ(through_dns.signatures[i].reason, through_file.signatures[i].reason) << message.path() << " #" << i;
      EXPECT_EQ(through_dns.signatures[i].verdict, through_file.signatures[i].verdict) << message.path() << " #" << i;
      passes += through_dns.signatures[i].verdict == engine::Verdict::pass;
    }
  }
  EXPECT_GT(passes, 0);
  dns->finish();
  const KeyStats stats = dns->stats();
  EXPECT_EQ(stats.network_errors + stats.timeouts + stats.servfail, 0u);
}

INSTANTIATE_TEST_SUITE_P(Corpora, NsdCorpus, ::testing::Values("rfc8463", "mail-auth", "dkimpy", "mail-dkim"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

TEST(Nsd, SplitStringsSeveralRecordsNxdomainNodataAndOneQueryPerName) {
  const std::string ed = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  const std::string long_value = "v=DKIM1; k=ed25519; n=" + std::string(600, 'x') + "; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  NsdServer nsd({{"split7._domainkey.test.example", {ed}},
                 {"long._domainkey.test.example", {long_value}},
                 {"two._domainkey.test.example", {"v=DKIM1; k=ed25519; p=", ed}}});
  REQUIRE_NSD(nsd);
  auto keys = make_key_provider(dns_options(nsd));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"split7._domainkey.test.example", "ok {ok 256 1 0}"},
      {"long._domainkey.test.example", "ok {ok 256 1 0}"},
      {"missing._domainkey.test.example", "key_not_found"},
      {"nodata._domainkey.test.example", "key_not_found"},
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        for (const auto& [name, want] : expected) EXPECT_EQ(describe(*keys->lookup(name)), want) << name;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const engine::KeySetPtr two = keys->lookup("two._domainkey.test.example");
  ASSERT_EQ(two->records.size(), 2u);
  // nsd's answer order for a TXT RRset is the zone order; the revoked record comes first.
  EXPECT_EQ(two->records[0].status, Reason::key_revoked);
  EXPECT_EQ(two->records[1].status, Reason::ok);
  EXPECT_EQ(keys->lookup("missing._domainkey.test.example")->detail, "NXDOMAIN");
  EXPECT_EQ(keys->lookup("nodata._domainkey.test.example")->detail, "NODATA (no TXT record)");
  keys->finish();
  const KeyStats stats = keys->stats();
  EXPECT_EQ(stats.queries_sent, 5u);  // one per distinct name, whatever the threads did
  EXPECT_EQ(stats.answers, 3u);
  EXPECT_EQ(stats.nxdomain, 1u);
  EXPECT_EQ(stats.nodata, 1u);
}

// Selectors delegated by CNAME to a mail provider's zone, as providers ask their customers to
// publish. nsd follows a chain into another zone it serves and answers it whole (one query), and
// answers a CNAME into a zone it does not serve with the CNAME alone (RFC 1034 §4.3.2); the
// resolver then asks for the target (RFC 1034 §5.3.3), which this server refuses to answer: a
// temporary failure that says where, not a permanent "no key".
TEST(Nsd, KeysDelegatedByCnameAreFollowed) {
  const std::string ed = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  NsdServer nsd({}, {{"customer.example", "s1._domainkey IN CNAME s1.keys.provider.example.\n"
                                          "gone._domainkey IN CNAME gone.keys.provider.example.\n"
                                          "away._domainkey IN CNAME s1.keys.elsewhere.example.\n"},
                     {"provider.example", "s1.keys IN TXT \"" + ed + "\"\n"}});
  REQUIRE_NSD(nsd);
  auto keys = make_key_provider(dns_options(nsd));
  EXPECT_EQ(describe(*keys->lookup("s1._domainkey.customer.example")), "ok {ok 256 1 0}");
  const engine::KeySetPtr gone = keys->lookup("gone._domainkey.customer.example");
  EXPECT_EQ(describe(*gone), "key_not_found");
  EXPECT_EQ(gone->detail, "NXDOMAIN");
  const engine::KeySetPtr away = keys->lookup("away._domainkey.customer.example");
  EXPECT_EQ(describe(*away), "key_dns_servfail");
  EXPECT_EQ(away->detail, "REFUSED at CNAME target s1.keys.elsewhere.example");
  keys->finish();
  EXPECT_EQ(keys->stats().queries_sent, 4u);  // one per name, and one for the target nsd left out
}

}  // namespace
}  // namespace dkimscan::cache
