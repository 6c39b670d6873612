// dynalite ships no types: the part of its API the local stack uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string }
  export default function dynalite(options?: DynaliteOptions): Server;
}
