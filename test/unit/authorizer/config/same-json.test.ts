import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sameJson } from '../../../../functions/authorizer/config/strict-json.ts';

// The rule-set lookup trusts sameJson to say "these claims compile to the same rules" without serializing
// them: it must agree with comparing the JSON texts, on every pair of parsed values.
const parsed = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
const keys = fc.constantFrom('permission', 'action', 'topic', '__proto__', 'constructor', '', '${clientid}', '\ud800', 'a', 'b');
const leaf = fc.oneof(fc.constantFrom(null, true, false, 0, -0, 1, 1.5, '', '0', 'null', 'true', '[]', '{}', '__proto__', '\ud800', '😀'), fc.string());
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.array(fc.tuple(keys, tie('value')), { maxLength: 4 })
    .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`) as unknown),
})).value;

// Small edits of a value: a leaf replaced, an item dropped or added, two keys swapped.
function edit(value: unknown, pick: number): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0) return [pick];
    const i = pick % value.length;
    return pick % 3 === 0 ? value.filter((_, j) => j !== i) : value.map((v, j) => (j === i ? edit(v, pick + 1) : v));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length < 2) return pick % 2 ? { ...value, extra: pick } : [value];
    const [first, second, ...rest] = entries;
    return Object.fromEntries(pick % 2 ? [second!, first!, ...rest] : [first!, [second![0], edit(second![1], pick + 1)], ...rest]);
  }
  return pick % 2 ? String(value) : [value];
}

describe('sameJson', () => {
  it('agrees with comparing the JSON texts: equal copies, small edits and unrelated values', () => {
    fc.assert(fc.property(json, json, fc.nat(), (a, other, pick) => {
      for (const b of [parsed(a), parsed(edit(a, pick)), other]) {
        expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        expect(sameJson(b, a)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }
    }), { numRuns: 3000 });
  });

  it('tells an empty array from an empty object, and a key order from another', () => {
    expect(sameJson([], {})).toBe(false);
    expect(sameJson({}, [])).toBe(false);
    expect(sameJson(JSON.parse('{"a":1,"b":2}'), JSON.parse('{"b":2,"a":1}'))).toBe(false);
    expect(sameJson(JSON.parse('{"__proto__":[1]}'), JSON.parse('{"__proto__":[1]}'))).toBe(true);
    expect(sameJson(JSON.parse('{"__proto__":[1]}'), {})).toBe(false);
  });

  it('walks a value nested deeper than the call stack allows', () => {
    const deep = (n: number) => JSON.parse(`${'['.repeat(n)}1${']'.repeat(n)}`) as unknown;
    expect(sameJson(deep(100_000), deep(100_000))).toBe(true);
    expect(sameJson(deep(100_000), deep(99_999))).toBe(false);
  });
});
