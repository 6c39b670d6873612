// The README's configuration examples are read by the function's own parser: a documented example that
// stops working fails here.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../functions/authorizer/config/config.ts';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe('README examples', () => {
  it('the two-issuer issuers.json loads, with its roles', () => {
    const block = /in `issuers\.json`:\n\n```json\n([\s\S]*?)\n```/.exec(README)?.[1];
    expect(block, 'the issuers.json example').toBeDefined();
    const config = parseConfig({ JWT_ISSUERS: block! });
    expect(config.profiles.map((p) => p.issuer)).toEqual(['https://devices.example.com', 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI']);
    expect([...config.profiles[1]!.roles!.rules.keys()]).toEqual(['operators', 'viewers']);
    expect(config.profiles[1]!.roles!.claim).toEqual(['cognito:groups']);
  });
});
