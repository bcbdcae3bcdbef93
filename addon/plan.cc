// The plan's wire format (plan.h) into one block of memory: the parent decodes it to serve the
// child's records, the init (addon/init_main.cc) decodes the same bytes from its sealed memfd.
// Two passes: the first checks the buffer and sizes the block, the second fills it, so the only
// allocation is the caller's `alloc` (operator new in the addon, an anonymous mapping in the
// init, which links no allocator).
#include "plan.h"

namespace ocirt {

namespace {

struct Reader {
  const uint8_t* p;
  size_t left;
  bool Take(void* out, size_t n) {
    if (n > left) return false;
    uint8_t* o = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < n; i++) o[i] = p[i];
    p += n;
    left -= n;
    return true;
  }
  bool Skip(size_t n) {
    if (n > left) return false;
    p += n;
    left -= n;
    return true;
  }
};

constexpr size_t Align8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

}  // namespace

bool DecodePlan(const uint8_t* buf, size_t len, Plan* out, const char** why, void* (*alloc)(size_t)) {
  out->nops = 0;
  out->ops = nullptr;
  out->bytes = 0;
  Reader r{buf, len};
  uint32_t magic = 0, version = 0, n = 0;
  if (!r.Take(&magic, 4) || !r.Take(&version, 4) || !r.Take(&n, 4)) {
    *why = "plan: truncated header";
    return false;
  }
  if (magic != kPlanMagic) {
    *why = "plan: bad magic";
    return false;
  }
  if (version != kPlanVersion) {
    *why = "plan: unknown version";
    return false;
  }
  if (n > 1u << 20) {
    *why = "plan: too many ops";
    return false;
  }
  // Pass 1: validate and count.
  const Reader body = r;
  size_t nints = 0, nstrs = 0, nbytes = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint16_t head[4];
    if (!r.Take(head, sizeof(head))) {
      *why = "plan: truncated op";
      return false;
    }
    if (!r.Skip(8u * head[1])) {
      *why = "plan: truncated ints";
      return false;
    }
    nints += head[1];
    nstrs += head[2];
    for (uint16_t j = 0; j < head[2]; j++) {
      uint32_t l = 0;
      uint8_t nul = 1;
      if (!r.Take(&l, 4) || l >= r.left) {
        *why = "plan: truncated string";
        return false;
      }
      r.Skip(l);
      r.Take(&nul, 1);
      if (nul != 0) {
        *why = "plan: string without its NUL";
        return false;
      }
      nbytes += l + 1;
    }
  }
  if (r.left != 0) {
    *why = "plan: trailing bytes";
    return false;
  }
  // One block: ops, ints (aligned copies), string pointers, lengths, string bytes.
  size_t at_ints = Align8(sizeof(Op) * n);
  size_t at_strs = at_ints + 8 * nints;
  size_t at_lens = at_strs + sizeof(char*) * nstrs;
  size_t at_bytes = at_lens + 4 * nstrs;
  size_t total = Align8(at_bytes + nbytes) + 8;
  uint8_t* block = static_cast<uint8_t*>(alloc(total));
  if (!block) {
    *why = "plan: out of memory";
    return false;
  }
  Op* ops = reinterpret_cast<Op*>(block);
  int64_t* ints = reinterpret_cast<int64_t*>(block + at_ints);
  const char** strs = reinterpret_cast<const char**>(block + at_strs);
  uint32_t* lens = reinterpret_cast<uint32_t*>(block + at_lens);
  char* bytes = reinterpret_cast<char*>(block + at_bytes);
  // Pass 2: fill (the buffer was checked above).
  r = body;
  for (uint32_t i = 0; i < n; i++) {
    uint16_t head[4];
    r.Take(head, sizeof(head));
    Op& op = ops[i];
    op.kind = head[0];
    op.nint = head[1];
    op.nstr = head[2];
    op.ints = ints;
    r.Take(ints, 8u * op.nint);
    ints += op.nint;
    op.strs = strs;
    op.lens = lens;
    for (uint16_t j = 0; j < op.nstr; j++) {
      uint32_t l = 0;
      r.Take(&l, 4);
      r.Take(bytes, l + 1);
      *strs++ = bytes;
      *lens++ = l;
      bytes += l + 1;
    }
  }
  out->nops = n;
  out->ops = ops;
  out->bytes = total;
  return true;
}

}  // namespace ocirt
