// The local broker as the e2e tests start it: an ES256 key served as a JWKS over HTTP, the built bundle
// configured with it and `env`, and the broker on free ports, its log kept for assertions.
import { startLocalBroker, type BrokerOptions, type LocalBroker } from '../../local/broker.ts';
import { importAuthorizer } from '../../local/bundle.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { asymmetricSigner, jwksOf, type Signer } from './keys.ts';

export interface TestStack {
  readonly broker: LocalBroker;
  readonly jwks: JwksServer;
  readonly signer: Signer;
  readonly brokerLog: Array<{ message: string; detail: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Starts it. `env` is set before the bundle is imported (its cold start reads it); `options` go to the broker.
 * `prepare` runs between the two, for what needs the signer or the JWKS URL (e.g. another local server).
 */
export async function startTestStack(
  env: Record<string, string>,
  options: Partial<Omit<BrokerOptions, 'handler'>> | (() => Promise<Partial<Omit<BrokerOptions, 'handler'>>>) = {},
): Promise<TestStack> {
  const signer = await asymmetricSigner('ES256');
  const jwks = await startJwksServer({ json: jwksOf(signer) });
  Object.assign(process.env, { JWT_JWKS_URL: jwks.url.href, ...env });
  const brokerLog: TestStack['brokerLog'] = [];
  const extra = typeof options === 'function' ? await options() : options;
  const broker = await startLocalBroker({
    handler: await importAuthorizer(), mqttPort: 0, wsPort: 0, httpPort: 0,
    log: (message, detail) => brokerLog.push({ message, detail }), ...extra,
  });
  return {
    broker, jwks, signer, brokerLog,
    close: async () => {
      await broker.close();
      await jwks.close();
    },
  };
}
