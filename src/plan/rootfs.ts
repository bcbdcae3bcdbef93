/**
 * Root filesystem part of the Plan.
 *
 * NOT FINISHED: buildRootfsOps and the child's addon/rootfs*.cc (RunRootfsOp) are not written
 * yet. The option table lives in ./mount-ops.ts. Until the child applies mounts,
 * `features.mountOptions` must list nothing, so this returns an empty list; switch it to
 * tableMountOptions() once RunRootfsOp lands and has integration tests.
 */
export function supportedMountOptions(): string[] {
  return [];
}
