// WGSL sources are imported as text: by scripts/ts-loader.mjs in Node, by esbuild's text loader in bundles.
declare module '*.wgsl' {
  const source: string;
  export default source;
}

// The package's ESM build (its `main` is CommonJS that Node cannot load as ESM here).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
