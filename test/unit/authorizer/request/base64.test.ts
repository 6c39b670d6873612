import { describe, expect, it } from 'vitest';
import { decodeStrictBase64 } from '../../../../functions/authorizer/request/base64.ts';

describe('decodeStrictBase64', () => {
  it.each(['QQ==', 'QUI=', 'QUJD', ''])('decodes %j', (text) => {
    expect(decodeStrictBase64(text)).toEqual(Buffer.from(text, 'base64'));
  });

  // Non-canonical trailing bits, missing or extra padding, other alphabets, whitespace: all refused.
  it.each(['QR==', 'QUJ=', 'QQ=', 'QQ', 'Q===', 'QUJD\n', 'QU-D', 'QU_D', 'QU JD', '=QUJ'])('refuses %j', (text) => {
    expect(decodeStrictBase64(text)).toBeUndefined();
  });
});
