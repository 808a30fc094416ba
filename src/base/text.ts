// Text the databases cannot store the same way. PostgreSQL refuses the NUL
// character (U+0000) in text and jsonb (error 22021, or "unsupported Unicode
// escape sequence"), while SQLite stores it, so it is refused in all input,
// on both, before anything reaches a database.

const NUL = '\u0000';

export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';

/**
 * The path to a string in `value` that contains a NUL character (an object
 * key with one gives its object's path), or null when there is none.
 * Iterative, so any nesting depth is safe to walk.
 */
export function findNul(value: unknown): string[] | null {
  if (typeof value === 'string') return value.includes(NUL) ? [] : null;
  // Each node visited is remembered by its key and its parent's index, so a
  // path is only built for the one reported (copying paths on the way down
  // would be quadratic in the depth).
  const keys: string[] = [];
  const parents: number[] = [];
  const pathOf = (node: number) => {
    const path: string[] = [];
    for (let n = node; n >= 0; n = parents[n]) path.push(keys[n]);
    return path.reverse();
  };
  const stack: [unknown, number][] = [[value, -1]];
  while (stack.length) {
    const [v, node] = stack.pop()!;
    if (typeof v === 'string') return pathOf(node); // only strings with a NUL are pushed
    if (typeof v !== 'object' || v === null) continue;
    const entries = Array.isArray(v) ? v.map((item, i) => [String(i), item] as const) : Object.entries(v);
    // Pushed in reverse, so strings are reported in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      if (key.includes(NUL)) return pathOf(node);
      if (typeof child === 'string' ? !child.includes(NUL) : typeof child !== 'object' || child === null) continue;
      keys.push(key);
      parents.push(node);
      stack.push([child, keys.length - 1]);
    }
  }
  return null;
}
