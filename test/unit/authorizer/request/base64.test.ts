import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeStrictBase64 } from '../../../../functions/authorizer/request/base64.ts';

// The definition it implements without re-encoding: what Node decodes, and encodes back to the same text.
const reference = (text: string) => {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
};

describe('decodeStrictBase64', () => {
  it('accepts exactly canonical, padded base64, as encoding the bytes back would tell', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .\n\u0000é');
    const near = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), alphabet).map(([bytes, i, c]) => {
        const text = Buffer.from(bytes).toString('base64');
        return text.slice(0, i % text.length) + c + text.slice((i % text.length) + 1);
      }),
      fc.array(alphabet, { maxLength: 24 }).map((chars) => chars.join('')),
    );
    fc.assert(fc.property(near, (text) => {
      expect(decodeStrictBase64(text)).toEqual(reference(text));
    }), { numRuns: 5000 });
  });

  it.each(['QQ==', 'QUI=', 'QUJD', ''])('decodes %j', (text) => {
    expect(decodeStrictBase64(text)).toEqual(Buffer.from(text, 'base64'));
  });

  it.each(['QR==', 'QUJ=', 'QQ=', 'QQ', 'Q===', 'QUJD\n', 'QU-D', 'QU_D'])('refuses %j', (text) => {
    expect(decodeStrictBase64(text)).toBeUndefined();
  });
});
