/**
 * The revocation table's key schema, shared by the function (which reads it) and the CLI (which writes
 * it). One partition key, `pk`, per kind of entry, so that one BatchGetItem reads every entry that could
 * apply to a token:
 * - `jti#<jti>`: one token;
 * - `sub#<sub>`: a subject, whatever issuer signed its token;
 * - `iss-sub#<iss, percent-encoded>#<sub>`: a subject of one issuer only (the encoding keeps `#` out of iss);
 * - `client#<client id>`: a client id.
 * An item may carry `expiresAt` (seconds since the epoch: after it the entry no longer applies, and
 * DynamoDB's TTL deletes it) and a `reason`.
 */
export type RevocationKind = 'jti' | 'sub' | 'iss-sub' | 'client';

export interface RevocationTarget {
  readonly jti?: string;
  readonly sub?: string;
  readonly iss?: string;
  readonly clientId?: string;
}

export const PARTITION_KEY = 'pk';
export const EXPIRY_ATTRIBUTE = 'expiresAt';

export function jtiKey(jti: string): string {
  return `jti#${jti}`;
}

export function subjectKey(sub: string, iss?: string): string {
  return iss === undefined ? `sub#${sub}` : `iss-sub#${encodeURIComponent(iss)}#${sub}`;
}

export function clientKey(clientId: string): string {
  return `client#${clientId}`;
}

/** Every key that would revoke a token with these claims, presented by this client. */
export function revocationKeysFor(target: RevocationTarget): string[] {
  const keys: string[] = [];
  if (target.jti !== undefined) keys.push(jtiKey(target.jti));
  if (target.sub !== undefined) {
    keys.push(subjectKey(target.sub));
    if (target.iss !== undefined) keys.push(subjectKey(target.sub, target.iss));
  }
  if (target.clientId !== undefined) keys.push(clientKey(target.clientId));
  return keys;
}

/** The kind of entry a key names, for the deny detail. */
export function kindOf(key: string): RevocationKind {
  return key.slice(0, key.indexOf('#')) as RevocationKind;
}
