/**
 * JSON.parse, refusing an object that names a key twice: JSON.parse keeps the last, so
 * `{"sub":"${clientid}","sub":"%u"}` would silently drop the first check (RFC 8259 §4: names SHOULD be unique).
 * @throws SyntaxError for bad JSON or a repeated key (the message names the key)
 */
export function parseStrictJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const repeated = firstRepeatedKey(text);
  if (repeated !== undefined) throw new SyntaxError(`the key ${JSON.stringify(repeated)} appears twice in one object`);
  return value;
}

// Scans text that JSON.parse has accepted, so only strings and brackets need telling apart. Keys are compared
// decoded: "a" and "\u0061" are the same name.
function firstRepeatedKey(text: string): string | undefined {
  const objects: Array<Set<string> | undefined> = []; // undefined: an array
  let expectingKey = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = objects.at(-1);
      if (expectingKey && keys !== undefined) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
      }
      i = end;
    } else if (c === '{') {
      objects.push(new Set());
      expectingKey = true;
    } else if (c === '[') {
      objects.push(undefined);
    } else if (c === '}' || c === ']') {
      objects.pop();
    } else if (c === ',') {
      expectingKey = objects.at(-1) !== undefined;
    }
  }
  return undefined;
}

/**
 * Whether two values parsed from JSON would serialize to the same text: the same types, the same array
 * items, the same keys in the same order with the same values. Walked with an explicit stack, without
 * serializing either, and stopping at the first difference.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const pending: unknown[] = [a, b];
  while (pending.length > 0) {
    const y = pending.pop();
    const x = pending.pop();
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i += 1) pending.push(x[i], y[i]);
      continue;
    }
    if (Array.isArray(y)) return false;
    const xKeys = Object.keys(x);
    const yKeys = Object.keys(y);
    if (xKeys.length !== yKeys.length) return false;
    for (let i = 0; i < xKeys.length; i += 1) {
      if (xKeys[i] !== yKeys[i]) return false;
      pending.push((x as Record<string, unknown>)[xKeys[i]!], (y as Record<string, unknown>)[yKeys[i]!]);
    }
  }
  return true;
}
