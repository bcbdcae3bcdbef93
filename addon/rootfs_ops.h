// Root filesystem op kinds; the same numbers as RootfsOp in src/plan/mount-ops.ts.
// The int/string layout of each op is documented there.
#pragma once
#include <cstdint>

namespace ocirt {

enum RootfsOpKind : uint16_t {
  kOpOpenRootfs = 100,
  kOpRootPropagation = 101,
  kOpMount = 102,
  kOpDevice = 103,
  kOpSymlink = 104,
  kOpMaskPath = 105,
  kOpReadonlyPath = 106,
  kOpPivot = 107,
  kOpRootReadonly = 108,
  kOpHostname = 109,
  kOpDomainname = 110,
  kOpSysctl = 111,
};

}  // namespace ocirt
