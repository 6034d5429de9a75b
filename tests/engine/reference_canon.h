// File: tests/engine/reference_canon.h
// A deliberately plain body canonicalizer (RFC 6376 §3.4.3/§3.4.4) on std::string, line by line:
// the reference the fast streaming BodyCanonicalizer is checked against by its benchmark and
// its fuzz target. Lines split at LF; a CR right before the LF belongs to the line end; a CR
// anywhere else (including at the very end) is an ordinary byte.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/algorithms.h"

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

}  // namespace dkimscan::engine::testing
