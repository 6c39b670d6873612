import { createHash } from 'node:crypto';

const IOT_PRINCIPAL = /^[A-Za-z0-9]{1,128}$/;

/**
 * A `principalId` IoT accepts (`[a-zA-Z0-9]{1,128}`, custom-auth docs) derived from the token's subject.
 * An alphanumeric subject is kept as is; any other keeps its alphanumeric characters (readable in logs)
 * followed by a hash of the whole value, so `a-b` and `ab` stay distinct.
 */
export function principalIdFor(subject: string): string {
  if (IOT_PRINCIPAL.test(subject)) return subject;
  let principal = derived.get(subject);
  if (principal === undefined) {
    const readable = subject.replace(/[^A-Za-z0-9]/g, '').slice(0, 64);
    principal = `${readable}${createHash('sha256').update(subject, 'utf8').digest('hex').slice(0, 32)}`;
    // A device reconnects with a new token but the same subject: its hash is kept, a bounded number of them.
    if (derived.size >= MAX_DERIVED) derived.clear();
    if (subject.length <= 256) derived.set(subject, principal);
  }
  return principal;
}

const MAX_DERIVED = 4096;
const derived = new Map<string, string>();
