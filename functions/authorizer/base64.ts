const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard, padded base64 (RFC 4648 §4) and nothing else: Buffer.from(…, 'base64') would accept anything. */
export function isStrictBase64(text: string): boolean {
  return STRICT_BASE64.test(text);
}
