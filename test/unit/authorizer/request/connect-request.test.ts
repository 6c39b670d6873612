import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_TOKEN_BYTES, readConnectRequest } from '../../../../functions/authorizer/request/connect-request.ts';
import { readTokenSources, type TokenSource } from '../../../../functions/authorizer/request/token-sources.ts';
import { EnvReader } from '../../../../functions/authorizer/config/env-reader.ts';
import { Denied } from '../../../../functions/authorizer/deny.ts';
import { connectEvent, iotEvent } from '../../../../local/iot-event.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(Denied);
    return (err as Denied).code;
  }
};

/** JWT_FROM as the function reads it. */
const from = (jwtFrom: string): readonly TokenSource[] => {
  const read = new EnvReader({ JWT_FROM: jwtFrom });
  const sources = readTokenSources(read);
  expect(read.problems).toEqual([]);
  return sources;
};
const PASSWORD = from('password');
const USERNAME = from('username');

describe('readConnectRequest: MQTT CONNECT', () => {
  it('decodes the base64 password and strips the authorizer query from the username', () => {
    const event = connectEvent({ password: 'a.b.c', username: 'dev-42', clientId: 'dev-42', authorizerName: 'JwtAuthorizer', connectionId: 'c1' });
    expect(event.protocolData.mqtt!.username).toBe('dev-42?x-amz-customauthorizer-name=JwtAuthorizer');
    expect(readConnectRequest(event, PASSWORD)).toEqual({ token: 'a.b.c', from: { kind: 'password' }, protocol: 'mqtt', clientId: 'dev-42', username: 'dev-42', connectionId: 'c1' });
  });

  it('takes the token from the username, without the query IoT SDKs append', () => {
    const event = connectEvent({ username: 'h.p.s', clientId: 'c', authorizerName: 'A' });
    event.protocolData.mqtt!.username += '&SDK=NodeJSv2&Version=1.2.3';
    expect(readConnectRequest(event, USERNAME)).toMatchObject({ token: 'h.p.s', username: 'h.p.s' });
  });

  it('leaves the client id undefined when the device sent none', () => {
    expect(readConnectRequest(connectEvent({ password: 't.t.t' }), PASSWORD).clientId).toBeUndefined();
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
    expect(codeOf(() => readConnectRequest(event, PASSWORD))).toBe(code);
  });

  it.each([
    ['no username', connectEvent({ password: 'x' }), 'TOKEN_MISSING'],
    ['only a query string', connectEvent({ username: '', authorizerName: 'A' }), 'TOKEN_MISSING'],
    ['a huge username', connectEvent({ username: 'x'.repeat(MAX_TOKEN_BYTES + 1) }), 'TOKEN_TOO_LARGE'],
  ])('denies a username token with %s', (_name, event, code) => {
    expect(codeOf(() => readConnectRequest(event, USERNAME))).toBe(code);
  });

  it('round-trips any password bytes that are UTF-8', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), (password) => {
      expect(readConnectRequest(connectEvent({ password }), PASSWORD).token).toBe(password);
    }));
  });
});

