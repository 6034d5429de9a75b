// File: layered_provider.h
// --keys files over DNS: a name any key file names is answered by the file (records, !NXDOMAIN or
// !TEMPFAIL alike, never asking DNS); every other name goes to the provider below (the DNS cache).
// Without a provider below, a name no file names is NXDOMAIN (the keys.zone convention). It also
// reports file answers to the snapshot recorder, since only the file knows their TXT text.
#pragma once

#include <memory>

#include "cache/key_file.h"
#include "cache/key_recorder.h"
#include "cache/striped_counter.h"

namespace dkimscan::cache {

class LayeredProvider : public engine::KeyProvider {
 public:
  // files and below may each be null, not both. recorder may be null (no snapshot).
  LayeredProvider(std::shared_ptr<const KeyFileProvider> files,
                  std::shared_ptr<engine::KeyProvider> below, KeyRecorder* recorder);

  engine::KeySetPtr lookup(std::string_view name) override;
  engine::KeySetPtr lookup_or_wait(std::string_view name, engine::KeyWaiter* waiter) override;

  std::uint64_t file_answers() const noexcept { return file_answers_.sum(); }

 private:
  // The files' answer (recorded once), or null when the name is for the provider below.
  engine::KeySetPtr from_files(std::string_view name);

  std::shared_ptr<const KeyFileProvider> files_;
  std::shared_ptr<engine::KeyProvider> below_;
  KeyRecorder* recorder_;
  engine::KeySetPtr absent_;  // files only: the answer for a name no file names
  StripedCounter file_answers_;
};

}  // namespace dkimscan::cache
