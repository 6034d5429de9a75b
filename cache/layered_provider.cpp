// File: layered_provider.cpp
// Files first, then the provider below; file answers go to the recorder once per name.
#include "cache/layered_provider.h"

#include <stdexcept>

namespace dkimscan::cache {

LayeredProvider::LayeredProvider(std::shared_ptr<const KeyFileProvider> files,
                                 std::shared_ptr<engine::KeyProvider> below, KeyRecorder* recorder)
    : files_(std::move(files)), below_(std::move(below)), recorder_(recorder) {
  if (!files_ && !below_) throw std::invalid_argument("LayeredProvider needs key files or DNS");
  if (!below_) {
    absent_ = engine::make_key_set_error(engine::Reason::key_not_found,
                                         "NXDOMAIN (name not in the key files)");
  }
}

engine::KeySetPtr LayeredProvider::from_files(std::string_view raw_name) {
  std::string storage;
  const std::string_view name = canonical_name(raw_name, storage);
  const KeyFileEntry* entry = files_ ? files_->find(name) : nullptr;
  if (entry == nullptr && below_) return nullptr;
  file_answers_.add();
  const engine::KeySetPtr& keys = entry ? entry->keys() : absent_;
  if (recorder_ != nullptr && !recorder_->recorded(name)) {
    // RFC 6376 §6.1.2 answers as the file gave them; metadata kept from a replayed snapshot.
    KeyLineMeta meta = entry ? entry->meta : KeyLineMeta{};
    // A plain key-file line names its origin; a replayed snapshot keeps what it recorded.
    if (meta.server.empty() && !meta.queried) meta.server = entry ? "file:" + entry->origin : "file:";
    recorder_->record(name, recorded_answer(*keys, entry ? entry->txt_values
                                                         : std::vector<std::string>{},
                                            std::move(meta)));
  }
  return keys;
}

engine::KeySetPtr LayeredProvider::lookup(std::string_view name) {
  if (engine::KeySetPtr keys = from_files(name)) return keys;
  return below_->lookup(name);
}

engine::KeySetPtr LayeredProvider::lookup_or_wait(std::string_view name,
                                                  engine::KeyWaiter* waiter) {
  if (engine::KeySetPtr keys = from_files(name)) return keys;
  return below_->lookup_or_wait(name, waiter);
}

}  // namespace dkimscan::cache
