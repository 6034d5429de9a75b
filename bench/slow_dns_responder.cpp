// slow_dns_responder: serves the TXT records of a key file over DNS on 127.0.0.1, every answer
// delayed by a fixed time, for bench/dns_e2e.sh (issue 4's measurement: a whole verify run with
// 50 ms DNS against the same run with keys from the file). Loopback only; it prints its port and
// serves until standard input closes. Names absent from the file are NXDOMAIN.
//   slow_dns_responder KEYFILE DELAY_MS
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "tests/cache/dns_responder.h"

namespace {

using dkimscan::cache::testing::DnsResponder;
using dkimscan::cache::testing::Reply;

// name → TXT records, each split into strings of at most 255 bytes (RFC 1035 §3.3.14).
std::map<std::string, std::vector<std::vector<std::string>>> load(const char* path) {
  std::map<std::string, std::vector<std::vector<std::string>>> zone;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t space = line.find(' ');
    if (space == std::string::npos || line.compare(space + 1, 1, "!") == 0) continue;
    std::string name = line.substr(0, space), value = line.substr(space + 1);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::vector<std::string> strings;
    for (std::size_t pos = 0; pos < value.size(); pos += 255) strings.push_back(value.substr(pos, 255));
    zone[name].push_back(std::move(strings));
  }
  return zone;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: slow_dns_responder KEYFILE DELAY_MS\n");
    return 64;
  }
  const auto zone = load(argv[1]);
  const std::chrono::milliseconds delay(std::stoi(argv[2]));
  DnsResponder responder([&](const std::string& asked) {
    std::string name = asked;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.empty() && name.back() == '.') name.pop_back();
    Reply reply;
    reply.delay = delay;
    auto it = zone.find(name);
    if (it == zone.end()) {
      reply.kind = Reply::Kind::nxdomain;
    } else {
      reply.records = it->second;
    }
    return reply;
  });
  std::printf("%u\n", responder.port());
  std::fflush(stdout);
  std::string ignored;
  while (std::getline(std::cin, ignored)) {
  }
  std::fprintf(stderr, "slow_dns_responder: %zu queries for %zu names\n", responder.queries(), responder.distinct_names());
  return 0;
}