describe('readConnectRequest: WebSocket upgrade and HTTPS publish', () => {
  it('reads a header in any case, dropping a Bearer scheme in any case', () => {
    for (const [name, value] of [['Authorization', 'Bearer h.p.s'], ['AUTHORIZATION', 'bEaReR   h.p.s'], ['authorization', 'h.p.s']]) {
      const event = iotEvent({ protocol: 'wss', clientId: 'c', headers: { [name!]: value! } });
      expect(readConnectRequest(event, from('header:authorization'))).toMatchObject({ token: 'h.p.s', from: { kind: 'header', name: 'authorization' }, protocol: 'mqtt', clientId: 'c' });
    }
    expect(readConnectRequest(iotEvent({ protocol: 'wss', headers: { 'X-Device-Token': 'a.b.c' } }), from('header:X-Device-Token')).token).toBe('a.b.c');
  });

  it('reads a query parameter, percent-decoded, among IoT\'s own parameters; a plus stays a plus', () => {
    const event = iotEvent({ protocol: 'wss', clientId: 'c', queryString: '?x-amz-customauthorizer-name=JwtAuthorizer&token=a%2Eb.c%2b&SDK=x' });
    expect(readConnectRequest(event, from('query:token'))).toMatchObject({ token: 'a.b.c+', from: { kind: 'query', name: 'token' } });
    expect(readConnectRequest(iotEvent({ protocol: 'wss', queryString: 'token=a.b.c' }), from('query:token')).token).toBe('a.b.c');
  });

  it('reads IoT\'s top-level token (the authorizer\'s TokenKeyName)', () => {
    expect(readConnectRequest({ token: 't.t.t', protocolData: { mqtt: { clientId: 'c' } } }, from('token'))).toMatchObject({ token: 't.t.t', clientId: 'c' });
  });

  it('takes the first source that is present and non-empty, in JWT_FROM order', () => {
    const sources = from('password,query:token,header:authorization');
    const both = iotEvent({ protocol: 'wss', clientId: 'c', queryString: '?token=q.q.q', headers: { authorization: 'Bearer h.h.h' } });
    expect(readConnectRequest(both, sources)).toMatchObject({ token: 'q.q.q', from: { kind: 'query' } });
    const withPassword = iotEvent({ protocol: 'wss', clientId: 'c', password: 'p.p.p', queryString: '?token=q.q.q' });
    expect(readConnectRequest(withPassword, sources).token).toBe('p.p.p');
    const emptyQuery = iotEvent({ protocol: 'wss', clientId: 'c', queryString: '?token=', headers: { authorization: 'Bearer h.h.h' } });
    expect(readConnectRequest(emptyQuery, sources).token).toBe('h.h.h');
  });

  it('never falls back to a later source when the first present one is unreadable', () => {
    const sources = from('query:token,header:authorization');
    const event = iotEvent({ protocol: 'wss', queryString: '?token=%E0%A4%A', headers: { authorization: 'Bearer h.h.h' } });
    expect(codeOf(() => readConnectRequest(event, sources))).toBe('TOKEN_MALFORMED');
  });

  it('marks an HTTPS publish: no MQTT data, no client id', () => {
    const event = iotEvent({ protocol: 'https', headers: { authorization: 'Bearer h.p.s' }, queryString: '?qos=1' });
    expect(event.protocols).toEqual(['tls', 'http']);
    expect(readConnectRequest(event, from('password,header:authorization'))).toMatchObject({ token: 'h.p.s', protocol: 'http', clientId: undefined, username: undefined });
  });

  it.each([
    ['a parameter sent twice', { queryString: '?token=a.b.c&token=d.e.f' }, 'query:token', 'TOKEN_MALFORMED'],
    ['a parameter name sent twice, once encoded', { queryString: '?token=a.b.c&%74oken=d.e.f' }, 'query:token', 'TOKEN_MALFORMED'],
    ['bad percent-encoding', { queryString: '?token=%zz' }, 'query:token', 'TOKEN_MALFORMED'],
    ['a query string that is not a string', { queryString: 42 }, 'query:token', 'TOKEN_MALFORMED'],
    ['no such parameter', { queryString: '?tok=a.b.c' }, 'query:token', 'TOKEN_MISSING'],
    ['no query string', {}, 'query:token', 'TOKEN_MISSING'],
    ['a huge query string', { queryString: `?token=${'a'.repeat(4 * MAX_TOKEN_BYTES)}` }, 'query:token', 'TOKEN_TOO_LARGE'],
    ['a huge token in the query', { queryString: `?token=${'a'.repeat(MAX_TOKEN_BYTES + 1)}` }, 'query:token', 'TOKEN_TOO_LARGE'],
    ['a header in two spellings', { headers: { Authorization: 'Bearer a.b.c', authorization: 'Bearer d.e.f' } }, 'header:authorization', 'TOKEN_MALFORMED'],
    ['a header that is not a string', { headers: { authorization: ['a.b.c'] } }, 'header:authorization', 'TOKEN_MALFORMED'],
    ['headers that are not an object', { headers: 'authorization: a.b.c' }, 'header:authorization', 'TOKEN_MISSING'],
    ['a Bearer scheme and nothing else', { headers: { authorization: 'Bearer ' } }, 'header:authorization', 'TOKEN_MISSING'],
    ['no such header', { headers: { cookie: 'a.b.c' } }, 'header:authorization', 'TOKEN_MISSING'],
  ])('denies %s', (_name, http, jwtFrom, code) => {
    const event = { protocols: ['tls', 'http', 'mqtt'], protocolData: { http, mqtt: { clientId: 'c' } } };
    expect(codeOf(() => readConnectRequest(event, from(jwtFrom)))).toBe(code);
  });

  it('denies a top-level token that is not a string', () => {
    expect(codeOf(() => readConnectRequest({ token: { a: 1 } }, from('token')))).toBe('TOKEN_MALFORMED');
  });
});

