import { describe, expect, it } from 'vitest';
import { buildPolicy, MAX_DOCUMENT_CHARS } from '../../../../functions/authorizer/policy/policy.ts';
import { compileRules } from '../../../../functions/authorizer/rules/compile-rules.ts';
import { rulesFromJson } from '../../../../functions/authorizer/rules/parse-rules.ts';
import { renderRules } from '../../../../functions/authorizer/rules/render-rules.ts';
import { policyAllows } from '../../../../local/iot-policy.ts';

const P = 'arn:aws:iot:eu-west-1:123456789012';
const who = { clientId: 'device-000042', username: 'fleet-user' };
const grantsFor = (acl: unknown) => compileRules(renderRules(rulesFromJson(acl, 'acl'), who)).grants;
// ~40-character topics, as a device's ACL has them.
const topic = (i: number) => `fleet/region-eu/site-${String(i).padStart(3, '0')}/${'${clientid}'}/data`;

describe('buildPolicy', () => {
  it('fits 30 typical rules, each document within 2,048 characters, and grants each of them', () => {
    const acl = Array.from({ length: 30 }, (_, i) => ({ permission: 'allow', action: i % 2 ? 'publish' : 'all', topic: topic(i) }));
    const documents = buildPolicy(P, who.clientId, grantsFor(acl));
    expect(documents.length).toBeGreaterThan(1);
    expect(documents.length).toBeLessThanOrEqual(10);
    for (const document of documents) expect(JSON.stringify(document).length).toBeLessThanOrEqual(MAX_DOCUMENT_CHARS);
    const allows = policyAllows(documents, P, who.clientId);
    for (let i = 0; i < 30; i += 1) expect(allows.publish(topic(i).replace('${clientid}', who.clientId), true)).toBe(true);
    expect(allows.connect()).toBe(true);
  });

  it('groups resources sharing actions into one statement', () => {
    const [document] = buildPolicy(P, 'c', grantsFor({ pub: ['a', 'b'], sub: ['c'] }));
    expect(document!.Statement.map((s) => [s.Effect, s.Action])).toEqual([
      ['Allow', 'iot:Connect'], ['Allow', ['iot:Publish', 'iot:RetainPublish']], ['Allow', 'iot:Subscribe'], ['Allow', 'iot:Receive'],
    ]);
    expect(document!.Statement[1]!.Resource).toEqual([`${P}:topic/a`, `${P}:topic/b`]);
  });

  it('denies POLICY_TOO_LARGE when ten documents cannot hold the rules', () => {
    const acl = { all: Array.from({ length: 200 }, (_, i) => `${topic(i)}/${'x'.repeat(60)}`) };
    expect(() => buildPolicy(P, who.clientId, grantsFor(acl))).toThrow(expect.objectContaining({ code: 'POLICY_TOO_LARGE' }));
  });

  it('counts characters JSON escapes (quotes, backslashes) when it packs', () => {
    const acl = { pub: Array.from({ length: 40 }, (_, i) => `q"u\\o/${i}/${'"'.repeat(30)}`) };
    const documents = buildPolicy(P, 'c', grantsFor(acl));
    for (const document of documents) expect(JSON.stringify(document).length).toBeLessThanOrEqual(MAX_DOCUMENT_CHARS);
    expect(documents.length).toBeGreaterThan(1);
  });

  it('never returns a document over the limit, whatever the resource lengths', () => {
    for (let length = 1; length < 250; length += 7) {
      const acl = { pub: Array.from({ length: 12 }, (_, i) => `${i}/${'y'.repeat(length)}`) };
      for (const document of buildPolicy(P, 'c', grantsFor(acl))) expect(JSON.stringify(document).length).toBeLessThanOrEqual(MAX_DOCUMENT_CHARS);
    }
  });
});
