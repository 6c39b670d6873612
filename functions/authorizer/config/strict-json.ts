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
