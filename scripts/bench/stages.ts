// Where a first-seen token's time goes: each stage of the pipeline timed alone, in a tight loop over 2,000
// distinct tokens (ES256, the bench's 5-rule ACL), from the source modules the bundle is built from.
// Run by scripts/bench.ts in a child process; the sum is a lower bound of the handler (no middy, no GC
// pressure from the other stages, no write).
import { verify as cryptoVerify } from 'node:crypto';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { readConnectRequest } from '../../functions/authorizer/request/connect-request.ts';
import { readHeader, readPayload } from '../../functions/authorizer/verify/verify.ts';
import { checkRegisteredClaims } from '../../functions/authorizer/verify/registered-claims.ts';
import { checkClaims } from '../../functions/authorizer/verify/claims.ts';
import { createRulesFor } from '../../functions/authorizer/rules/acl.ts';
import { renderPolicy } from '../../functions/authorizer/policy/policy.ts';
import { principalIdFor } from '../../functions/authorizer/policy/principal.ts';
import { compactLine } from '../../functions/authorizer/log/decision-log.ts';
import { authorizerEnv, benchKey, eventFor, mintTokens } from './fixtures.ts';

const key = await benchKey('ES256');
const config = parseConfig(authorizerEnv(key));
const profile = config.profiles[0]!;
const tokens = await mintTokens(key, 2000);
const events = tokens.map(({ token, clientId }) => eventFor(token, clientId));
const requests = events.map((event) => readConnectRequest(event, config.tokenFrom));
const payloads = requests.map((request) => readPayload(request.token));
const signed = requests.map(({ token }) => {
  const [h, p, s] = token.split('.') as [string, string, string];
  return { input: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
});
const rulesFor = createRulesFor(profile);
const rules = requests.map((request, i) => rulesFor(payloads[i]!, request));
const ARN = 'arn:aws:iot:us-east-1:123456789012';
const now = Date.now();
const record = { decision: 'allow' as const, clientId: 'device-00001', sub: 'device-00001', iss: 'https://idp.bench.example', kid: key.kid, durationMs: 0.05, connectionId: '5f755935-33d2-4904-95f5-d733beb13e02' };

const stages: Array<[string, (i: number) => unknown]> = [
  ['read the event (base64 password)', (i) => readConnectRequest(events[i]!, config.tokenFrom)],
  ['decode the header', (i) => readHeader(requests[i]!.token)],
  ['decode the payload', (i) => readPayload(requests[i]!.token)],
  ['ES256 signature (node:crypto)', (i) => cryptoVerify('sha256', signed[i]!.input, { key: key.verifyKey, dsaEncoding: 'ieee-p1363' }, signed[i]!.signature)],
  ['registered claims', (i) => checkRegisteredClaims(payloads[i]!, profile, now)],
  ['JWT_VERIFY_CLAIMS', (i) => checkClaims(payloads[i]!, profile.verifyClaims, requests[i]!)],
  ['rule set (key, compiled lookup, fill)', (i) => rulesFor(payloads[i]!, requests[i]!)],
  ['policy documents (20 resources)', (i) => renderPolicy(ARN, requests[i]!.clientId, rules[i]!.plan, rules[i]!.values)],
  ['principal', (i) => principalIdFor(String(payloads[i]!.sub))],
  ['log line (JSON)', () => JSON.stringify(compactLine(record, false, 'INFO', 'allow'))],
];

const micros: Record<string, number> = {};
for (const [name, stage] of stages) {
  for (let i = 0; i < 50_000; i += 1) stage(i % 2000);
  const samples: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const n = 100_000;
    const started = performance.now();
    for (let i = 0; i < n; i += 1) stage(i % 2000);
    samples.push(((performance.now() - started) * 1000) / n);
  }
  micros[name] = samples.sort((a, b) => a - b)[2]!;
}
process.send!({ micros });
process.exit(0);
