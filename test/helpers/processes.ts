// Running the project's commands as a user does, in child processes with a user's environment.
import { expect } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Only what a user's shell has: no JWT_* configuration at all.
export const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JWT_')));

export type Run = { code: number; stdout: string; stderr: string };

export function run(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd: ROOT, env: { ...ENV, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

export const cli = (args: string[], input?: string, env: Record<string, string> = {}) => run(['local/cli.mjs', ...args], env, input);

// Neither a stack trace nor (minified) source: what a user should see for a mistake of theirs.
export const expectNoStack = (output: string) => {
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/\^\s*$/m);
  expect(output.length).toBeLessThan(5000);
};


/** Runs `npm start`'s script until it prints its Ctrl-C line (or exits), then stops it. */
export async function startStack(env: Record<string, string>, use: (stderr: string) => Promise<void> = async () => {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: { ...ENV, MQTT_PORT: '0', MQTT_WS_PORT: '0', IOT_HTTP_PORT: '0', MQTT_TLS_PORT: '0', ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([
    new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 15 s:\n${stderr}`)), 15_000);
      child.stderr.on('data', () => { if (stderr.includes('Ctrl-C')) { clearTimeout(timer); resolve(true); } });
      child.once('exit', () => clearTimeout(timer));
    }),
    exited.then(() => false),
  ]);
  try {
    if (ready) await use(stderr);
  } finally {
    if (ready) child.kill('SIGINT');
  }
  return { code: await exited, stderr };
}
