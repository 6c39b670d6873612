import { describe, expect, it } from 'vitest';
import { buildPolicy, iotArnPrefix, literalClientId } from '../../../../functions/authorizer/policy/policy.ts';
import { Denied } from '../../../../functions/authorizer/deny.ts';

describe('literalClientId', () => {
  it.each(['dev-42', 'a/b', 'a+b#c', 'user@example.com', 'x'.repeat(128), '$dev'])('accepts %j', (id) => {
    expect(literalClientId(id)).toBe(id);
  });

  it.each([undefined, '', '*', 'dev-*', 'dev-?', '${iot:ClientId}', 'a\nb', 'a\u0000', 'x'.repeat(129)])('denies %j', (id) => {
    expect(() => literalClientId(id)).toThrow(expect.objectContaining({ code: 'CLIENT_ID_INVALID' }));
  });
});

describe('iotArnPrefix', () => {
  it.each([
    ['arn:aws:lambda:eu-west-1:123456789012:function:authz', 'arn:aws:iot:eu-west-1:123456789012'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:authz:live', 'arn:aws:iot:eu-west-1:123456789012'],
    ['arn:aws-cn:lambda:cn-north-1:123456789012:function:authz', 'arn:aws-cn:iot:cn-north-1:123456789012'],
    ['arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f', 'arn:aws-us-gov:iot:us-gov-west-1:123456789012'],
  ])('reads %s', (arn, prefix) => {
    expect(iotArnPrefix(arn)).toBe(prefix);
  });

  it.each([undefined, '', 'arn:aws:s3:::bucket', 'arn:aws:lambda:eu-west-1:12345:function:f'])('denies INTERNAL for %j', (arn) => {
    expect(() => iotArnPrefix(arn)).toThrow(Denied);
  });
});

describe('buildPolicy', () => {
  it('allows iot:Connect for this client id only when there are no grants', () => {
    expect(buildPolicy('arn:aws:iot:eu-west-1:123456789012', 'dev-42')).toEqual([{
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:eu-west-1:123456789012:client/dev-42' }],
    }]);
  });
});
