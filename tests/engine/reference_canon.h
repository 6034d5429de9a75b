// File: tests/engine/reference_canon.h
// A deliberately plain body canonicalizer (RFC 6376 §3.4.3/§3.4.4) on std::string, line by line:
// the reference the fast streaming BodyCanonicalizer is checked against by its benchmark and
// its fuzz target. Lines split at LF; a CR right before the LF belongs to the line end; a CR
// anywhere else (including at the very end) is an ordinary byte. Also the plain way to build a
// body variant, which compute_variant_body_hashes() is checked against.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/algorithms.h"
#include "engine/body_hash.h"

namespace dkimscan::engine::testing {

inline std::string reference_canon(Canon canon, std::string_view body) {
  std::vector<std::string> lines;
  std::string cur;
  for (const char c : body) {
    if (c != '\n') {
      cur += c;
      continue;
    }
    if (!cur.empty() && cur.back() == '\r') cur.pop_back();
    lines.push_back(cur);
    cur.clear();
  }
  if (!cur.empty()) lines.push_back(cur);
  if (canon == Canon::relaxed) {
    for (std::string& line : lines) {
      std::string out;
      bool wsp = false;
      for (const char c : line) {
        if (c == ' ' || c == '\t') {
          wsp = true;
          continue;
        }
        if (wsp) out += ' ';
        wsp = false;
        out += c;
      }
      line = out;
    }
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return canon == Canon::simple ? "\r\n" : "";
  std::string out;
  for (const std::string& line : lines) out += line + "\r\n";
  return out;
}

// The body with the edits of mask applied (bit i: edits[i]), built byte by byte.
inline std::string apply_edits(std::string_view body, const std::vector<BodyEdit>& edits, std::uint64_t mask) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    if (!(mask & (std::uint64_t{1} << i))) continue;
    out.append(body.substr(at, edits[i].at - at));
    at = edits[i].at + (edits[i].remove ? 1 : 0);
    if (!edits[i].remove) out.push_back(edits[i].insert);
  }
  out.append(body.substr(at));
  return out;
}

}  // namespace dkimscan::engine::testing
