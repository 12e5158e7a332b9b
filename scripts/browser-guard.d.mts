import type { Plugin } from 'esbuild';
export declare function isNodeOnly(spec: string): boolean;
export declare const browserGuard: Plugin;
