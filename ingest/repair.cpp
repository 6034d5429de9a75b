// File: ingest/repair.cpp
// mbox quoting is the one archive change that is both common and exactly reversible once we know
// which lines it touched: mboxo/mboxcl writers turn "From " into ">From " (so one '>' may be
// removed), and an mboxrd reader removes one '>' (so one may be put back). Which lines were
// touched is unknown, so all of them are tried first, then every subset when there are few.
#include "ingest/repair.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "engine/body_hash.h"
#include "engine/message.h"
#include "engine/signature.h"
#include "ingest/find_text.h"

namespace dkimscan::ingest {

namespace {

constexpr std::size_t kMaxSubsetLines = 3;  // 2^3 - 1 variants at most

// Starts of the lines that match ">From " (exactly one '>': what mboxo quoting produces).
std::vector<std::size_t> mboxo_quoted_lines(std::string_view m) {
  std::vector<std::size_t> lines;
  std::size_t search = 0;
  while (search < m.size()) {
    const char* hit = find_text(m, search, ">From ");
    if (hit == nullptr) break;
    const std::size_t k = static_cast<std::size_t>(hit - m.data());
    if (k == 0 || m[k - 1] == '\n') lines.push_back(k);
    search = k + 1;
  }
  return lines;
}

// Starts of the lines that match ">*From " after the header (what an mboxrd reader un-quoted;
// no header line starts with "From ", and the first line never does).
std::vector<std::size_t> mboxrd_unquoted_lines(std::string_view m) {
  std::vector<std::size_t> lines;
  std::size_t line = m.find('\n');  // the first line is a header field, never a From line
  while (line != std::string_view::npos && ++line < m.size()) {
    std::size_t j = line;
    while (j < m.size() && m[j] == '>') ++j;
    if (m.substr(j, 5) == "From ") lines.push_back(line);
    line = m.find('\n', line);
  }
  return lines;
}

// One repair to try, before its bytes are made: one '>' removed (remove) or added (!remove) at
// each line start in lines.
struct VariantPlan {
  std::string label;
  std::vector<std::size_t> lines;
  bool remove = false;
};

std::string rewrite(std::string_view m, const VariantPlan& plan) {
  std::string out;
  out.reserve(m.size() + plan.lines.size());
  std::size_t copied = 0;
  for (const std::size_t line : plan.lines) {
    out.append(m.substr(copied, line - copied));
    copied = line;
    if (plan.remove) ++copied;  // skip the '>'
    else out.push_back('>');
  }
  out.append(m.substr(copied));
  return out;
}

// Offset of the body as the engine splits the message, so that the header is exactly what a
// header hash can cover: just past the first empty line, or the end when there is none.
std::size_t body_offset(std::string_view m) {
  engine::ParsedMessage parsed;
  parsed.split(m);
  return static_cast<std::size_t>(parsed.body().data() - m.data());
}

// Keeps the line starts that lie in a part scope allows.
std::vector<std::size_t> in_scope(std::vector<std::size_t> lines, std::string_view m, RepairScope scope) {
  if (scope.header && scope.body) return lines;
  const std::size_t body = body_offset(m);
  std::erase_if(lines, [&](std::size_t k) { return k < body ? !scope.header : !scope.body; });
  return lines;
}

std::string count_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " line)" : " lines)"); }

void add_plans(const std::vector<std::size_t>& lines, bool remove, const std::string& what, std::size_t max_variants,
               std::vector<VariantPlan>& out) {
  if (lines.empty()) return;
  out.push_back({what + " (" + count_text(lines.size()), lines, remove});
  if (lines.size() < 2 || lines.size() > kMaxSubsetLines) return;
  const unsigned all = (1u << lines.size()) - 1;
  for (unsigned mask = all - 1; mask > 0 && out.size() < max_variants; --mask) {
    VariantPlan& plan = out.emplace_back();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (mask & (1u << i)) plan.lines.push_back(lines[i]);
    }
    plan.label = what + " (" + count_text(plan.lines.size());
    plan.remove = remove;
  }
}

