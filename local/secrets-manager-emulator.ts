// A Secrets Manager emulator on 127.0.0.1: GetSecretValue with version stages, rotation, and failure modes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type Failure = 'hang' | 'internal' | 'throttle' | 'access-denied' | 'deleted';

interface Version { id: string; value: string | Uint8Array; stages: Set<string> }

export interface SecretsManagerEmulator {
  readonly endpoint: string;
  /** GetSecretValue calls received, by stage. */
  calls(stage?: string): number;
  resetCalls(): void;
  /** Creates or rotates a secret: the new value becomes AWSCURRENT, the old AWSCURRENT AWSPREVIOUS. */
  put(secretId: string, value: string | Uint8Array): void;
  fail(mode: Failure | undefined): void;
  close(): Promise<void>;
}

export async function startSecretsManager(): Promise<SecretsManagerEmulator> {
  const secrets = new Map<string, Version[]>();
  const calls: string[] = [];
  let failure: Failure | undefined;

  const error = (res: ServerResponse, status: number, type: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: type, message: type }));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') return error(res, 400, 'InvalidRequestException');
    const { SecretId, VersionStage = 'AWSCURRENT' } = JSON.parse(body) as { SecretId: string; VersionStage?: string };
    calls.push(VersionStage);
    switch (failure) {
      case 'hang': return; // the client's timeout has to end this
      case 'internal': return error(res, 500, 'InternalServiceError');
      case 'throttle': return error(res, 400, 'ThrottlingException');
      case 'access-denied': return error(res, 400, 'AccessDeniedException');
      case 'deleted': return error(res, 400, 'ResourceNotFoundException');
    }
    const version = secrets.get(SecretId)?.find((v) => v.stages.has(VersionStage));
    if (version === undefined) return error(res, 400, 'ResourceNotFoundException');
    const value = typeof version.value === 'string'
      ? { SecretString: version.value }
      : { SecretBinary: Buffer.from(version.value).toString('base64') };
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}`, Name: SecretId, VersionId: version.id,
      VersionStages: [...version.stages], CreatedDate: Date.now() / 1000, ...value,
    }));
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: (stage) => calls.filter((s) => stage === undefined || s === stage).length,
    resetCalls: () => { calls.length = 0; },
    put(secretId, value) {
      const versions = secrets.get(secretId) ?? [];
      for (const v of versions) v.stages.delete('AWSPREVIOUS');
      const current = versions.find((v) => v.stages.has('AWSCURRENT'));
      if (current) { current.stages.delete('AWSCURRENT'); current.stages.add('AWSPREVIOUS'); }
      versions.push({ id: randomUUID(), value, stages: new Set(['AWSCURRENT']) });
      secrets.set(secretId, versions);
    },
    fail: (mode) => { failure = mode; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
