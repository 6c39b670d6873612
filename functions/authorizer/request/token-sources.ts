import type { EnvReader } from '../config/env-reader.ts';

/**
 * Where a token may sit in IoT's event: the MQTT CONNECT's password or username, a header or query parameter
 * of the WebSocket upgrade or HTTPS request (`protocolData.http`), or the top-level `token` IoT fills from
 * the authorizer's `TokenKeyName`.
 */
export type TokenSource =
  | { readonly kind: 'password' | 'username' | 'token' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'query'; readonly name: string };

export const DEFAULT_TOKEN_SOURCES: readonly TokenSource[] = Object.freeze([{ kind: 'password' }]);

/** How a source is written in JWT_FROM and in logs: `password`, `header:authorization`, `query:token`. */
export function sourceLabel(source: TokenSource): string {
  return 'name' in source ? `${source.kind}:${source.name}` : source.kind;
}

// RFC 9110 token characters: what an HTTP field name may hold.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PLAIN = new Set(['password', 'username', 'token']);

/**
 * JWT_FROM: an ordered, comma-separated list (`password,query:token,header:authorization`). Header names are
 * kept lower-case, as they are compared; query names are compared as written.
 */
export function readTokenSources(read: EnvReader, name = 'JWT_FROM'): readonly TokenSource[] {
  const items = read.list(name);
  if (items === undefined) return DEFAULT_TOKEN_SOURCES;
  const sources: TokenSource[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const source = parseSource(item);
    if (typeof source === 'string') {
      read.problem(name, `"${item}": ${source}`);
      continue;
    }
    const label = sourceLabel(source);
    if (seen.has(label)) read.problem(name, `"${item}" is listed twice`);
    seen.add(label);
    sources.push(source);
  }
  return sources.length > 0 ? Object.freeze(sources) : DEFAULT_TOKEN_SOURCES;
}

function parseSource(item: string): TokenSource | string {
  if (PLAIN.has(item)) return { kind: item as 'password' | 'username' | 'token' };
  const colon = item.indexOf(':');
  const kind = colon === -1 ? item : item.slice(0, colon);
  const name = colon === -1 ? '' : item.slice(colon + 1).trim();
  if (kind === 'header') {
    if (name === '') return 'expected header:NAME, e.g. header:authorization';
    if (!HEADER_NAME.test(name)) return 'not a valid HTTP header name';
    return { kind: 'header', name: name.toLowerCase() };
  }
  if (kind === 'query') {
    if (name === '') return 'expected query:NAME, e.g. query:token';
    if (/[&=#?\s]/.test(name)) return 'a query parameter name cannot hold & = # ? or spaces';
    return { kind: 'query', name };
  }
  return 'expected password, username, token, header:NAME or query:NAME';
}
