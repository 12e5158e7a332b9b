// A tiny static file server for the demo page (Node's http module), on 127.0.0.1 only: WebGPU
// needs a secure context, and http://127.0.0.1 / localhost is one.
//
//   node --import ./scripts/register-loader.mjs scripts/serve-web.node.ts [--port N] [--dir DIR]
//   (port also from $PORT; default 8080; 0 picks a free one)
import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

export interface StaticServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Serve the files under `dir` (GET/HEAD; `/` is index.html; nothing outside `dir`). */
export async function serveStatic(dir: string, opts: { port?: number; host?: string } = {}): Promise<StaticServer> {
  const rootDir = resolve(dir);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    const file = normalize(join(rootDir, path.endsWith('/') ? `${path}index.html` : path));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8080, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

async function main(args: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const portArg = opt('--port') ?? process.env.PORT ?? '8080';
  const port = Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in [0, 65535], got '${portArg}'`);
  const dir = opt('--dir') ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');
  try {
    statSync(join(dir, 'index.html'));
  } catch {
    throw new Error(`${join(dir, 'index.html')} not found: build the page first (npm run build:web)`);
  }
  const s = await serveStatic(dir, { port });
  console.log(`samgpu demo: ${s.url}  (serving ${resolve(dir)}; Ctrl-C stops)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`serve-web: ${e.message}`);
    process.exit(1);
  });
}
