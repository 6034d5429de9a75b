// File: ingest/repair.h
// Undoing what an archive format may have done to a message, so that a signature that fails on
// the bytes as stored can be retried on what the signer most likely signed. Only reversible,
// format-specific damage is tried: mbox "From " quoting. A pass on a variant is reported as
// "pass after repair: <label>", never as a plain pass. What is not recoverable, and why:
//   * lost trailing whitespace: the count is unknown (relaxed canonicalization ignores it anyway);
//   * LF line ends: not damage, the engine canonicalizes bare LF to CRLF (engine/message.h);
//   * an unquoted "From " line that split a message in two: the halves are separate items.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/key_provider.h"
#include "engine/pipeline.h"
#include "engine/verify.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

struct RepairVariant {
  std::string label;  // for people: "mboxo >From un-quoting (2 lines)"
  std::string bytes;  // the whole repaired message
};

// The parts of a message a repair may touch. After a signature mismatch (the body hash matched)
// only a header edit can help; after a body hash mismatch the header was never checked, so both.
struct RepairScope {
  bool header = true;
  bool body = true;
};

inline constexpr std::size_t kMaxRepairVariants = 8;  // what repair_failed_signatures tries at most

// Candidate repairs of message, most likely first; empty when its container changes nothing
// recoverable inside scope. At most max_variants (all quoted lines at once, then smaller subsets
// when only a few lines are quoted: mboxo also leaves ">From " lines that were quoted in the
// original alone).
std::vector<RepairVariant> repair_variants(std::string_view message, Container container,
                                           RepairScope scope = {}, std::size_t max_variants = kMaxRepairVariants);

// The pipeline's second look (engine::Reverifier): when a signature of item fails (Verdict::fail),
// each variant that touches a part whose check failed is verified; the first that makes a failed
// signature pass, and no passing one fail, replaces the item's bytes and result, and the note
// says "pass after repair: <label>". When none does, the first variant on which a body hash that
// failed as stored matches (the signature then fails on the header) replaces them instead, with
// the note "fail after repair: <label>: ...": the archive changed the body, someone the header.
// LIFETIME: the item then owns the variant through input.storage; input.bytes points into it.
void repair_failed_signatures(engine::PipelineItem& item, engine::VerifyScratch& scratch,
                              const engine::Verifier& verifier, engine::KeyProvider& keys);

// repair_failed_signatures bound to a verifier (which must outlive the pipeline run); the keys
// are the batch's, handed in by the pipeline.
engine::Reverifier make_repair_reverifier(const engine::Verifier& verifier);

}  // namespace dkimscan::ingest
