// Revocation against a real DynamoDB-compatible server (dynalite) through the AWS SDK, with a proxy in
// front of it that fails on cue: each kind of entry, expiry, the cache and its bounds, and both failure modes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { clientKey, jtiKey, subjectKey } from '../../functions/authorizer/revocation/revocation-keys.ts';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../local/dynamodb-local.ts';
import { parseUntil } from '../../local/revocation-cli.ts';
import { asymmetricSigner, jwksOf, mint, nowSeconds, type Signer } from '../helpers/keys.ts';
import { connect, verdict } from '../helpers/decide.ts';
import { startDynamoDbFaults, type DynamoDbFaults } from '../helpers/dynamodb-faults.ts';
import { configProblems } from '../helpers/config-problems.ts';

let signer: Signer;
let db: LocalDynamoDb;
let faults: DynamoDbFaults;
let writer: DynamoDBClient;
const clock = { offsetMs: 0 };

beforeAll(async () => {
  signer = await asymmetricSigner('ES256');
  db = await startLocalDynamoDb('revocations-test');
  faults = await startDynamoDbFaults(db.endpoint);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = faults.endpoint;
  writer = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  writer.destroy();
  await faults.close();
  await db.close();
});
beforeEach(() => {
  faults.fail('none');
  clock.offsetMs = 0;
});

function authorizerWith(env: Record<string, string> = {}) {
  return createAuthorizer(parseConfig({ JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_REVOCATION_TABLE: db.table, JWT_FETCH_TIMEOUT_MS: '300', ...env }), {
    now: () => Date.now() + clock.offsetMs,
  });
}

async function revoke(key: string, options: { expiresAt?: number; reason?: string } = {}) {
  await writer.send(new PutItemCommand({ TableName: db.table, Item: {
    pk: { S: key }, ...(options.expiresAt !== undefined && { expiresAt: { N: String(options.expiresAt) } }), ...(options.reason && { reason: { S: options.reason } }),
  } }));
}
const unrevoke = (key: string) => writer.send(new DeleteItemCommand({ TableName: db.table, Key: { pk: { S: key } } }));
const unique = () => Math.random().toString(36).slice(2, 10);

