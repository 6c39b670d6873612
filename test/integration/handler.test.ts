// The middy handler in-process, configured from the environment as Lambda would.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asymmetricSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { connectEvent, lambdaContext } from '../../local/iot-event.ts';
import { expectValidIotResponse } from '../helpers/iot-response.ts';

type Handler = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
let handler: Handler;
let signer: Signer;

beforeAll(async () => {
  signer = await asymmetricSigner('EdDSA');
  vi.stubEnv('JWT_JWKS', JSON.stringify(jwksOf(signer)));
  vi.resetModules();
  ({ handler } = (await import('../../functions/authorizer/handler.ts')) as unknown as { handler: Handler });
});
afterAll(() => vi.unstubAllEnvs());

describe('handler', () => {
  it('allows a good token', async () => {
    const event = connectEvent({ password: await mint(signer, { sub: 'd1' }), clientId: 'd1', username: 'u' });
    const response = await handler(event, lambdaContext());
    expect(response).toMatchObject({ isAuthenticated: true, principalId: 'd1' });
  });

  it.each([
    ['no context at all', undefined],
    ['a context without a function ARN', { awsRequestId: 'x' }],
  ])('answers a valid deny, never an error, given %s', async (_name, context) => {
    const event = connectEvent({ password: await mint(signer, {}), clientId: 'd1' });
    const response = await handler(event, context);
    expectValidIotResponse(response as never);
    expect(response.isAuthenticated).toBe(false);
  });
});
