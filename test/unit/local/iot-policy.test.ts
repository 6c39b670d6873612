import { describe, expect, it } from 'vitest';
import { evaluatePolicy, policyAllows } from '../../../local/iot-policy.ts';
import type { PolicyDocument } from '../../../functions/authorizer/policy/policy.ts';

const P = 'arn:aws:iot:eu-west-1:123456789012';
const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });

describe('evaluatePolicy', () => {
  const policy = [
    doc({ Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [`${P}:topic/a/*`, `${P}:topic/b/?`] }),
    doc({ Effect: 'Deny', Action: 'iot:Publish', Resource: `${P}:topic/a/secret` }),
    doc({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${P}:topicfilter/a/+` }, { Effect: 'Allow', Action: 'iot:*', Resource: `${P}:topic/dev/\${iot:ClientId}/*` }),
  ];
  it.each([
    ['iot:Publish', 'topic/a/x', 'allow'],
    ['iot:Publish', 'topic/a/x/y', 'allow'], // `*` spans levels
    ['iot:Publish', 'topic/a/', 'allow'], // and matches nothing
    ['iot:Publish', 'topic/a', 'implicit-deny'],
    ['iot:Publish', 'topic/a/secret', 'explicit-deny'],
    ['iot:Receive', 'topic/a/secret', 'allow'], // the deny is for Publish only
    ['iot:Publish', 'topic/b/1', 'allow'],
    ['iot:Publish', 'topic/b/12', 'implicit-deny'],
    ['iot:Subscribe', 'topicfilter/a/+', 'allow'],
    ['iot:Subscribe', 'topicfilter/a/x', 'implicit-deny'], // `+` is literal in a policy
    ['iot:Subscribe', 'topic/a/x', 'implicit-deny'],
    ['IOT:PUBLISH', 'topic/a/x', 'allow'], // action names are case-insensitive
    ['iot:Publish', 'topic/A/x', 'implicit-deny'], // resources are not
    ['iot:Publish', 'topic/dev/dev-1/x', 'allow'],
    ['iot:Publish', 'topic/dev/dev-2/x', 'implicit-deny'],
  ])('%s on %s: %s', (action, resource, expected) => {
    expect(evaluatePolicy(policy, action, `${P}:${resource}`, { clientId: 'dev-1' })).toBe(expected);
  });

  it('reads regex characters in resources literally', () => {
    const literal = [doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${P}:topic/a.b/(c)` })];
    expect(evaluatePolicy(literal, 'iot:Publish', `${P}:topic/a.b/(c)`)).toBe('allow');
    expect(evaluatePolicy(literal, 'iot:Publish', `${P}:topic/aXb/(c)`)).toBe('implicit-deny');
  });

  it('checks a retained publish against Publish and RetainPublish', () => {
    const allows = policyAllows([doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${P}:topic/t` })], P, 'c');
    expect(allows.publish('t')).toBe(true);
    expect(allows.publish('t', true)).toBe(false);
  });
});
