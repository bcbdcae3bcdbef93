// The Plan as the child sees it: a flat list of ops decoded once, in the parent, before clone.
//
// Wire format written by src/plan/encode.ts (little-endian, no alignment promised):
//   u32 magic 0x5049434f ("OCIP"), u32 version (kContractHash), u32 op count
//   each op: u16 kind, u16 nint, u16 nstr, u16 reserved,
//            nint x i64,
//            nstr x (u32 length, bytes, one '\0' not counted in length)
// A string is a byte blob with a length (a seccomp program is one); the trailing '\0' lets
// the child pass it to syscalls directly. The JSON pointer and the human description of
// each op stay in TypeScript: the child reports failures by op index only.
//
// Op kinds (contract/contract.json):
//   1..99    namespaces, ids, process setup, exec  (addon/child_*.cc)
//   100..199 root filesystem                         (addon/rootfs*.cc)
//   200..255 reserved
#pragma once
#include <cstddef>
#include <cstdint>
#include "contract.gen.h"

namespace ocirt {

constexpr uint32_t kPlanMagic = 0x5049434f;
// The contract the plan was encoded against (its hash): a plan from another build is refused.
constexpr uint32_t kPlanVersion = kContractHash;

struct Op {
  uint16_t kind;
  uint16_t nint;
  uint16_t nstr;
  const int64_t* ints;      // nint values, aligned copies
  const char* const* strs;  // nstr NUL-terminated blobs
  const uint32_t* lens;     // their lengths without the NUL
};

struct Plan {
  uint32_t nops;
  const Op* ops;  // the start of the one block `alloc` gave (`bytes` long)
  size_t bytes;
};

// Decodes `buf` into a Plan whose arrays all live in one block from `alloc` (the caller frees
// `ops` as it allocated it). Returns false and sets `*why` on a malformed buffer.
bool DecodePlan(const uint8_t* buf, size_t len, Plan* out, const char** why, void* (*alloc)(size_t));

// Accessors that never read out of range: a missing int is `def`, a missing string is "".
inline int64_t OpInt(const Op& op, unsigned i, int64_t def = 0) { return i < op.nint ? op.ints[i] : def; }
inline const char* OpStr(const Op& op, unsigned i) { return i < op.nstr ? op.strs[i] : ""; }
inline uint32_t OpLen(const Op& op, unsigned i) { return i < op.nstr ? op.lens[i] : 0; }

}  // namespace ocirt
