// A proxy in front of the local DynamoDB that can misbehave on cue: down, hanging, slow, throttling, or
// answering with every key unprocessed. It counts the requests it sees, to prove caching and batching.
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type DynamoDbFault = 'none' | 'down' | 'hang' | 'slow' | 'throttle' | 'unprocessed';

export interface DynamoDbFaults {
  readonly endpoint: string;
  fail(fault: DynamoDbFault, delayMs?: number): void;
  /** BatchGetItem requests seen, including those answered with a fault. */
  batchGets(): number;
  close(): Promise<void>;
}

const body = (req: IncomingMessage) => new Promise<Buffer>((resolve) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks)));
});

export async function startDynamoDbFaults(target: string): Promise<DynamoDbFaults> {
  let fault: DynamoDbFault = 'none';
  let delayMs = 0;
  let batchGets = 0;
  const server = createServer(async (req, res) => {
    const payload = await body(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop();
    if (operation === 'BatchGetItem') batchGets += 1;
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(value));
    if (fault === 'hang') return;
    if (fault === 'down') return json(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'down' });
    if (fault === 'throttle') return json(400, { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' });
    if (fault === 'unprocessed' && operation === 'BatchGetItem') {
      const items = (JSON.parse(payload.toString()) as { RequestItems: Record<string, { Keys: unknown[] }> }).RequestItems;
      const table = Object.keys(items)[0]!;
      return json(200, { Responses: { [table]: [] }, UnprocessedKeys: { [table]: { Keys: items[table]!.Keys } } });
    }
    if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, delayMs));
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fail: (next, ms = 0) => { fault = next; delayMs = ms; },
    batchGets: () => batchGets,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
