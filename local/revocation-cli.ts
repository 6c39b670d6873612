// npx iot-jwt-authorizer revoke | unrevoke | revocations: the revocation table, written with the user's
// own AWS credentials, and IoT's DeleteConnection to throw a client off at once.
import { parseArgs } from 'node:util';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteConnectionCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { clientKey, EXPIRY_ATTRIBUTE, jtiKey, kindOf, PARTITION_KEY, subjectKey } from '../functions/authorizer/revocation/revocation-keys.ts';

export const REVOCATION_USAGE = `  npx iot-jwt-authorizer revoke (--jti J | --sub S [--iss I] | --client-id C) [--until TIME] [--reason TEXT]
                                [--disconnect] [--table T]
      adds an entry to the revocation table: the token, subject or client is denied (REVOKED) at its next
      connect or policy refresh; TIME is an ISO date, seconds since the epoch, or 30m, 12h, 7d from now;
      --disconnect also ends the client's live connection (IoT DeleteConnection; needs --client-id), once
      the function's cached answers have expired (JWT_REVOCATION_CACHE_SECONDS, default 30, or --wait
      SECONDS), so that the client's reconnect reads the new entry and is refused
  npx iot-jwt-authorizer unrevoke (--jti J | --sub S [--iss I] | --client-id C) [--table T]
  npx iot-jwt-authorizer revocations [--table T] [--json]
      the table comes from --table, JWT_REVOCATION_TABLE, or the RevocationTableName output of the deployed
      stack (--stack, default IotJwtAuthorizer; your AWS credentials)`;

/** A problem with the user's command, said in one line. */
class UsageError extends Error {}

const OPTIONS = {
  jti: { type: 'string' }, sub: { type: 'string' }, iss: { type: 'string' }, 'client-id': { type: 'string' },
  until: { type: 'string' }, reason: { type: 'string' }, disconnect: { type: 'boolean', default: false },
  table: { type: 'string' }, stack: { type: 'string', default: 'IotJwtAuthorizer' }, json: { type: 'boolean', default: false }, wait: { type: 'string' },
} as const;

/** Runs one command; resolves to the process exit code. */
export async function runRevocationCommand(command: string, args: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({ args: [...args], options: OPTIONS });
    const table = values.table || process.env.JWT_REVOCATION_TABLE || await tableOfStack(values.stack);
    const dynamodb = new DynamoDBClient({});
    if (command === 'revocations') return await list(dynamodb, table, values.json);
    const key = targetKey(values);
    if (command === 'unrevoke') {
      await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { [PARTITION_KEY]: { S: key } } }));
      console.log(`unrevoked ${key}`);
      return 0;
    }
    const expiresAt = values.until === undefined ? undefined : parseUntil(values.until);
    if (values.disconnect && values['client-id'] === undefined) throw new UsageError('--disconnect needs --client-id: only a client id names a connection');
    const item: Record<string, AttributeValue> = { [PARTITION_KEY]: { S: key }, createdAt: { N: String(Math.floor(Date.now() / 1000)) } };
    if (expiresAt !== undefined) item[EXPIRY_ATTRIBUTE] = { N: String(expiresAt) };
    if (values.reason !== undefined) item.reason = { S: values.reason };
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
    console.log(`revoked ${key}${expiresAt === undefined ? '' : ` until ${new Date(expiresAt * 1000).toISOString()}`}`);
    if (values.disconnect) {
      const wait = values.wait ?? process.env.JWT_REVOCATION_CACHE_SECONDS ?? '30';
      if (!/^\d+$/.test(wait)) throw new UsageError('--wait: a whole number of seconds');
      // A container that answered "not revoked" keeps that answer up to JWT_REVOCATION_CACHE_SECONDS: a
      // client thrown off sooner would reconnect through it. Past that, every container reads the table.
      const seconds = Number(wait) === 0 ? 0 : Number(wait) + 1;
      if (seconds > 0) console.log(`disconnecting in ${seconds} s, once the function's cached answers have expired`);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      await disconnect(values['client-id']!);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message.split('\n')[0]}\nusage:\n${REVOCATION_USAGE}`);
      return 2;
    }
    console.error(`${(err as Error).name}: ${(err as Error).message}`);
    return 1;
  }
}

/** The revocation table the deployed stack created or imported: its RevocationTableName output. */
async function tableOfStack(stackName: string): Promise<string> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  let outputs;
  try {
    outputs = (await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs ?? [];
  } catch (err) {
    throw new UsageError(`no --table or JWT_REVOCATION_TABLE, and the stack ${stackName} could not be read (${(err as Error).name}): give --table`);
  }
  // The construct's output key is JwtAuthorizerRevocationTableName followed by CDK's hash.
  const output = outputs.find((o) => /RevocationTableName/.test(o.OutputKey ?? ''));
  if (output?.OutputValue === undefined) throw new UsageError(`the stack ${stackName} has no RevocationTableName output: deploy with -c revocation=true, or give --table`);
  return output.OutputValue;
}

function targetKey(values: { jti?: string; sub?: string; iss?: string; 'client-id'?: string }): string {
  const given = [values.jti, values.sub, values['client-id']].filter((v) => v !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --jti, --sub and --client-id');
  if (values.iss !== undefined && values.sub === undefined) throw new UsageError('--iss goes with --sub');
  if (values.jti !== undefined) return jtiKey(values.jti);
  if (values.sub !== undefined) return subjectKey(values.sub, values.iss);
  return clientKey(values['client-id']!);
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** An expiry in seconds since the epoch: `2027-01-01T00:00:00Z`, `1798761600`, or `30m`, `12h`, `7d` from now. */
export function parseUntil(text: string, nowMs = Date.now()): number {
  const relative = /^(\d+)([smhd])$/.exec(text);
  if (relative) return Math.floor(nowMs / 1000) + Number(relative[1]) * UNITS[relative[2]!]!;
  if (/^\d{9,11}$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--until: an ISO date, seconds since the epoch, or 30m / 12h / 7d, not "${text}"`);
  return Math.floor(ms / 1000);
}

// DeleteConnection (IoT data plane): the endpoint is the account's data endpoint, or
// AWS_ENDPOINT_URL_IOT_DATA_PLANE (the local broker answers it too).
async function disconnect(clientId: string): Promise<void> {
  try {
    await new IoTDataPlaneClient({}).send(new DeleteConnectionCommand({ clientId, preventWillMessage: false }));
    console.log(`disconnected ${clientId}`);
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    console.log(`${clientId} was not connected`);
  }
}

async function list(dynamodb: DynamoDBClient, table: string, json: boolean): Promise<number> {
  const rows: Array<{ key: string; kind: string; expiresAt?: string; reason?: string }> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const key = item[PARTITION_KEY]?.S ?? '';
      const expiry = item[EXPIRY_ATTRIBUTE]?.N;
      // DynamoDB's TTL deletes expired items only eventually: an expired entry no longer applies.
      if (expiry !== undefined && Number(expiry) * 1000 <= Date.now()) continue;
      rows.push({ key, kind: kindOf(key), ...(expiry && { expiresAt: new Date(Number(expiry) * 1000).toISOString() }), ...(item.reason?.S && { reason: item.reason.S }) });
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  if (json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('no revocations in force');
  else for (const row of rows) console.log(`${row.key}  until ${row.expiresAt ?? 'removed'}${row.reason ? `  (${row.reason})` : ''}`);
  return 0;
}
