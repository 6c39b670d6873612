#!/usr/bin/env node
// npx iot-jwt-authorizer <explain|token> …: runs the TypeScript CLI through tsx (a dev dependency).
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
