// The local data endpoint (IOT_HTTP_PORT): IoT's data-plane API as far as the local stack needs it.
// `DELETE /connections/{clientId}` is DeleteConnection (so AWS_ENDPOINT_URL_IOT_DATA_PLANE pointed here lets
// the AWS SDK, and `revoke --disconnect`, throw a local client off).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Aedes } from 'aedes';

const CONNECTION = /^\/connections\/([^/?]+)(?:\?.*)?$/;

/** Answers IoT data-plane requests as IoT does (restJson: the error's type in `x-amzn-ErrorType`). */
export function dataEndpoint(aedes: Aedes, log: (message: string, detail: Record<string, unknown>) => void) {
  const error = (res: ServerResponse, status: number, type: string, message: string) =>
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-ErrorType': type }).end(JSON.stringify({ message }));
  return (req: IncomingMessage, res: ServerResponse): void => {
    const match = CONNECTION.exec(req.url ?? '');
    if (req.method === 'DELETE' && match) {
      const clientId = decodeURIComponent(match[1]!);
      const client = (aedes as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[clientId];
      if (client === undefined) {
        error(res, 404, 'ResourceNotFoundException', `no connection for client id ${clientId}`);
        return;
      }
      log('disconnected: DeleteConnection', { clientId });
      client.close();
      res.writeHead(200, { 'content-type': 'application/json' }).end();
      return;
    }
    error(res, 404, 'ResourceNotFoundException', `no such resource: ${req.method} ${req.url}`);
  };
}
