/** JSON pointers (RFC 6901): what every message that names a place in config.json is built with. */

/** Escapes one reference token for a JSON pointer (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.indexOf('~') < 0 && token.indexOf('/') < 0 ? token : token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerJoin(base: string, token: string | number): string {
  return `${base}/${typeof token === 'number' ? token : escapePointerToken(token)}`;
}

/** Splits a JSON pointer into its unescaped reference tokens. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => (t.indexOf('~') < 0 ? t : t.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/** The value at a pointer, or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  let v: any = root;
  for (const t of pointerTokens(pointer)) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, t)) return undefined;
    v = v[t];
  }
  return v;
}