// Candidate repairs of message, most likely first (see repair_variants()).
std::vector<VariantPlan> plan_variants(std::string_view message, Container container, RepairScope scope,
                                       std::size_t max_variants) {
  std::vector<VariantPlan> out;
  if (!scope.header && !scope.body) return out;
  switch (container) {
    case Container::file:    // a message saved out of an mboxo store often keeps the quoting
    case Container::mboxo:
    case Container::mboxcl:  // mboxcl quotes like mboxo
      add_plans(in_scope(mboxo_quoted_lines(message), message, scope), true, "mboxo >From un-quoting", max_variants,
                out);
      break;
    case Container::mboxrd:  // read as mboxrd, but the writer may have quoted like mboxo
      add_plans(in_scope(mboxrd_unquoted_lines(message), message, scope), false, "mboxrd un-quoting undone",
                max_variants, out);
      break;
    case Container::mboxcl2:  // no quoting at all
      break;
  }
  if (out.size() > max_variants) out.resize(max_variants);
  return out;
}

// Which plans can change a verdict, so that only those are built and verified. A signature that
// failed on its body hash passes, or fails on its header instead, only on a variant whose body
// hashes to its bh=. So when every failed signature failed that way, a plan is worth verifying
// only if its body hashes to one of their bh= values; compute_variant_body_hashes() finds out,
// hashing the body before each quoted line once for all plans instead of once per plan (a
// tampered body with three quoted lines used to be hashed seven times more).
//
// The signatures are those that verify() parsed into scratch for this message just before; that
// is checked (scratch's body must be the tail of the item's bytes). Otherwise, or when a failure
// was on the header, every plan is worth verifying.
std::vector<char> worth_verifying(const engine::PipelineItem& item, const engine::VerifyScratch& scratch,
                                  std::size_t max_signatures, const std::vector<VariantPlan>& plans) {
  std::vector<char> worth(plans.size(), 1);
  const std::string_view bytes = item.input.bytes;
  const std::string_view body = scratch.message.body();
  const bool same_message = body.data() >= bytes.data() && body.data() + body.size() == bytes.data() + bytes.size();
  if (!same_message) return worth;
  std::vector<const engine::Signature*> failed;
  const auto& results = item.result.signatures;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].verdict != engine::Verdict::fail) continue;
    if (results[i].reason != engine::Reason::body_hash_mismatch) return worth;
    if (i >= max_signatures || i >= scratch.signatures.size()) return worth;  // not parsed into scratch
    failed.push_back(&scratch.signatures[i]);
  }
  if (failed.empty()) return worth;
  // The body lines any plan changes: the first plan changes them all.
  const auto body_at = static_cast<std::size_t>(body.data() - bytes.data());
  std::vector<engine::BodyEdit> edits;
  for (const std::size_t line : plans.front().lines) {
    if (line >= body_at) edits.push_back({line - body_at, plans.front().remove, '>'});
  }
  if (edits.size() > 64) return worth;
  std::vector<std::uint64_t> masks;
  for (const VariantPlan& plan : plans) {
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < edits.size(); ++i) {
      if (std::binary_search(plan.lines.begin(), plan.lines.end(), edits[i].at + body_at)) mask |= std::uint64_t{1} << i;
    }
    masks.push_back(mask);
  }
  std::fill(worth.begin(), worth.end(), 0);
  std::vector<engine::BodyHash> hashes(plans.size());
  std::vector<engine::BodyHashKey> done;  // one round of hashing per (c, a, l), as verify() does
  for (const engine::Signature* sig : failed) {
    const engine::BodyHashKey key = engine::body_hash_key(*sig);
    if (std::find(done.begin(), done.end(), key) != done.end()) continue;
    done.push_back(key);
    engine::compute_variant_body_hashes(body, edits, masks, key, hashes);
    for (const engine::Signature* target : failed) {
      if (engine::body_hash_key(*target) != key) continue;
      for (std::size_t k = 0; k < plans.size(); ++k) {
        const auto bh = std::span(target->bh).first(target->bh_size);
        if (hashes[k].size == bh.size() && std::equal(bh.begin(), bh.end(), hashes[k].digest.begin())) worth[k] = 1;
      }
    }
  }
  return worth;
}

