import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { coverFilter, translateFilter } from '../../../../functions/authorizer/rules/topic-globs.ts';
import { globsIntersect } from '../../../../functions/authorizer/rules/glob.ts';

describe('translateFilter', () => {
  it.each([
    ['a/b', 'topics', ['a/b'], [], true],
    ['a/#', 'topics', ['a', 'a/*'], [], true],
    ['#', 'topics', ['*'], ['$*'], true],
    ['a/+/c', 'topics', ['a/*/c'], ['a/*/*/c'], true],
    ['+/t', 'topics', ['*/t'], ['*/*/t', '$*/t'], true],
    ['a/+/#', 'topics', ['a/*'], [], true],
    ['+/#', 'topics', ['*'], ['$*'], true],
    ['a/+/b/#', 'topics', ['a/*/b', 'a/*/b/*'], ['a/*/*/b', 'a/*/*/b/*'], false],
    ['a/+', 'filters', ['a/*'], ['a/*/*', 'a/#'], true],
    ['a/+/#', 'filters', ['a/*'], ['a/#'], true],
    ['a/+/+/#', 'filters', ['a/*/*'], ['a/#', 'a/*/#'], false],
    ['+/#', 'filters', ['*'], ['$*'], true],
    ['#', 'filters', ['*'], ['$*'], true],
  ] as const)('%s as %s: allow %j except %j (exact: %s)', (filter, domain, allow, carve, exact) => {
    expect(translateFilter(filter, domain)).toEqual({ allow, carve, exact });
  });

  it.each(['a/*', 'a/?', 'a/${iot:ClientId}', 'a/$(x)'])('has no form for the literal %s', (filter) => {
    expect(translateFilter(filter, 'topics')).toBeUndefined();
  });
});

describe('coverFilter', () => {
  it.each([
    ['a/b', ['a/b'], true],
    ['a/#', ['a', 'a/*'], true],
    ['a/+/c', ['a/*/c'], false],
    ['#', ['*'], false],
    ['a/*', ['a/*'], false],
    ['a/${x}', ['a/*'], false],
  ])('covers %s with %j (exact: %s)', (filter, patterns, exact) => {
    expect(coverFilter(filter)).toEqual({ patterns, exact });
  });
});

describe('globsIntersect', () => {
  it.each([
    ['a/*', 'a/b', true], ['a/*/c', 'a/*/*/c', true], ['a/b', 'a/c', false], ['*', '$*', true], ['a/?', 'a/bc', false],
    ['a*', '*b', true], ['abc', 'a?c', true], ['a/*/c', 'b/*', false], ['$*/t', 'a/*', false], ['*/*/*', 'a/b', false],
    ['a/*', 'a', false], ['*', '', true], ['?', '', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(globsIntersect(a, b)).toBe(expected);
    expect(globsIntersect(b, a)).toBe(expected);
  });

  it('agrees with brute force over short strings', () => {
    const alphabet = ['a', '/', '$'];
    const strings = [''];
    for (let n = 1; n <= 6; n += 1) for (const s of strings.filter((x) => x.length === n - 1)) for (const c of alphabet) strings.push(s + c);
    const toRegExp = (g: string) => new RegExp(`^${g.replace(/[$/]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
    const glob = fc.array(fc.constantFrom('a', '/', '$', '*', '?'), { maxLength: 3 }).map((cs) => cs.join(''));
    fc.assert(fc.property(glob, glob, (a, b) => {
      const witness = strings.some((s) => toRegExp(a).test(s) && toRegExp(b).test(s));
      // Two globs of up to 3 symbols that intersect share a witness no longer than their 6 non-`*` symbols.
      expect(globsIntersect(a, b)).toBe(witness);
    }), { numRuns: 1000 });
  });
});