describe('JWT_FROM', () => {
  it('defaults to the password', () => {
    expect(readTokenSources(new EnvReader({}))).toEqual([{ kind: 'password' }]);
  });

  it.each([
    ['header', 'expected header:NAME'],
    ['query', 'expected query:NAME'],
    ['header:', 'expected header:NAME'],
    ['header:bad name', 'not a valid HTTP header name'],
    ['query:a&b', 'cannot hold'],
    ['cookie:x', 'expected password, username, token, header:NAME or query:NAME'],
    ['password,password', 'listed twice'],
    ['header:Authorization,header:authorization', 'listed twice'],
  ])('refuses %s, naming JWT_FROM', (value, message) => {
    const read = new EnvReader({ JWT_FROM: value });
    readTokenSources(read);
    expect(read.problems.join('\n')).toMatch(/^JWT_FROM: /);
    expect(read.problems.join('\n')).toContain(message);
  });
});

describe('readConnectRequest on any input', () => {
  const meaningful = fc.constantFrom('{', '}', '$', '(', ')', '*', '?', '+', '#', '/', '\\', '%', '&', '=', ' ', '\ud800', '\udfff', '__proto__', 'Bearer ', 'token', 'authorization', '%zz', '%E0%A4');
  const text = fc.array(fc.oneof(meaningful, fc.string({ maxLength: 8 })), { maxLength: 12 }).map((parts) => parts.join(''));
  const http = fc.record({
    headers: fc.oneof(fc.dictionary(fc.oneof(text, fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', '__proto__')), fc.oneof(text, fc.anything())), fc.anything()),
    queryString: fc.oneof(text, fc.anything()),
  }, { requiredKeys: [] });
  const event = fc.record({
    token: fc.oneof(text, fc.anything()),
    protocols: fc.oneof(fc.constant(['tls', 'http']), fc.constant(['tls', 'http', 'mqtt']), fc.anything()),
    protocolData: fc.record({ http, mqtt: fc.oneof(fc.record({ password: fc.oneof(text, fc.anything()), username: text, clientId: text }, { requiredKeys: [] }), fc.anything()) }, { requiredKeys: [] }),
  }, { requiredKeys: [] });
  const sources = fc.subarray(['password', 'username', 'token', 'header:authorization', 'query:token', 'query:__proto__'], { minLength: 1 }).map((list) => from(list.join(',')));

  it('answers a request or a Denied, never anything else, and the token is never empty or oversized', () => {
    fc.assert(fc.property(fc.oneof(event, fc.anything()), sources, (input, list) => {
      try {
        const request = readConnectRequest(input, list);
        expect(request.token.length).toBeGreaterThan(0);
        expect(request.token.length).toBeLessThanOrEqual(MAX_TOKEN_BYTES);
        expect(list).toContainEqual(request.from);
      } catch (err) {
        if (!(err instanceof Denied)) throw err;
      }
    }), { numRuns: 3000 });
  });

  it('takes a query token exactly as encodeURIComponent wrote it, whatever its characters', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), (token) => {
      const queryString = `?x-amz-customauthorizer-name=A&token=${encodeURIComponent(token)}`;
      expect(readConnectRequest(iotEvent({ protocol: 'wss', queryString }), from('query:token')).token).toBe(token);
    }));
  });
});
