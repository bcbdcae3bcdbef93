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
  kOpMkdirInRoot = 112,
};

// Bits of a Mount op's ints[4] (MountBits in mount-ops.ts).
enum MountBits : uint32_t {
  kMountBind = 0x1,
  kMountNoSymlinks = 0x2,
  kMountDeferRo = 0x4,
  kMountFallback = 0x8,
  kMountTmpfsInheritMode = 0x10,
  kMountMayTargetProc = 0x20,
  kMountIdmap = 0x40,  // ints[5]: a user namespace fd for MOUNT_ATTR_IDMAP
  kMountIdmapRecursive = 0x80,
  kMountTmpcopyup = 0x100,
  kMountSourceFd = 0x200,  // ints[5]: a detached tree of the bind source, opened by ocirt
};

// ints[0] of a Pivot op (PivotMode in mount-ops.ts).
enum PivotMode : uint32_t {
  kPivotRoot = 0,
  kPivotMoveChroot = 1,
  kPivotChrootOnly = 2,
};

}  // namespace ocirt
