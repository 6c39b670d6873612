/**
 * Whether two IoT resource patterns (`*`: any characters, `?`: one character, anything else literal)
 * match a common string: a search of the product of the two patterns' automata.
 */
export function globsIntersect(a: string, b: string): boolean {
  const seen = new Set<number>();
  const stack: Array<[number, number]> = [];
  const push = (i: number, j: number) => {
    // A `*` may match nothing: its position and the next are the same state.
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) return;
    seen.add(key);
    stack.push([i, j]);
    if (a[i] === '*') push(i + 1, j);
    if (b[j] === '*') push(i, j + 1);
  };
  push(0, 0);
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (i === a.length && j === b.length) return true;
    if (i === a.length || j === b.length) {
      // One pattern is spent: only if the rest of the other is all `*` (handled by the pushes above).
      continue;
    }
    const x = a[i]!;
    const y = b[j]!;
    // Consume one character that both patterns accept at this state.
    const accepts = x === '*' || y === '*' || x === '?' || y === '?' || x === y;
    if (!accepts) continue;
    push(x === '*' ? i : i + 1, y === '*' ? j : j + 1);
  }
  return false;
}

/** The literal text before a pattern's first wildcard. */
export function literalPrefix(glob: string): string {
  const end = glob.search(/[*?]/);
  return end === -1 ? glob : glob.slice(0, end);
}
