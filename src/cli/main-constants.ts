/** The runtime-spec version ocirt implements; `--version` and features.json print it. */
export const SPEC_VERSION = '1.3.0';
