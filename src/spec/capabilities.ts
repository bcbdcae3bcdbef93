/**
 * Linux capabilities by name and number. The numbers are contract/contract.json's `caps` (the
 * C++ side static_asserts them against linux/capability.h); this module only orders them.
 */
import { CAPS } from '../plan/contract.gen';

/** The capability names in number order: the index of a name is its number. */
export const CAPABILITIES: readonly string[] = Object.freeze(
  Object.entries(CAPS)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name),
);

/** The number of a capability name ("CAP_SYS_ADMIN" -> 21), or undefined if unknown. */
export function capabilityNumber(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(CAPS, name) ? CAPS[name] : undefined;
}

/** The five sets of process.capabilities, in the order ocirt reports them. */
export const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
