import { decodeStrictBase64 } from './base64.ts';
import { Denied } from '../deny.ts';
import { isPlainObject } from '../config/env-reader.ts';

/** What the authorizer needs from the event IoT Core sends for an MQTT CONNECT. */
export interface ConnectRequest {
  readonly token: string;
  /** Undefined when the device sent none: IoT includes it "only when the device sends the value". */
  readonly clientId: string | undefined;
  /** The MQTT username without the query string IoT's clients append (`?x-amz-customauthorizer-name=…`). */
  readonly username: string | undefined;
  readonly connectionId: string | undefined;
}

/** Larger tokens are refused before any decoding or parsing. IoT's own `token` field stops at 6,144 characters. */
export const MAX_TOKEN_BYTES = 16 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The connection id, if the event carries one, for logs even when the rest of the event is unusable. */
export function connectionIdOf(event: unknown): string | undefined {
  const metadata = isPlainObject(event) ? event.connectionMetadata : undefined;
  return isPlainObject(metadata) ? optionalString(metadata.id)?.slice(0, 128) : undefined;
}

/**
 * Reads the token, client id and username from a custom authorizer event. The event is untrusted input:
 * any shape is handled.
 * @throws Denied TOKEN_MISSING, TOKEN_TOO_LARGE or TOKEN_MALFORMED
 */
export function readConnectRequest(event: unknown, tokenFrom: 'password' | 'username'): ConnectRequest {
  const protocolData = isPlainObject(event) ? event.protocolData : undefined;
  const mqtt = isPlainObject(protocolData) ? protocolData.mqtt : undefined;
  if (!isPlainObject(mqtt)) throw new Denied('TOKEN_MISSING', { from: tokenFrom, why: 'no MQTT protocol data' });
  const rawUsername = optionalString(mqtt.username);
  // Strip from the first '?': what follows is the authorizer's query string, never part of the identity.
  const username = rawUsername?.split('?', 1)[0];
  const token = tokenFrom === 'username' ? username : decodePassword(mqtt.password);
  if (token === undefined || token === '') throw new Denied('TOKEN_MISSING', { from: tokenFrom });
  if (token.length > MAX_TOKEN_BYTES) throw new Denied('TOKEN_TOO_LARGE', { from: tokenFrom, length: token.length });
  return { token, clientId: optionalString(mqtt.clientId), username, connectionId: connectionIdOf(event) };
}

function decodePassword(password: unknown): string | undefined {
  if (password === undefined || password === null || password === '') return undefined;
  if (typeof password !== 'string') throw new Denied('TOKEN_MALFORMED', { from: 'password', why: 'not a string' });
  if (password.length > Math.ceil(MAX_TOKEN_BYTES / 3) * 4) {
    throw new Denied('TOKEN_TOO_LARGE', { from: 'password', length: password.length });
  }
  // IoT base64-encodes the raw CONNECT password bytes (custom-auth docs: "Your Lambda function must decode it").
  const bytes = decodeStrictBase64(password);
  if (bytes === undefined) throw new Denied('TOKEN_MALFORMED', { from: 'password', why: 'not base64' });
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new Denied('TOKEN_MALFORMED', { from: 'password', why: 'not UTF-8' });
  }
}
