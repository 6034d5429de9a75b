// File: ingest/byte_reader.h
// A pull interface over a byte stream (a decompressed archive entry, a pipe), so the streaming
// mbox splitter does not care where bytes come from. Errors are values, never exceptions.
#pragma once

#include <cstddef>
#include <string>

#include "ingest/input_message.h"

namespace dkimscan::ingest {

class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Up to n bytes into buffer: the count, 0 at the end, or -1 on an error (see error()).
  virtual long read(char* buffer, std::size_t n) = 0;
  // After read() returned -1: truncated (a damaged compressed stream) or unreadable.
  virtual IngestError error() const { return IngestError::unreadable; }
  virtual std::string error_detail() const { return {}; }
};

}  // namespace dkimscan::ingest
