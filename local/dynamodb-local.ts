// A DynamoDB-compatible server on 127.0.0.1 (dynalite, in memory) with the revocation table, for
// `npm start` and the tests: the function and the CLI reach it through AWS_ENDPOINT_URL_DYNAMODB.
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY } from '../functions/authorizer/revocation/revocation-keys.ts';

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly table: string;
  close(): Promise<void>;
}

/** Local credentials for a local server: the SDK signs every request, whatever the server checks. */
export const LOCAL_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

export async function startLocalDynamoDb(table = 'iot-jwt-revocations', port = 0): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await client.send(new CreateTableCommand({
    TableName: table, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
  }));
  client.destroy();
  return {
    endpoint, table,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
