/**
 * Why a key source could not load, in words an operator acts on: the HTTP status, "timed out", "connection
 * refused", "not JSON", or the AWS error's name (AccessDeniedException, ResourceNotFoundException, …).
 * Never the material itself: every message here is written by this code or names an error class.
 */
export function describeLoadFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 128);
  // Our own errors (key material, HTTP) carry a message written to be logged.
  if (err.name === 'KeyMaterialError' || err.name === 'HttpGetError') return err.message;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'timed out';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  // An AWS SDK error: its name is the service's error code.
  if (status !== undefined) return `${err.name} (HTTP ${status})`;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  return code !== undefined ? `${err.name} ${code}` : err.name;
}
