import { decodeStrictBase64 } from './base64.ts';
import { Denied } from '../deny.ts';
import { isPlainObject } from '../config/env-reader.ts';
import { sourceLabel, type TokenSource } from './token-sources.ts';

/** What the authorizer needs from the event IoT Core sends: for an MQTT CONNECT (over TLS or WebSocket) or an HTTPS publish. */
export interface ConnectRequest {
  readonly token: string;
  /** The source the token was taken from. */
  readonly from: TokenSource;
  /** `http` is an HTTPS publish: no MQTT session, no client id, no iot:Connect. */
  readonly protocol: 'mqtt' | 'http';
  /** Undefined when the device sent none: IoT includes it "only when the device sends the value". */
  readonly clientId: string | undefined;
  /** The MQTT username without the query string IoT's clients append (`?x-amz-customauthorizer-name=…`). */
  readonly username: string | undefined;
  readonly connectionId: string | undefined;
}

/** Larger tokens are refused before any decoding or parsing. IoT's own `token` field stops at 6,144 characters. */
export const MAX_TOKEN_BYTES = 16 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
// The scheme of an Authorization header, in any case (RFC 9110 §11.1: case-insensitive), then its spaces.
const BEARER = /^bearer +/i;

type Fields = Record<string, unknown>;

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const field = (parent: Fields | undefined, name: string): Fields | undefined => {
  const value = parent?.[name];
  return isPlainObject(value) ? value : undefined;
};

/** The connection id, if the event carries one, for logs even when the rest of the event is unusable. */
export function connectionIdOf(event: unknown): string | undefined {
  const metadata = isPlainObject(event) ? event.connectionMetadata : undefined;
  return isPlainObject(metadata) ? optionalString(metadata.id)?.slice(0, 128) : undefined;
}

/**
 * Reads the token, client id and username from a custom authorizer event. The event is untrusted input:
 * any shape is handled. The token is taken from the first source that is present and non-empty; a source
 * that is present but unreadable is a deny, never a reason to try the next one (two credentials never mix).
 * @throws Denied TOKEN_MISSING, TOKEN_TOO_LARGE or TOKEN_MALFORMED
 */
export function readConnectRequest(event: unknown, sources: readonly TokenSource[]): ConnectRequest {
  const root = isPlainObject(event) ? event : undefined;
  const protocolData = field(root, 'protocolData');
  const mqtt = field(protocolData, 'mqtt');
  const http = field(protocolData, 'http');
  const rawUsername = optionalString(mqtt?.username);
  // Strip from the first '?': what follows is the authorizer's query string, never part of the identity.
  const username = rawUsername?.split('?', 1)[0];
  for (const from of sources) {
    const token = tokenFrom(from, root, mqtt, http, username);
    if (token === undefined || token === '') continue;
    if (token.length > MAX_TOKEN_BYTES) throw new Denied('TOKEN_TOO_LARGE', { from: sourceLabel(from), length: token.length });
    return { token, from, protocol: protocolOf(root, mqtt), clientId: optionalString(mqtt?.clientId), username, connectionId: connectionIdOf(event) };
  }
  const why = mqtt === undefined && http === undefined ? 'no MQTT or HTTP protocol data' : undefined;
  throw new Denied('TOKEN_MISSING', { from: sources.map(sourceLabel).join(','), ...(why && { why }) });
}

// IoT lists the protocols of the connection: `["tls","http"]` is an HTTPS publish, which has no MQTT data.
function protocolOf(root: Fields | undefined, mqtt: Fields | undefined): 'mqtt' | 'http' {
  if (mqtt !== undefined) return 'mqtt';
  const protocols = root?.protocols;
  return Array.isArray(protocols) && protocols.includes('http') && !protocols.includes('mqtt') ? 'http' : 'mqtt';
}

function tokenFrom(from: TokenSource, root: Fields | undefined, mqtt: Fields | undefined, http: Fields | undefined, username: string | undefined): string | undefined {
  switch (from.kind) {
    case 'password': return decodePassword(mqtt?.password);
    case 'username': return username;
    case 'token': return plainString(root?.token, 'token');
    case 'header': return headerValue(field(http, 'headers'), from.name);
    case 'query': return queryValue(http?.queryString, from.name);
  }
}

function plainString(value: unknown, label: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Denied('TOKEN_MALFORMED', { from: label, why: 'not a string' });
  return value;
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

/** A header's value, its name matched in any case; a `Bearer ` scheme is dropped. */
function headerValue(headers: Fields | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const label = `header:${name}`;
  let found: unknown;
  let count = 0;
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    found = headers[key];
    count += 1;
  }
  if (count === 0) return undefined;
  // Two spellings of one header: which one IoT's gateway meant cannot be known.
  if (count > 1) throw new Denied('TOKEN_MALFORMED', { from: label, why: 'the header is sent more than once' });
  const value = plainString(found, label);
  return value === undefined ? undefined : value.replace(BEARER, '').trim();
}

/**
 * A query parameter's value, percent-decoded (`+` stays a plus: JWTs never hold spaces). The string is IoT's
 * raw `queryString`, with its leading `?`.
 */
function queryValue(queryString: unknown, name: string): string | undefined {
  const label = `query:${name}`;
  const query = plainString(queryString, label);
  if (query === undefined) return undefined;
  if (query.length > MAX_TOKEN_BYTES * 3) throw new Denied('TOKEN_TOO_LARGE', { from: label, length: query.length });
  let found: string | undefined;
  for (const pair of (query.startsWith('?') ? query.slice(1) : query).split('&')) {
    const equals = pair.indexOf('=');
    const key = percentDecoded(equals === -1 ? pair : pair.slice(0, equals), label);
    if (key !== name) continue;
    // `?token=a&token=b`: a proxy and the authorizer may each read a different one.
    if (found !== undefined) throw new Denied('TOKEN_MALFORMED', { from: label, why: 'the parameter is sent more than once' });
    found = equals === -1 ? '' : percentDecoded(pair.slice(equals + 1), label);
  }
  return found;
}

function percentDecoded(text: string, label: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Denied('TOKEN_MALFORMED', { from: label, why: 'bad percent-encoding' });
  }
}