describe('revocation', () => {
  it.each([
    ['a token by jti', (id: string) => jtiKey(`jti-${id}`), 'jti'],
    ['a subject, any issuer', (id: string) => subjectKey(`sub-${id}`), 'sub'],
    ['a subject of one issuer', (id: string) => subjectKey(`sub-${id}`, 'https://idp.a'), 'iss-sub'],
    ['a client id', (id: string) => clientKey(`client-${id}`), 'client'],
  ])('denies %s with REVOKED, naming the entry, and leaves others alone', async (_name, keyFor, kind) => {
    const id = unique();
    await revoke(keyFor(id), { reason: 'stolen' });
    const token = await mint(signer, { jti: `jti-${id}`, sub: `sub-${id}`, iss: 'https://idp.a' });
    const { record } = await connect(authorizerWith(), token, { clientId: `client-${id}` });
    expect(record).toMatchObject({ decision: 'deny', reason: 'REVOKED', detail: { entry: kind, reason: 'stolen' } });
    // Another token, subject and client connect.
    expect(await verdict(authorizerWith(), await mint(signer, { jti: 'other', sub: 'other', iss: 'https://idp.a' }), { clientId: 'other' })).toBe('ALLOW');
  });

  it('revokes a subject for one issuer only', async () => {
    const id = unique();
    await revoke(subjectKey(`sub-${id}`, 'https://idp.a'));
    expect(await verdict(authorizerWith(), await mint(signer, { sub: `sub-${id}`, iss: 'https://idp.a' }))).toBe('REVOKED');
    expect(await verdict(authorizerWith(), await mint(signer, { sub: `sub-${id}`, iss: 'https://idp.b' }))).toBe('ALLOW');
  });

  it('stops applying an entry after its expiry (DynamoDB\'s TTL deletes it only eventually)', async () => {
    const id = unique();
    await revoke(clientKey(`c-${id}`), { expiresAt: nowSeconds() + 60 });
    const authorizer = authorizerWith();
    const token = await mint(signer, { sub: 'x' });
    expect(await verdict(authorizer, token, { clientId: `c-${id}` })).toBe('REVOKED');
    clock.offsetMs = 61_000; // the revoked answer was kept until the entry's expiry, and no longer
    expect(await verdict(authorizer, token, { clientId: `c-${id}` })).toBe('ALLOW');
    await revoke(clientKey(`d-${id}`), { expiresAt: nowSeconds() - 1 });
    expect(await verdict(authorizerWith(), token, { clientId: `d-${id}` })).toBe('ALLOW');
  });

  it('reads every key of an invocation in one request, and caches: a new revocation reaches a new connect within JWT_REVOCATION_CACHE_SECONDS', async () => {
    const id = unique();
    const authorizer = authorizerWith({ JWT_REVOCATION_CACHE_SECONDS: '30' });
    const token = await mint(signer, { jti: `j-${id}`, sub: `s-${id}`, iss: 'https://idp.a' });
    const before = faults.batchGets();
    expect(await verdict(authorizer, token, { clientId: `c-${id}` })).toBe('ALLOW');
    expect(faults.batchGets() - before).toBe(1); // jti, sub, iss+sub and client id in one BatchGetItem
    await revoke(clientKey(`c-${id}`));
    expect(await verdict(authorizer, token, { clientId: `c-${id}` })).toBe('ALLOW'); // the clear answer is cached
    expect(faults.batchGets() - before).toBe(1);
    clock.offsetMs = 30_000;
    expect(await verdict(authorizer, token, { clientId: `c-${id}` })).toBe('REVOKED');
    await unrevoke(clientKey(`c-${id}`));
  });

  it('shares one read among concurrent lookups of the same keys', async () => {
    const id = unique();
    const authorizer = authorizerWith();
    const token = await mint(signer, { sub: `s-${id}` });
    const before = faults.batchGets();
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => verdict(authorizer, token, { clientId: `c-${id}` })));
    expect(verdicts.every((v) => v === 'ALLOW')).toBe(true);
    expect(faults.batchGets() - before).toBe(1);
  });

  describe.each(['down', 'hang', 'slow', 'throttle', 'unprocessed'] as const)('when DynamoDB is %s', (fault) => {
    it('denies REVOCATION_UNAVAILABLE by default, in bounded time, and never allows a revoked token', async () => {
      const id = unique();
      await revoke(clientKey(`c-${id}`));
      faults.fail(fault, 1000); // slow: past JWT_FETCH_TIMEOUT_MS (300 here)
      const authorizer = authorizerWith();
      const started = Date.now();
      const { record } = await connect(authorizer, await mint(signer, { sub: `s-${id}` }), { clientId: `fresh-${id}` });
      expect(record).toMatchObject({ reason: 'REVOCATION_UNAVAILABLE', detail: { cause: expect.any(String) } });
      expect(Date.now() - started).toBeLessThan(4000);
      expect(await verdict(authorizer, await mint(signer, { sub: `s-${id}` }), { clientId: `c-${id}` })).not.toBe('ALLOW');
    });

    it('allows with JWT_REVOCATION_FAILURE=allow, and says so in the log record', async () => {
      faults.fail(fault, 1000);
      const { record } = await connect(authorizerWith({ JWT_REVOCATION_FAILURE: 'allow' }), await mint(signer, { sub: unique() }));
      expect(record).toMatchObject({ decision: 'allow', revocation: 'unavailable' });
    });

    it('keeps a cached clear answer while the table cannot be read (stale-if-error, 300 s past the cache)', async () => {
      const authorizer = authorizerWith({ JWT_REVOCATION_CACHE_SECONDS: '10' });
      const token = await mint(signer, { sub: unique() });
      expect(await verdict(authorizer, token)).toBe('ALLOW');
      faults.fail(fault, 1000);
      clock.offsetMs = 60_000;
      expect(await verdict(authorizer, token)).toBe('ALLOW');
      clock.offsetMs = 311_000;
      expect(await verdict(authorizer, token)).toBe('REVOCATION_UNAVAILABLE');
    });
  });

  it('never allows a revoked entry in deny mode, whatever the faults and the order of calls', async () => {
    const ids = Array.from({ length: 4 }, () => unique());
    for (const id of ids.slice(0, 2)) await revoke(clientKey(`c-${id}`));
    const authorizer = authorizerWith({ JWT_REVOCATION_CACHE_SECONDS: '5' });
    const token = await mint(signer, { sub: 'prop' });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(3), fc.constantFrom('none', 'down', 'throttle', 'unprocessed') as fc.Arbitrary<'none'>, fc.nat(20_000)), { minLength: 1, maxLength: 8 }), async (steps) => {
      for (const [i, fault, advance] of steps) {
        faults.fail(fault);
        clock.offsetMs += advance;
        const result = await verdict(authorizer, token, { clientId: `c-${ids[i]}` });
        if (i < 2) expect(result).not.toBe('ALLOW');
      }
    }), { numRuns: 12 });
  });

  it('needs no DynamoDB without JWT_REVOCATION_TABLE', async () => {
    const before = faults.batchGets();
    const authorizer = createAuthorizer(parseConfig({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }));
    expect(await verdict(authorizer, await mint(signer))).toBe('ALLOW');
    expect(faults.batchGets()).toBe(before);
  });

  it('refuses bad revocation settings at cold start, naming the variable', () => {
    const problems = (env: Record<string, string>) => configProblems({ JWT_JWKS: JSON.stringify(jwksOf(signer)), ...env }).join('\n');
    expect(problems({ JWT_REVOCATION_FAILURE: 'open' })).toContain('JWT_REVOCATION_FAILURE');
    expect(problems({ JWT_REVOCATION_TABLE: 'x', JWT_REVOCATION_FAILURE: 'open' })).toContain('JWT_REVOCATION_FAILURE: expected one of deny, allow');
    expect(problems({ JWT_REVOCATION_TABLE: 'a b' })).toContain('JWT_REVOCATION_TABLE: not a DynamoDB table name');
    expect(problems({ JWT_REVOCATION_CACHE_SECONDS: '5' })).toContain('JWT_REVOCATION_CACHE_SECONDS: set, but JWT_REVOCATION_TABLE is not');
  });
});

