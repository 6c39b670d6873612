import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_TOKEN_BYTES, readConnectRequest } from '../../../../functions/authorizer/request/connect-request.ts';
import { Denied } from '../../../../functions/authorizer/deny.ts';
import { connectEvent } from '../../../../local/iot-event.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(Denied);
    return (err as Denied).code;
  }
};

describe('readConnectRequest', () => {
  it('decodes the base64 password and strips the authorizer query from the username', () => {
    const event = connectEvent({ password: 'a.b.c', username: 'dev-42', clientId: 'dev-42', authorizerName: 'JwtAuthorizer', connectionId: 'c1' });
    expect(event.protocolData.mqtt.username).toBe('dev-42?x-amz-customauthorizer-name=JwtAuthorizer');
    expect(readConnectRequest(event, 'password')).toEqual({ token: 'a.b.c', clientId: 'dev-42', username: 'dev-42', connectionId: 'c1' });
  });

  it('takes the token from the username, without the query IoT SDKs append', () => {
    const event = connectEvent({ username: 'h.p.s', clientId: 'c', authorizerName: 'A' });
    event.protocolData.mqtt.username += '&SDK=NodeJSv2&Version=1.2.3';
    expect(readConnectRequest(event, 'username')).toMatchObject({ token: 'h.p.s', username: 'h.p.s' });
  });

  it('leaves the client id undefined when the device sent none', () => {
    expect(readConnectRequest(connectEvent({ password: 't.t.t' }), 'password').clientId).toBeUndefined();
  });

  it.each([
    ['no event', undefined, 'TOKEN_MISSING'],
    ['no protocolData', { connectionMetadata: { id: 'x' } }, 'TOKEN_MISSING'],
    ['no mqtt data (test-invoke with --token only)', { token: 'x', protocolData: {} }, 'TOKEN_MISSING'],
    ['no password', connectEvent({ username: 'u', clientId: 'c' }), 'TOKEN_MISSING'],
    ['an empty password', { protocolData: { mqtt: { password: '' } } }, 'TOKEN_MISSING'],
    ['a password that is not a string', { protocolData: { mqtt: { password: 42 } } }, 'TOKEN_MALFORMED'],
    ['a password that is not base64', { protocolData: { mqtt: { password: 'not base64!' } } }, 'TOKEN_MALFORMED'],
    ['a password that is not UTF-8', connectEvent({ password: new Uint8Array([0xff, 0xfe, 0x41]) }), 'TOKEN_MALFORMED'],
    ['a huge password', connectEvent({ password: 'x'.repeat(MAX_TOKEN_BYTES + 1) }), 'TOKEN_TOO_LARGE'],
    ['a huge base64 password, refused before decoding', { protocolData: { mqtt: { password: 'A'.repeat(4 * MAX_TOKEN_BYTES) } } }, 'TOKEN_TOO_LARGE'],
  ])('denies %s', (_name, event, code) => {
    expect(codeOf(() => readConnectRequest(event, 'password'))).toBe(code);
  });

  it.each([
    ['no username', connectEvent({ password: 'x' }), 'TOKEN_MISSING'],
    ['only a query string', connectEvent({ username: '', authorizerName: 'A' }), 'TOKEN_MISSING'],
    ['a huge username', connectEvent({ username: 'x'.repeat(MAX_TOKEN_BYTES + 1) }), 'TOKEN_TOO_LARGE'],
  ])('denies a username token with %s', (_name, event, code) => {
    expect(codeOf(() => readConnectRequest(event, 'username'))).toBe(code);
  });

  it('never throws anything but Denied, whatever the event', () => {
    fc.assert(fc.property(fc.anything(), fc.constantFrom('password' as const, 'username' as const), (event, from) => {
      try {
        readConnectRequest(event, from);
      } catch (err) {
        return err instanceof Denied;
      }
      return true;
    }), { numRuns: 2000 });
  });

  it('round-trips any password bytes that are UTF-8', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), (password) => {
      expect(readConnectRequest(connectEvent({ password }), 'password').token).toBe(password);
    }));
  });
});
