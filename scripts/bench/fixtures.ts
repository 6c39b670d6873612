// What every benchmark uses: generated keys, tokens minted from them, and the event and rules a real
// fleet would send. Nothing is pasted: keys are made per run.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { connectEvent } from '../../local/iot-event.ts';

export const ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type Alg = (typeof ALGORITHMS)[number];

export interface BenchKey {
  readonly alg: Alg;
  readonly kid: string;
  readonly signingKey: CryptoKey | Uint8Array;
  /** What verifies: a KeyObject for node:crypto and jose. */
  readonly verifyKey: KeyObject;
  /** For the authorizer's configuration: a public JWK, or the raw HMAC secret. */
  readonly publicJwk: JWK | undefined;
  readonly secret: Uint8Array | undefined;
}

export async function benchKey(alg: Alg): Promise<BenchKey> {
  const kid = `bench-${alg.toLowerCase()}`;
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    return { alg, kid, signingKey: secret, verifyKey: createSecretKey(secret), publicJwk: undefined, secret };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, signingKey: privateKey, verifyKey: createPublicKey({ key: publicJwk as never, format: 'jwk' }), publicJwk, secret: undefined };
}

/** A device's typical rules: its own telemetry and commands, a fleet topic, a shadow. */
export const DEVICE_ACL = [
  { permission: 'allow', action: 'publish', topic: 'fleet/${clientid}/telemetry/#' },
  { permission: 'allow', action: 'subscribe', topic: 'fleet/${clientid}/cmd/+' },
  { permission: 'allow', action: 'subscribe', topic: 'fleet/broadcast/#' },
  { permission: 'allow', action: 'all', topic: '$aws/things/${clientid}/shadow/#' },
  { permission: 'deny', action: 'publish', topic: 'fleet/${clientid}/telemetry/debug' },
];

export const ISSUER = 'https://idp.bench.example';
export const AUDIENCE = 'mqtt';

/** Distinct tokens (a fresh `jti` each) for `count` devices, valid an hour. */
export async function mintTokens(key: BenchKey, count: number, withKid = true): Promise<Array<{ token: string; clientId: string }>> {
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const clientId = `device-${String(i % 5000).padStart(5, '0')}`;
    const token = await new SignJWT({ sub: clientId, iss: ISSUER, aud: AUDIENCE, jti: randomBytes(8).toString('hex'), acl: DEVICE_ACL })
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', ...(withKid && { kid: key.kid }) })
      .setIssuedAt(now).setExpirationTime(now + 3600)
      .sign(key.signingKey);
    return { token, clientId };
  }));
}

/** The event IoT Core sends for this device's CONNECT. */
export function eventFor(token: string, clientId: string) {
  return connectEvent({ password: token, username: clientId, clientId, authorizerName: 'JwtAuthorizer' });
}

/** The authorizer's configuration for these keys (HMAC secrets come from Secrets Manager only). */
export function authorizerEnv(key: BenchKey, secretsEndpoint?: string): Record<string, string> {
  return {
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_VERIFY_CLAIMS: '{"sub":"${clientid}"}',
    ...(key.publicJwk !== undefined
      ? { JWT_JWKS: JSON.stringify({ keys: [key.publicJwk] }) }
      : { JWT_SECRET_ID: 'bench-secret', AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint ?? '' }),
  };
}

export const HERMETIC_AWS_ENV = {
  AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
};

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
