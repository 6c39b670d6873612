// Builds the deployable: dist/authorizer/index.mjs, one ESM file with every dependency inside (no node_modules).
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/authorizer`;

// Two chunks the SDK imports dynamically that Node on Lambda never loads: bowser parses a browser's user
// agent (only in browsers), and smithy's event-stream codec serves streaming operations, which neither
// GetSecretValue nor BatchGetItem is. Each is replaced by a module that says so if it were ever loaded.
const NEVER_LOADED = /^(?:bowser|@smithy\/core\/event-streams)$/;
const leaveOutNeverLoaded = {
  name: 'leave-out-never-loaded',
  setup(build) {
    build.onResolve({ filter: /bowser|event-streams/ }, (args) => (NEVER_LOADED.test(args.path) ? { path: args.path, namespace: 'never-loaded' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'never-loaded' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is left out of the authorizer bundle: it is never loaded on Node`)});`,
      loader: 'js',
    }));
  },
};

// middy's core imports web streams and stream/promises for response streaming (streamifyResponse), which
// this handler never turns on; loading those two built-ins was about 2 ms of every cold start. Within
// middy they are replaced by stand-ins that say so if streaming were ever used.
const MIDDY_STREAMING = /^node:stream\/(?:web|promises)$/;
const leaveOutMiddyStreaming = {
  name: 'leave-out-middy-streaming',
  setup(build) {
    build.onResolve({ filter: MIDDY_STREAMING }, (args) => (args.importer.includes('@middy/core') ? { path: args.path, namespace: 'middy-streaming' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'middy-streaming' }, () => ({
      contents: `const unused = () => { throw new Error('response streaming is left out of the authorizer bundle'); };
export class ReadableStream { constructor() { unused(); } }
export const pipeline = unused;`,
      loader: 'js',
    }));
  },
};

export async function buildAuthorizer({ quiet = false } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: 'functions/authorizer/handler.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // The Secrets Manager client is imported on first use: in its own chunk, a configuration without
    // JWT_SECRET_ID never reads it from disk.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // The SDK's ESM build: 140 KiB smaller and faster to import than its CommonJS main (docs: stack.md).
    mainFields: ['module', 'main'],
    // Lambda's credentials are environment variables: the SDK's full default chain is left out.
    alias: { '@aws-sdk/credential-provider-node': './functions/authorizer/keys/lambda-credentials.ts' },
    plugins: [leaveOutNeverLoaded, leaveOutMiddyStreaming],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: quiet ? 'silent' : 'warning',
  });
  const files = Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.mjs'));
  const contents = files.map((file) => readFileSync(`${root}${file}`));
  const summary = {
    file: 'dist/authorizer/index.mjs',
    bytes: contents.reduce((n, c) => n + c.length, 0),
    gzipBytes: contents.reduce((n, c) => n + gzipSync(c).length, 0),
    entryBytes: readFileSync(`${outdir}/index.mjs`).length,
  };
  if (!quiet) {
    console.log(`built ${summary.file} (+${files.length - 1} chunk): ${(summary.bytes / 1024).toFixed(1)} KiB in all, ${(summary.gzipBytes / 1024).toFixed(1)} KiB gzip; entry ${(summary.entryBytes / 1024).toFixed(1)} KiB`);
  }
  return { ...summary, metafile: result.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAuthorizer();
