// The invocation's log line: what it holds at INFO and at DEBUG, when allows are left out, and that an
// INTERNAL deny keeps its cause with the stack.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { CompactLogFormatter } from '../../../../functions/authorizer/log/logger.ts';
import { logDecision } from '../../../../functions/authorizer/log/decision-log.ts';
import { allow, deny } from '../../../../functions/authorizer/policy/response.ts';
import type { Decision } from '../../../../functions/authorizer/authorizer.ts';

const RULE_CLAIMS = ['acl', 'pub_rules', 'sub_rules'];

function capture(level: 'INFO' | 'DEBUG') {
  const lines: string[] = [];
  const sink = (chunk: unknown) => { lines.push(String(chunk).trim()); return true; };
  vi.spyOn(process.stdout, 'write').mockImplementation(sink);
  vi.spyOn(process.stderr, 'write').mockImplementation(sink);
  const logger = new Logger({ logLevel: level, logFormatter: new CompactLogFormatter() });
  return { logger, lines: () => lines.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}
afterEach(() => vi.restoreAllMocks());

const allowed: Decision = {
  response: allow('dev1', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:r:1:client/dev-1' }] }], 3600, 3600),
  record: { decision: 'allow', clientId: 'dev-1', sub: 'dev-1', kid: 'k', keyOrigin: 'JWT_JWKS', connectionId: 'c', durationMs: 0.3, rules: { source: 'token', count: 1, exact: true } },
  claims: { sub: 'dev-1', acl: { pub: ['a'] }, email: 'someone@example.com' },
};

describe('logDecision', () => {
  it('writes the compact line at INFO, and the rules, policy and key origin only at DEBUG', () => {
    const info = capture('INFO');
    logDecision(info.logger, allowed, { logAllows: true, ruleClaims: RULE_CLAIMS }, false);
    expect(info.lines()).toEqual([{ level: 'INFO', msg: 'allow', client: 'dev-1', sub: 'dev-1', kid: 'k', ms: 0.3, conn: 'c' }]);
    vi.restoreAllMocks();
    const debug = capture('DEBUG');
    logDecision(debug.logger, allowed, { logAllows: false, ruleClaims: RULE_CLAIMS }, false);
    const [line] = debug.lines();
    expect(line).toMatchObject({ msg: 'allow', keyOrigin: 'JWT_JWKS', tokenRules: { acl: { pub: ['a'] } }, policy: allowed.response.policyDocuments, refreshAfterInSeconds: 3600 });
    expect(JSON.stringify(line)).not.toContain('someone@example.com'); // other claims stay out, even at DEBUG
  });

  it('leaves allows out with logAllows false, except a cold start; never a deny', () => {
    const { logger, lines } = capture('INFO');
    const denied: Decision = { response: deny(), record: { decision: 'deny', reason: 'SIGNATURE_INVALID', detail: { alg: 'ES256' }, connectionId: 'c' } };
    const options = { logAllows: false, ruleClaims: RULE_CLAIMS };
    logDecision(logger, allowed, options, true);
    logDecision(logger, allowed, options, false);
    logDecision(logger, denied, options, false);
    expect(lines().map((l) => `${l.level} ${l.msg}${l.cold ? ' cold' : ''}`)).toEqual(['INFO allow cold', 'WARN deny']);
  });

  it('keeps an INTERNAL deny\'s cause, with its stack, in an ERROR line', () => {
    const { logger, lines } = capture('INFO');
    const cause = new TypeError('boom', { cause: new Error('underneath') });
    logDecision(logger, { response: deny(), record: { decision: 'deny', reason: 'INTERNAL', detail: { error: 'TypeError' } }, cause }, { logAllows: true, ruleClaims: RULE_CLAIMS }, false);
    const [denyLine, errorLine] = lines();
    expect(denyLine).toMatchObject({ level: 'WARN', msg: 'deny', reason: 'INTERNAL' });
    expect(errorLine).toMatchObject({ level: 'ERROR', error: { name: 'TypeError', message: 'boom', stack: expect.stringContaining('decision-log.test.ts'), cause: { message: 'underneath' } } });
  });
});
