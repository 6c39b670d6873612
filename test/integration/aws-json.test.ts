// The AWS JSON-protocol client (BatchGetItem for revocation, GetSecretValue for keys), built from the SDK's
// signer, HTTP handler and retry strategy rather than the generated clients: what it sends is checked
// against the protocol and an independent SigV4 check, and its retries against the SDK's standard strategy.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsEndpoint, createAwsJsonClient } from '../../functions/authorizer/aws/aws-json.ts';
import { DYNAMODB } from '../../functions/authorizer/aws/clients.ts';
import { checkSigV4, type CapturedRequest } from '../helpers/sigv4.ts';
import { fetchSecretKeys } from '../../functions/authorizer/keys/secrets-manager.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
let server: Server;
let answer: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
const seen: CapturedRequest[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, path: req.url!, headers: req.headers as Record<string, string>, body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'session-token',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
});
afterEach(() => { seen.length = 0; });
afterAll(async () => {
  process.env = saved;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const json = (res: ServerResponse, status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(value));
const batchGet = (timeoutMs: number) => (input: unknown, signal: AbortSignal) => createAwsJsonClient(DYNAMODB, timeoutMs)('BatchGetItem', input, signal) as Promise<{ Responses?: Record<string, unknown[]> }>;
const INPUT = { RequestItems: { revocations: { Keys: [{ pk: { S: 'jti#1' } }] } } };

describe('BatchGetItem over the JSON protocol', () => {
  it('sends a SigV4-signed JSON 1.0 request with the session token, and reads the answer', async () => {
    answer = (_req, res) => json(res, 200, { Responses: { revocations: [{ pk: { S: 'jti#1' }, reason: { S: 'stolen' } }] } });
    const out = await batchGet(1000)(INPUT, AbortSignal.timeout(1000));
    expect(out.Responses?.revocations).toEqual([{ pk: { S: 'jti#1' }, reason: { S: 'stolen' } }]);
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.BatchGetItem', 'x-amz-security-token': 'session-token' } });
    expect(JSON.parse(request!.body.toString())).toEqual(INPUT);
    expect(request!.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/);
    expect(checkSigV4(request!, SECRET)).toEqual({ valid: true });
    expect(checkSigV4(request!, 'another secret').valid).toBe(false);
  });

  it('retries a throttled or failing call once (the SDK\'s standard strategy), then gives up with the error', async () => {
    let calls = 0;
    answer = (_req, res) => {
      calls += 1;
      if (calls === 1) return json(res, 400, { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' });
      json(res, 200, { Responses: { revocations: [] } });
    };
    await expect(batchGet(2000)(INPUT, AbortSignal.timeout(2000))).resolves.toMatchObject({ Responses: { revocations: [] } });
    expect(calls).toBe(2);
    answer = (_req, res) => json(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'down' });
    await expect(batchGet(2000)(INPUT, AbortSignal.timeout(2000))).rejects.toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    expect(seen.length).toBe(4);
  });

  it('does not retry a client error', async () => {
    answer = (_req, res) => json(res, 400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad key' });
    await expect(batchGet(1000)(INPUT, AbortSignal.timeout(1000))).rejects.toMatchObject({ name: 'ValidationException', message: 'bad key' });
    expect(seen.length).toBe(1);
  });

  it('stops at the caller\'s time limit when the endpoint hangs', async () => {
    answer = () => {};
    const started = Date.now();
    await expect(batchGet(300)(INPUT, AbortSignal.timeout(300))).rejects.toBeTruthy();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('finds the endpoint as the SDK does', () => {
    expect(awsEndpoint({}, DYNAMODB, 'eu-west-1').href).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(awsEndpoint({}, DYNAMODB, 'cn-north-1').href).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn/');
    expect(awsEndpoint({ AWS_ENDPOINT_URL: 'http://localhost:8000' }, DYNAMODB, 'eu-west-1').href).toBe('http://localhost:8000/');
    expect(awsEndpoint({ AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_DYNAMODB: 'http://b:2' }, DYNAMODB, 'eu-west-1').href).toBe('http://b:2/');
  });
});

describe('GetSecretValue over the JSON protocol', () => {
  const keysOf = () => fetchSecretKeys({ secretId: 'jwt-key', format: 'auto', cacheSeconds: 300, acceptPrevious: false }, { timeoutMs: 1000, allowed: new Set(['HS256']) });

  it('sends a SigV4-signed JSON 1.1 request for AWSCURRENT and reads a binary secret from its base64', async () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef\u00ff', 'latin1');
    answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      .end(JSON.stringify({ ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:jwt-key', Name: 'jwt-key', SecretBinary: secret.toString('base64'), VersionStages: ['AWSCURRENT'] }));
    const [key] = await keysOf();
    expect(key!.key.export()).toEqual(secret);
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue', 'x-amz-security-token': 'session-token' } });
    expect(JSON.parse(request!.body.toString())).toEqual({ SecretId: 'jwt-key', VersionStage: 'AWSCURRENT' });
    expect(request!.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/);
    expect(checkSigV4(request!, SECRET)).toEqual({ valid: true });
  });

  it('names the service\'s error as the SDK did (AccessDeniedException, with its HTTP status)', async () => {
    answer = (_req, res) => res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
      .end(JSON.stringify({ __type: 'AccessDeniedException', Message: 'not allowed' }));
    await expect(keysOf()).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
  });
});
