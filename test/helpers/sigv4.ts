// An independent SigV4 check, written from AWS's "Create a signed AWS API request" steps, for requests the
// function signs with the SDK's signer: proves the request it builds (host, path, signed headers, body hash)
// is what a real AWS endpoint would accept with these credentials.
import { createHash, createHmac } from 'node:crypto';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export interface CapturedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Whether the request's Authorization header is a valid SigV4 signature by this secret key; why not if not. */
export function checkSigV4(request: CapturedRequest, secretAccessKey: string): { valid: boolean; why?: string } {
  const authorization = request.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return { valid: false, why: `not a SigV4 Authorization header: ${authorization}` };
  const [, , date, region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string, string];
  const amzDate = request.headers['x-amz-date'] ?? '';
  if (!amzDate.startsWith(date!)) return { valid: false, why: 'x-amz-date does not match the credential scope' };
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) return { valid: false, why: 'host is not signed' };
  const payloadHash = request.headers['x-amz-content-sha256'] ?? sha256(request.body);
  if (payloadHash !== sha256(request.body)) return { valid: false, why: 'the body hash does not match the body' };
  const [path, query = ''] = request.path.split('?') as [string, string?];
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonicalHeaders = names.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [request.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? { valid: true } : { valid: false, why: 'the signature does not match' };
}
