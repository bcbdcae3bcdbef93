/**
 * One kernel operation of a Plan, as TypeScript builds it and src/plan/encode.ts writes it for
 * the addon (wire format in addon/plan.h).
 *
 * `pointer` and `what` never cross into C++: the child reports a failure by op index, and the
 * parent turns it into "mount proc on /proc (config.json /mounts/1): operation not permitted".
 */
export interface PlanOp {
  /** Op kind; 1..99 process and namespaces, 100..199 root filesystem (addon/plan.h). */
  kind: number;
  ints: Array<number | bigint>;
  strs: Array<string | Buffer>;
  /** JSON pointer into config.json of the element this op came from ('' when none). */
  pointer: string;
  /** What the op does, for error messages and `ocirt plan`: "mount proc on /proc". */
  what: string;
}
