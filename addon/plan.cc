// The plan's wire format (plan.h) into fixed arrays, in the parent, before clone: the child
// only reads them.
#include "plan.h"

#include <string.h>

namespace ocirt {

namespace {

struct Reader {
  const uint8_t* p;
  size_t left;
  bool Take(void* out, size_t n) {
    if (n > left) return false;
    memcpy(out, p, n);
    p += n;
    left -= n;
    return true;
  }
};

void FreeOps(Op* ops, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    delete[] ops[i].ints;
    if (ops[i].strs)
      for (uint16_t j = 0; j < ops[i].nstr; j++) delete[] ops[i].strs[j];
    delete[] ops[i].strs;
    delete[] ops[i].lens;
  }
  delete[] ops;
}

}  // namespace

bool DecodePlan(const uint8_t* buf, size_t len, Plan* out, const char** why) {
  Reader r{buf, len};
  uint32_t magic = 0, version = 0, n = 0;
  out->nops = 0;
  out->ops = nullptr;
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
  Op* ops = new Op[n]();
  for (uint32_t i = 0; i < n; i++) {
    uint16_t head[4];
    Op& op = ops[i];
    if (!r.Take(head, sizeof(head))) {
      *why = "plan: truncated op";
      FreeOps(ops, i);
      return false;
    }
    op.kind = head[0];
    op.nint = head[1];
    op.nstr = 0;
    int64_t* ints = new int64_t[op.nint ? op.nint : 1];
    op.ints = ints;
    if (!r.Take(ints, 8u * op.nint)) {
      *why = "plan: truncated ints";
      FreeOps(ops, i + 1);
      return false;
    }
    char** strs = new char*[head[2] ? head[2] : 1]();
    uint32_t* lens = new uint32_t[head[2] ? head[2] : 1]();
    op.strs = strs;
    op.lens = lens;
    op.nstr = head[2];
    for (uint16_t j = 0; j < head[2]; j++) {
      uint32_t l = 0;
      uint8_t nul = 1;
      if (!r.Take(&l, 4) || l >= r.left) {
        *why = "plan: truncated string";
        FreeOps(ops, i + 1);
        return false;
      }
      char* s = new char[l + 1];
      r.Take(s, l);
      r.Take(&nul, 1);
      s[l] = 0;
      strs[j] = s;
      lens[j] = l;
      if (nul != 0) {
        *why = "plan: string without its NUL";
        FreeOps(ops, i + 1);
        return false;
      }
    }
  }
  if (r.left != 0) {
    *why = "plan: trailing bytes";
    FreeOps(ops, n);
    return false;
  }
  out->nops = n;
  out->ops = ops;
  return true;
}

void FreePlan(Plan* plan) {
  FreeOps(const_cast<Op*>(plan->ops), plan->nops);
  plan->ops = nullptr;
  plan->nops = 0;
}

}  // namespace ocirt
