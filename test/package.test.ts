// The engine as a library: `npm pack` gives a package that installs into an empty project,
// runs the README's example and type-checks a TypeScript consumer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

describe('the package', () => {
  let dir = '';
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('packs, installs into an empty project, runs the example and type-checks a consumer', function () {
    this.timeout(300_000);
    dir = mkdtempSync(join(tmpdir(), 'samgpu-pack-'));
    run('npm', ['pack', '--pack-destination', dir, '--silent'], root); // prepack builds dist/
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack wrote a tarball');
    const proj = join(dir, 'consumer');
    run('mkdir', ['-p', proj], dir);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    // --prefer-offline: the dependencies are already in npm's cache from our own install
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(dir, tgz!)], proj);
    copyFileSync(join(root, 'examples/train.mjs'), join(proj, 'train.mjs'));
    const out = run('node', ['train.mjs'], proj);
    const acc = Number(/train accuracy ([\d.]+)/.exec(out)?.[1]);
    assert.ok(acc > 0.9, `example output:\n${out}`);
    writeFileSync(join(proj, 'consumer.ts'), [
      "import { init, tensor, nn, optim, type Tensor } from 'samgpu';",
      'await init();',
      'const m = new nn.Linear(2, 1);',
      'const opt: optim.SGD = new optim.SGD(m.parameters(), { lr: 0.1 });',
      'const y: Tensor = m.forward(tensor([1, 2], [1, 2]));',
      'console.log(y.shape, opt.lr);',
    ].join('\n'));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'consumer.ts'], proj);
  });
});
