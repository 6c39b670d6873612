import { parseProfile } from '../../../helpers/config-problems.ts';
// The registered-claim checks that replaced jose's jwtVerify claim validation decide as jose does, code for
// code, for any iss, aud, exp, nbf and iat against any issuer and audience settings.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { toDenied } from '../../../../functions/authorizer/deny.ts';
import { denyCodeOf } from '../../../helpers/jose-codes.ts';
import { checkRegisteredClaims } from '../../../../functions/authorizer/verify/registered-claims.ts';
import { asymmetricSigner, jwksOf } from '../../../helpers/keys.ts';

const NOW = 1_800_000_000;

describe('checkRegisteredClaims', () => {
  it('agrees with jose on iss, aud, the required claims and the time claims', async () => {
    const secret = randomBytes(32);
    const jwks = JSON.stringify(jwksOf(await asymmetricSigner('ES256')));
    const time = fc.option(fc.integer({ min: NOW - 4000, max: NOW + 4000 }), { nil: undefined });
    const name = fc.constantFrom('a', 'b', 'c');
    await fc.assert(fc.asyncProperty(
      fc.record({
        iss: fc.option(name, { nil: undefined }), aud: fc.option(fc.oneof(name, fc.array(name, { maxLength: 3 })), { nil: undefined }),
        exp: time, nbf: time, iat: time,
      }),
      fc.option(fc.subarray(['a', 'b'], { minLength: 1 }), { nil: undefined }), fc.option(fc.subarray(['a', 'c'], { minLength: 1 }), { nil: undefined }),
      fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
      async (claims, issuers, audiences, requireExp, skew, maxAge) => {
        const config = parseProfile({
          JWT_JWKS: jwks, JWT_CLOCK_SKEW_SECONDS: String(skew), JWT_REQUIRE_EXP: String(requireExp),
          ...(issuers && { JWT_ISSUER: issuers.join(',') }), ...(audiences && { JWT_AUDIENCE: audiences.join(',') }),
          ...(maxAge !== undefined && { JWT_MAX_AGE_SECONDS: String(maxAge) }),
        });
        const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
        const ours = (() => { try { checkRegisteredClaims(payload, config, NOW * 1000); return 'OK'; } catch (err) { return toDenied(err).code; } })();
        const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(secret);
        const jose = await jwtVerify(token, secret, {
          currentDate: new Date(NOW * 1000), clockTolerance: skew, requiredClaims: requireExp ? ['exp'] : [],
          ...(issuers && { issuer: issuers }), ...(audiences && { audience: audiences }), ...(maxAge !== undefined && { maxTokenAge: maxAge }),
        }).then(() => 'OK', (err) => denyCodeOf(err));
        // One difference on purpose: a token issued in the future is refused here even without a maximum age.
        if (jose === 'OK' && claims.iat !== undefined && claims.iat > NOW + skew) expect(ours).toBe('TOKEN_NOT_YET_VALID');
        else expect(ours).toBe(jose);
      },
    ), { numRuns: 400 });
  });
});
