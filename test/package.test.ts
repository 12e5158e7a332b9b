// The engine as a library: `npm pack` gives a package that installs into an empty project,
// runs the examples (training, a custom kernel, data + probes from `samgpu/experiments`) and
// type-checks TypeScript consumers of both entry points.
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

  it('packs, installs into an empty project, runs the examples and type-checks consumers', function () {
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
    for (const f of ['train.mjs', 'custom-kernel.mjs', 'probe.mjs']) copyFileSync(join(root, 'examples', f), join(proj, f));
    const out = run('node', ['train.mjs'], proj);
    const acc = Number(/train accuracy ([\d.]+)/.exec(out)?.[1]);
    assert.ok(acc > 0.9, `example output:\n${out}`);
    // the custom kernel's forward and backward: x³ and 3x² at x = 1, 2, 3
    const kernel = run('node', ['custom-kernel.mjs'], proj);
    assert.match(kernel, /x³ = \[ 1, 8, 27 \]\s+d\/dx = \[ 3, 12, 27 \]/, `custom-kernel example output:\n${kernel}`);
    // samgpu/experiments: data and probes
    const probe = run('node', ['probe.mjs'], proj);
    const [easy, hard] = (/probe error: easy feature ([\d.]+), hard feature ([\d.]+)/.exec(probe) ?? []).slice(1).map(Number);
    assert.ok(easy >= 0 && easy < 0.1 && hard >= 0 && hard <= 1, `probe example output:\n${probe}`);
    writeFileSync(join(proj, 'consumer.ts'), [
      "import { init, tensor, nn, optim, type Tensor } from 'samgpu';",
      'await init();',
      'const m = new nn.Linear(2, 1);',
      'const opt: optim.SGD = new optim.SGD(m.parameters(), { lr: 0.1 });',
      'const y: Tensor = m.forward(tensor([1, 2], [1, 2]));',
      'console.log(y.shape, opt.lr);',
    ].join('\n'));
    writeFileSync(join(proj, 'consumer-experiments.ts'), [
      "import { init, data, featureProbes, probes, dataFiles } from 'samgpu/experiments';",
      'await init();',
      'const ds: data.TwoFeatureDataset = data.syntheticTwoFeature({ train: 8 });',
      'const spec: dataFiles.TwoFeatureSpec = { name: \'embedded\' };',
      'const fit: typeof probes.fitLinearProbes = probes.fitLinearProbes;',
      'console.log(ds.name, spec.name, typeof featureProbes.probeFeatures, typeof fit);',
    ].join('\n'));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'consumer.ts', 'consumer-experiments.ts'], proj);
  });
});
