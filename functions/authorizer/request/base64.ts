/**
 * Decodes standard, padded base64 (RFC 4648 §4) and nothing else: Buffer.from(…, 'base64') alone skips
 * characters it does not know. Canonical input only: encoding the bytes again must give the same text.
 */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
