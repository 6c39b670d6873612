import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { principalIdFor } from '../../../../functions/authorizer/policy/principal.ts';

const IOT_PRINCIPAL = /^[A-Za-z0-9]{1,128}$/;

describe('principalIdFor', () => {
  it('keeps an alphanumeric subject', () => {
    expect(principalIdFor('device42')).toBe('device42');
  });

  it.each(['user@x', 'a-b', 'ab', '', 'ü', 'x'.repeat(500)])('gives IoT a valid principal for %j', (sub) => {
    expect(principalIdFor(sub)).toMatch(IOT_PRINCIPAL);
  });

  it('keeps the readable part of a subject and tells similar subjects apart', () => {
    expect(principalIdFor('user@x')).toMatch(/^userx[0-9a-f]{32}$/);
    expect(principalIdFor('a-b')).not.toBe(principalIdFor('ab'));
    expect(principalIdFor('a-b')).not.toBe(principalIdFor('a_b'));
  });

  it('always answers a valid principal, the same for the same subject, different for different ones', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), fc.string({ maxLength: 300, unit: 'binary' }), (a, b) => {
      expect(principalIdFor(a)).toMatch(IOT_PRINCIPAL);
      expect(principalIdFor(a)).toBe(principalIdFor(a));
      if (a !== b) expect(principalIdFor(a)).not.toBe(principalIdFor(b));
    }), { numRuns: 500 });
  });
});
