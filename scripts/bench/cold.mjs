// Run in a fresh process by scripts/bench.ts: import the bundle and answer one CONNECT, then report how
// long that took inside the process (the parent measures the wall time of the whole process too).
import { pathToFileURL } from 'node:url';

const started = performance.now();
const { handler } = await import(pathToFileURL(process.env.BENCH_BUNDLE).href);
const imported = performance.now();
const response = await handler(JSON.parse(process.env.BENCH_EVENT), {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', awsRequestId: 'cold', functionName: 'bench',
  getRemainingTimeInMillis: () => 5000,
});
if (!response.isAuthenticated) process.exit(3);
process.send?.({ importMs: imported - started, firstAnswerMs: performance.now() - imported });
process.exit(0);
