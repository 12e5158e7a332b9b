// dataset.options are checked against the options each dataset's loader takes: a misspelled or
// mistyped option is an error naming the field, never silently ignored. No GPU needed.
import assert from 'node:assert/strict';
import { DATASET_NAMES, DATASET_OPTIONS, validateConfig } from '../experiments/runner/config.ts';
import { loadDataset } from '../experiments/runner/datasets.node.ts';
import { PRESETS, presetConfig } from '../experiments/runner/presets.ts';

const cifar = (options: Record<string, unknown>) => ({ dataset: { name: 'cifar-mnist', dataDir: '/data', options } });

describe('config: dataset options', () => {
  it('a misspelled option is an error naming it and listing the known ones', () => {
    assert.throws(
      () => validateConfig(cifar({ trainCorelation: 0.9 })),
      /^SamgpuError: config: dataset\.options\.trainCorelation: unknown option for 'cifar-mnist' \(known: sizes, trainCorrelation, valCorrelation, pairs, seed, mnistDir, cifarDir, cacheDir\)$/,
    );
    assert.throws(() => validateConfig(cifar({ sizes: { trian: 100 } })), /config: dataset\.options\.sizes\.trian: unknown field \(known: train, val, test\)/);
    // An option of another dataset is unknown here too.
    assert.throws(() => validateConfig({ dataset: { name: 'waterbirds', dataDir: '/data', options: { testDomain: 'x' } } }), /dataset\.options\.testDomain: unknown option for 'waterbirds'/);
    assert.throws(() => validateConfig({ dataset: { name: 'synthetic', options: { name: 'celeba' } } }), /dataset\.options\.name: unknown option for 'synthetic'/);
  });

  it('a wrong type or an out-of-range value names the field and what was expected', () => {
    assert.throws(() => validateConfig(cifar({ trainCorrelation: '0.9' })), /config: dataset\.options\.trainCorrelation: expected a number in \[0, 1\], got "0\.9"/);
    assert.throws(() => validateConfig(cifar({ trainCorrelation: 1.5 })), /dataset\.options\.trainCorrelation: expected a number in \[0, 1\], got 1\.5/);
    assert.throws(() => validateConfig(cifar({ valCorrelation: 'none' })), /dataset\.options\.valCorrelation: expected a number in \[0, 1\], or null/);
    assert.throws(() => validateConfig(cifar({ sizes: { train: 10.5 } })), /dataset\.options\.sizes\.train: expected an integer >= 1, got 10\.5/);
    assert.throws(() => validateConfig(cifar({ pairs: [[0, 1], [0, 9]] })), /dataset\.options\.pairs: expected pairs whose first classes are distinct/);
    assert.throws(() => validateConfig(cifar({ pairs: [[0, 1]] })), /dataset\.options\.pairs: expected a list of at least 2/);
    assert.throws(() => validateConfig(cifar({ cacheDir: true })), /dataset\.options\.cacheDir: expected a path, or false \(no cache\), got true/);
    assert.throws(() => validateConfig({ dataset: { name: 'celeba', dataDir: '/d', options: { resolution: '64' } } }), /dataset\.options\.resolution: expected an integer >= 1, got "64"/);
    assert.throws(() => validateConfig({ dataset: { name: 'celeba', dataDir: '/d', options: { target: 3 } } }), /dataset\.options\.target: expected a CelebA attribute name, got 3/);
    assert.throws(() => validateConfig({ dataset: { name: 'waterbirds', dataDir: '/d', options: { transform: { steps: [{ op: 'crop', size: 8 }] } } } }), /dataset\.options\.transform: expected a transform/);
    const db = (options: Record<string, unknown>) => ({ dataset: { name: 'domainbed', dataDir: '/d', options } });
    assert.throws(() => validateConfig(db({ testDomain: true })), /dataset\.options\.testDomain: expected the held-out target domain \(a folder name or an index\), got true/);
    assert.throws(() => validateConfig(db({ dataset: 'PACS' })), /config: dataset\.options\.testDomain: expected the held-out target domain/);
    assert.throws(() => validateConfig(db({ testDomain: 'cartoon', holdoutFraction: 0 })), /dataset\.options\.holdoutFraction: expected a number in \(0, 1\), got 0/);
    assert.throws(() => validateConfig({ dataset: { name: 'synthetic', options: { train: -1 } } }), /dataset\.options\.train: expected an integer >= 1, got -1/);
  });

  it('valid options pass through unchanged', () => {
    const options = { sizes: { train: 100, val: 20 }, trainCorrelation: 0.95, valCorrelation: null, pairs: [[0, 1], [1, 9]], seed: 4, cacheDir: false };
    assert.deepEqual(validateConfig(cifar(options)).dataset.options, options);
    const t = { transform: { steps: [{ op: 'resize', size: [80, 80] }, { op: 'centerCrop', size: 64 }], normalize: null }, limit: { train: 500 } };
    assert.deepEqual(validateConfig({ dataset: { name: 'waterbirds', dataDir: '/d', options: t } }).dataset.options, t);
    assert.deepEqual(validateConfig({ dataset: { name: 'domainbed', dataDir: '/d', options: { testDomain: 2 } } }).dataset.options, { testDomain: 2 });
  });

  it('every preset and the test configs validate, with their options kept', () => {
    assert.deepEqual([...DATASET_NAMES].sort(), Object.keys(DATASET_OPTIONS).sort());
    for (const name of Object.keys(PRESETS)) {
      // the published protocols start from pretrained weights: without a file they stop at once
      if (PRESETS[name].model?.pretrained) {
        assert.throws(() => validateConfig(presetConfig(name, { dataDir: '/data' })), /config: model.weights: expected the pretrained weights this protocol starts from \(ImageNet weights converted with `python3 scripts\/convert-torchvision.py/, name);
      }
      const cfg = validateConfig(presetConfig(name, { dataDir: '/data', weights: PRESETS[name].model?.pretrained ? '/w.safetensors' : undefined }));
      assert.deepEqual(cfg.dataset.options, PRESETS[name].dataset.options ?? {}, name);
      assert.ok(DATASET_NAMES.includes(cfg.dataset.name as (typeof DATASET_NAMES)[number]), name);
    }
    // Every dataset has a preset.
    assert.deepEqual(DATASET_NAMES.filter((d) => !Object.values(PRESETS).some((p) => p.dataset.name === d)), []);
    // The synthetic options the runner, sweep and Slurm tests use.
    validateConfig({ dataset: { name: 'synthetic', options: { train: 128, val: 64, test: 64 } } });
  });

  it('k-feature datasets and the vector nets: options and model fields checked by name', () => {
    assert.throws(() => validateConfig({ dataset: { name: 'lms', options: { slabs: [3, 4] } } }), /config: dataset\.options\.slabs: expected a list of slab counts, each 3, 5 or 7, got \[3,4\]/);
    assert.throws(() => validateConfig({ dataset: { name: 'collage', options: { blocks: ['mnist', 'svnh'] } } }), /dataset\.options\.blocks: expected a list of at least 2 blocks from 'mnist', 'fashion', 'cifar', 'svhn', 'grating'/);
    assert.throws(() => validateConfig({ dataset: { name: 'collage', options: { grating: { contrast: 0.2, nosie: 1 } } } }), /config: dataset\.options\.grating\.nosie: unknown field/);
    assert.throws(() => validateConfig({ dataset: { name: 'collage', options: { downsample: 3 } } }), /downsample: expected one of 1, 2, 4, 8/);
    assert.throws(() => validateConfig({ model: { name: 'small-cnn', units: 8 } }), /model\.units: expected no such option for 'small-cnn'/);
    assert.throws(() => validateConfig({ dataset: { name: 'lms' }, model: { name: 'mlp', units: 0 } }), /model\.units: expected an integer >= 1, got 0/);
    const cfg = validateConfig({ dataset: { name: 'collage', options: { blocks: ['mnist', 'grating'], positions: [[0, 0], [0, 1]], grating: { angles: [45, 135] } } } });
    assert.deepEqual(cfg.dataset.options, { blocks: ['mnist', 'grating'], positions: [[0, 0], [0, 1]], grating: { angles: [45, 135] } });
    assert.deepEqual(validateConfig({ dataset: { name: 'toy' }, model: { name: 'branch', units: 4, bias: false } }).model, { name: 'branch', stem: undefined, units: 4, bias: false });
  });

  it('loadDataset checks the options too and hands valid ones to the loader', async () => {
    await assert.rejects(loadDataset({ name: 'synthetic', options: { trian: 8 } }, 0), /config: dataset\.options\.trian: unknown option for 'synthetic'/);
    const ds = await loadDataset({ name: 'synthetic', options: { train: 8, val: 4, test: 6, size: 8 } }, 0);
    assert.deepEqual([ds.splits.train.n, ds.splits.val.n, ds.splits.test.n], [8, 4, 6]);
    assert.deepEqual(ds.shape, [1, 8, 8]);
  });
});