// What a repair may touch and still help. A signature whose body hash matched but whose signature
// did not verify failed on its header: only header repairs can help, and a body one would break
// the body hash. One whose body hash failed had its header never checked (§6.1.3 stops at the
// body hash), so the header may be damaged too ("From :" quoted as ">From :" by an mboxo writer):
// both parts. Other failures (none today) leave both in scope.
RepairScope failed_parts(const engine::MessageResult& r) {
  RepairScope scope{false, false};
  for (const auto& s : r.signatures) {
    if (s.verdict != engine::Verdict::fail) continue;
    if (s.reason == engine::Reason::body_hash_mismatch) {
      scope.body = true;
      scope.header = true;
    } else if (s.reason == engine::Reason::signature_mismatch) {
      scope.header = true;
    } else {
      return RepairScope{};
    }
  }
  return scope;
}

// The variant helps: a signature that failed passes, and none that passed stops passing.
bool repairs(const engine::MessageResult& before, const engine::MessageResult& after) {
  if (before.signatures.size() != after.signatures.size()) return false;
  bool fixed = false;
  for (std::size_t i = 0; i < before.signatures.size(); ++i) {
    const auto was = before.signatures[i].verdict, now = after.signatures[i].verdict;
    if (was == engine::Verdict::pass && now != engine::Verdict::pass) return false;
    if (was == engine::Verdict::fail && now == engine::Verdict::pass) fixed = true;
  }
  return fixed;
}

// The variant explains a failure without curing it: a signature whose body hash failed as stored
// has a matching body hash on the variant (it fails on its header now), none passes that did not,
// and none that passed stops passing. The stored reason, "the body was changed", would then blame
// the body for what the archive did; the variant's says where the message really differs.
bool locates_damage(const engine::MessageResult& before, const engine::MessageResult& after) {
  if (before.signatures.size() != after.signatures.size()) return false;
  bool located = false;
  for (std::size_t i = 0; i < before.signatures.size(); ++i) {
    const engine::SignatureResult &was = before.signatures[i], &now = after.signatures[i];
    if ((was.verdict == engine::Verdict::pass) != (now.verdict == engine::Verdict::pass)) return false;
    located = located || (was.reason == engine::Reason::body_hash_mismatch &&
                          now.reason == engine::Reason::signature_mismatch);
  }
  return located;
}

}  // namespace

std::vector<RepairVariant> repair_variants(std::string_view message, Container container, RepairScope scope,
                                           std::size_t max_variants) {
  std::vector<RepairVariant> out;
  for (const VariantPlan& plan : plan_variants(message, container, scope, max_variants)) {
    out.push_back({plan.label, rewrite(message, plan)});
  }
  return out;
}

void repair_failed_signatures(engine::PipelineItem& item, engine::VerifyScratch& scratch,
                              const engine::Verifier& verifier, engine::KeyProvider& keys) {
  const RepairScope scope = failed_parts(item.result);  // nothing in scope when nothing failed
  // The first variant that locates the damage without curing it; used if none cures it.
  std::shared_ptr<const std::string> located_bytes;
  engine::MessageResult located_result;
  std::string located_label;
  const std::vector<VariantPlan> plans = plan_variants(item.input.bytes, item.input.container, scope, kMaxRepairVariants);
  if (plans.empty()) return;
  const std::vector<char> worth = worth_verifying(item, scratch, verifier.options().max_signatures, plans);
  for (std::size_t k = 0; k < plans.size(); ++k) {
    if (!worth[k]) continue;
    // LIFETIME: the result's views point into *owned, which the item keeps if this variant wins.
    auto owned = std::make_shared<const std::string>(rewrite(item.input.bytes, plans[k]));
    engine::MessageResult result;
    verifier.verify(*owned, keys, scratch, result);
    if (repairs(item.result, result)) {
      item.result = std::move(result);
      item.input.bytes = *owned;
      item.input.storage = std::move(owned);
      item.note = "pass after repair: " + plans[k].label;
      return;
    }
    if (!located_bytes && locates_damage(item.result, result)) {
      located_bytes = std::move(owned);
      located_result = std::move(result);
      located_label = plans[k].label;
    }
  }
  if (located_bytes) {
    item.result = std::move(located_result);
    item.input.bytes = *located_bytes;
    item.input.storage = std::move(located_bytes);
    item.note = "fail after repair: " + located_label + ": the body is as signed, a signed header field is not";
  }
}

engine::Reverifier make_repair_reverifier(const engine::Verifier& verifier) {
  return [&verifier](engine::PipelineItem& item, engine::KeyProvider& keys, engine::VerifyScratch& scratch) {
    repair_failed_signatures(item, scratch, verifier, keys);
  };
}

}  // namespace dkimscan::ingest
