import { describe, expect, it } from 'vitest';
import { checkClaims, renderTemplate, type ClientIdentity } from '../../../../functions/authorizer/verify/claims.ts';
import { Denied } from '../../../../functions/authorizer/deny.ts';

const who = { clientId: 'dev-42', username: 'alice' };

function denyCode(payload: Record<string, unknown>, expectations: Record<string, string | number | boolean>, client: ClientIdentity = who) {
  try {
    checkClaims(payload, expectations, client);
    return 'pass';
  } catch (err) {
    return (err as Denied).code;
  }
}

describe('renderTemplate', () => {
  it.each([
    ['${clientid}', 'dev-42'],
    ['${username}', 'alice'],
    ['%c', 'dev-42'],
    ['%u', 'alice'],
    ['org/${username}/${clientid}', 'org/alice/dev-42'],
    ['literal', 'literal'],
    ['${other}', '${other}'],
  ])('renders %s', (template, expected) => {
    expect(renderTemplate(template, who)).toBe(expected);
  });

  it('is undefined when the client sent no value', () => {
    expect(renderTemplate('${clientid}', { clientId: undefined, username: 'a' })).toBeUndefined();
  });
});

describe('checkClaims', () => {
  it.each([
    ['a templated match', { sub: 'dev-42' }, { sub: '${clientid}' }, 'pass'],
    ['an EMQX Cloud template', { mqtt_user: 'alice' }, { mqtt_user: '%u' }, 'pass'],
    ['a literal', { env: 'prod' }, { env: 'prod' }, 'pass'],
    ['an array containing the value', { aud: ['a', 'mqtt'] }, { aud: 'mqtt' }, 'pass'],
    ['a number against a string template', { mqtt_user: 42 }, { mqtt_user: '42' }, 'pass'],
    ['a number', { tier: 2 }, { tier: 2 }, 'pass'],
    ['a boolean', { device: true }, { device: true }, 'pass'],
    ['a missing claim', {}, { sub: '${clientid}' }, 'CLAIM_MISSING'],
    ['a different value', { sub: 'dev-43' }, { sub: '${clientid}' }, 'CLAIM_MISMATCH'],
    ['an array without the value', { aud: ['a'] }, { aud: 'mqtt' }, 'CLAIM_MISMATCH'],
    ['a string against a number', { tier: '2' }, { tier: 2 }, 'CLAIM_MISMATCH'],
    ['a string against a boolean', { device: 'true' }, { device: true }, 'CLAIM_MISMATCH'],
    ['an object', { sub: { id: 'dev-42' } }, { sub: '${clientid}' }, 'CLAIM_MISMATCH'],
    ['a prefix of the value', { sub: 'dev-4' }, { sub: '${clientid}' }, 'CLAIM_MISMATCH'],
  ])('%s', (_name, payload, expectations, expected) => {
    expect(denyCode(payload, expectations)).toBe(expected);
  });

  it('does not match a template against a client that sent no client id', () => {
    expect(denyCode({ sub: '' }, { sub: '${clientid}' }, { clientId: undefined, username: undefined })).toBe('CLAIM_MISMATCH');
  });

  it('ignores inherited properties', () => {
    expect(denyCode({}, { toString: 'x' })).toBe('CLAIM_MISSING');
  });
});
