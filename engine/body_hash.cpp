// File: body_hash.cpp
// bh= (RFC 6376 §3.7): the body canonicalized straight into the hash in one pass; l= cuts what
// is hashed, while canonical_length reports the whole canonical body (§3.5 l=, §8.2).
#include "engine/body_hash.h"

#include "engine/canon.h"

namespace dkimscan::engine {

namespace {

// Walks the edits in order, carrying one canonicalizer and digest along; where some variants take
// an edit and others do not, it forks both (a copy of the digest state) and goes down each way.
class VariantHashing {
 public:
  VariantHashing(std::string_view body, std::span<const BodyEdit> edits, std::span<const std::uint64_t> masks,
                 std::span<BodyHash> out) noexcept
      : body_(body), edits_(edits), masks_(masks), out_(out) {}

  // The variants whose masks agree with prefix on edits [0, i): fed is where body bytes resume.
  void descend(std::size_t i, std::size_t fed, std::uint64_t prefix, Digest& digest, BodyCanonicalizer& canon) {
    if (i == edits_.size()) {
      canon.feed(body_.substr(fed));
      canon.finish();
      BodyHash hash;
      hash.size = digest.finish(hash.digest);
      hash.canonical_length = canon.total_length();
      for (std::size_t k = 0; k < masks_.size(); ++k) {
        if (masks_[k] == prefix) out_[k] = hash;
      }
      return;
    }
    const BodyEdit& edit = edits_[i];
    canon.feed(body_.substr(fed, edit.at - fed));
    const std::uint64_t bit = std::uint64_t{1} << i;
    const bool take = wanted(prefix, i, true), skip = wanted(prefix, i, false);  // at least one
    if (take && skip) {
      canon.flush_to_sink();
      Digest fork_digest;
      fork_digest.copy_from(digest);
      BodyCanonicalizer fork(canon, fork_digest);
      descend(i + 1, apply(edit, fork), prefix | bit, fork_digest, fork);
      descend(i + 1, edit.at, prefix, digest, canon);
    } else if (take) {
      descend(i + 1, apply(edit, canon), prefix | bit, digest, canon);
    } else {
      descend(i + 1, edit.at, prefix, digest, canon);
    }
  }

 private:
  // Whether some variant agrees with prefix on edits [0, i) and takes edit i (or not).
  bool wanted(std::uint64_t prefix, std::size_t i, bool taken) const noexcept {
    const std::uint64_t below = (std::uint64_t{1} << i) - 1;  // i < 64
    for (const std::uint64_t mask : masks_) {
      if ((mask & below) == prefix && ((mask >> i) & 1) == (taken ? 1u : 0u)) return true;
    }
    return false;
  }

  // Feeds the edit itself; returns where the body resumes after it.
  static std::size_t apply(const BodyEdit& edit, BodyCanonicalizer& canon) noexcept {
    if (edit.remove) return edit.at + 1;
    canon.feed(std::string_view(&edit.insert, 1));
    return edit.at;
  }

  std::string_view body_;
  std::span<const BodyEdit> edits_;
  std::span<const std::uint64_t> masks_;
  std::span<BodyHash> out_;
};

}  // namespace

BodyHash compute_body_hash(std::string_view body, const BodyHashKey& key, Digest& digest) noexcept {
  BodyHash result;
  digest.begin(key.hash);
  BodyCanonicalizer canon(key.canon, digest, key.length);
  canon.feed(body);
  canon.finish();
  result.size = digest.finish(result.digest);
  result.canonical_length = canon.total_length();
  return result;
}

void compute_variant_body_hashes(std::string_view body, std::span<const BodyEdit> edits,
                                 std::span<const std::uint64_t> masks, const BodyHashKey& key,
                                 std::span<BodyHash> out) {
  if (masks.empty()) return;
  Digest digest;
  digest.begin(key.hash);
  BodyCanonicalizer canon(key.canon, digest, key.length);
  VariantHashing(body, edits, masks, out).descend(0, 0, 0, digest, canon);
}

}  // namespace dkimscan::engine