describe('npx iot-jwt-authorizer revoke, unrevoke, revocations', () => {
  const ROOT = fileURLToPath(new URL('../..', import.meta.url));
  const cli = (args: string[], env: Record<string, string> = { JWT_REVOCATION_TABLE: db.table }) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const { JWT_REVOCATION_TABLE: _unset, ...base } = process.env;
    execFile(process.execPath, ['local/cli.mjs', ...args], {
      cwd: ROOT, timeout: 20_000, env: { ...base, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint, ...env },
    }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });

  it('finds the table in the deployed stack\'s RevocationTableName output when not told', async () => {
    // CloudFormation's query API, as far as DescribeStacks: the stack named in the request, with or without the output.
    const cloudformation = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        const name = new URLSearchParams(body).get('StackName');
        const outputs = name === 'WithTable'
          ? `<Outputs><member><OutputKey>JwtAuthorizerRevocationTableName8D8A65FF</OutputKey><OutputValue>${db.table}</OutputValue></member></Outputs>` : '<Outputs/>';
        res.writeHead(200, { 'content-type': 'text/xml' }).end(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-12-01T00:00:00Z</CreationTime>${outputs}</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`);
      });
    });
    await new Promise<void>((resolve) => cloudformation.listen(0, '127.0.0.1', resolve));
    try {
      const env = { AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${(cloudformation.address() as AddressInfo).port}` };
      const id = unique();
      expect((await cli(['revoke', '--client-id', `c-${id}`, '--stack', 'WithTable'], env)).stdout).toBe(`revoked client#c-${id}\n`);
      expect(await verdict(authorizerWith(), await mint(signer, { sub: 'x' }), { clientId: `c-${id}` })).toBe('REVOKED');
      const without = await cli(['revocations', '--stack', 'Other'], env);
      expect(without.code).toBe(2);
      expect(without.stderr).toMatch(/^the stack Other has no RevocationTableName output/);
    } finally {
      await new Promise<void>((resolve) => { cloudformation.closeAllConnections(); cloudformation.close(() => resolve()); });
    }
  });

  it('writes the entries the function reads, lists them with expiry and reason, and removes them', async () => {
    const id = unique();
    expect((await cli(['revoke', '--client-id', `c-${id}`, '--until', '2h', '--reason', 'lost'])).stdout).toMatch(new RegExp(`^revoked client#c-${id} until 20`));
    expect((await cli(['revoke', '--sub', `s-${id}`, '--iss', 'https://idp.a'])).code).toBe(0);
    expect(await verdict(authorizerWith(), await mint(signer, { sub: 'x' }), { clientId: `c-${id}` })).toBe('REVOKED');
    const listed = JSON.parse((await cli(['revocations', '--json'])).stdout) as Array<{ key: string; reason?: string; expiresAt?: string }>;
    expect(listed).toContainEqual({ key: `client#c-${id}`, kind: 'client', reason: 'lost', expiresAt: expect.any(String) });
    expect(listed).toContainEqual({ key: `iss-sub#${encodeURIComponent('https://idp.a')}#s-${id}`, kind: 'iss-sub' });
    expect((await cli(['unrevoke', '--client-id', `c-${id}`])).stdout).toBe(`unrevoked client#c-${id}\n`);
    expect(await verdict(authorizerWith(), await mint(signer, { sub: 'x' }), { clientId: `c-${id}` })).toBe('ALLOW');
  });

  it('says what is wrong with a command in one line and the usage', async () => {
    const commands = [['revoke'], ['revoke', '--jti', 'a', '--sub', 'b'], ['revoke', '--iss', 'x', '--jti', 'j'], ['revoke', '--jti', 'j', '--disconnect'], ['revoke', '--jti', 'j', '--until', 'soon']];
    const runs = await Promise.all(commands.map((args) => cli(args)));
    for (const [i, args] of commands.entries()) {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('usage:');
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('reads --until as an ISO date, seconds since the epoch, or a duration from now', () => {
    const now = Date.parse('2026-12-02T00:00:00Z');
    expect(parseUntil('30m', now)).toBe(now / 1000 + 1800);
    expect(parseUntil('7d', now)).toBe(now / 1000 + 7 * 86_400);
    expect(parseUntil('1798761600', now)).toBe(1_798_761_600);
    expect(parseUntil('2027-01-01T00:00:00Z', now)).toBe(1_798_761_600);
  });
});
