// esbuild plugin for the browser bundles: fails the build, naming the importing file, when code
// meant for browsers reaches Node: a Node built-in (`fs`, `node:os`…), the `webgpu` package
// (Dawn's Node bindings) or a Node-only module (`*.node.ts`, `engine/node.ts`).
import { builtinModules } from 'node:module';

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export function isNodeOnly(spec) {
  return builtins.has(spec) || spec.startsWith('node:') || spec === 'webgpu' || spec.startsWith('webgpu/') ||
    /\.node\.(ts|js|mjs)$/.test(spec) || /(^|\/)engine\/node\.ts$/.test(spec);
}

export const browserGuard = {
  name: 'samgpu-browser-guard',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || !isNodeOnly(args.path)) return undefined;
      return { errors: [{ text: `browser bundle: ${args.importer || '(entry)'} imports '${args.path}', which is Node-only (keep Node code in *.node.ts modules that browser code does not import)` }] };
    });
  },
};
