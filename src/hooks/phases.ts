/** The hook phases of runtime-spec 1.3, in the order a container meets them. */
export const HOOK_PHASES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
