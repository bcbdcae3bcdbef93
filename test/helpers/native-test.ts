/**
 * The test-only addon (build/Release/ocirt_test.node): the init's interpreter with the dry-run
 * recorder, never shipped code, so its types live with the tests.
 */
import * as path from 'node:path';

/** One syscall the child made under childDryRun. */
export interface DryRunCall {
  call: string;
  args: number[];
  path?: string;
}
export interface DryRunResult {
  calls: DryRunCall[];
  /** Sync record types the child sent (addon/child.h SyncType), in order. */
  syncs: number[];
  /** exit_group's code, or "exec" when it reached execve. */
  exit: number | 'exec';
  error?: { opIndex: number; errno: number; detail: string; fullMessage: boolean };
}

export interface NativeTest {
  /**
   * Runs the child's interpreter in this process against a recorder (nothing reaches the kernel):
   * the syscalls of the process ops in order; `fail` makes the nth (0: every) call of a name fail.
   */
  childDryRun(plan: Buffer, script?: { fail?: Array<{ call: string; errno: number; nth?: number }> }): DryRunResult;
}

export function nativeTest(): NativeTest {
  return require(path.resolve(__dirname, '../../../build/Release/ocirt_test.node')) as NativeTest;
}
