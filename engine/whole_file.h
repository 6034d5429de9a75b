// File: engine/whole_file.h
// Reads a small file whole: a key file, a PEM private key, a message to sign. Mail input does
// not come through here (ingest/ maps, streams and unpacks it); these files are read once, at
// start, and a failure ends the run with a message, so the caller turns the reason into one.
#pragma once

#include <optional>
#include <string>

namespace dkimscan::engine {

// The bytes of the file at path; std::nullopt with reason set (the errno text, e.g. "No such
// file or directory" or "Is a directory") when it cannot be opened or read.
std::optional<std::string> read_whole_file(const std::string& path, std::string& reason);

}  // namespace dkimscan::engine
