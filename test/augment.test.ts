import assert from 'node:assert/strict';
import { Rng } from '../engine/random.ts';
import { augmentBatch } from '../engine/ops/augment.ts';
import { AUGMENTS, exampleRng, mapBox, randomResizedCropBox, sampleAugmentParams } from '../experiments/data/augment.ts';
import { Fixture } from './fixtures.ts';
import { gpu, assertClose } from './helpers.ts';

describe('training augmentation on the GPU against torchvision (fixed parameters)', () => {
  before(gpu);

  it('crop + antialiased resize + flip + ColorJitter in order + grayscale + normalize match torchvision to 1e-5', async () => {
    const fx = new Fixture('augment');
    const srcShape = JSON.parse(fx.metadata.src_shape) as [number, number, number];
    const outSize = JSON.parse(fx.metadata.out_size) as [number, number];
    const bytes = Uint8Array.from(fx.get('src').data);
    const params = fx.get('params').data;
    const out = augmentBatch(bytes, params, { srcShape, outSize, normalize: { mean: JSON.parse(fx.metadata.mean), std: JSON.parse(fx.metadata.std) } });
    const got = await out.read();
    const want = fx.get('out').data;
    const per = 3 * outSize[0] * outSize[1];
    for (let b = 0; b < want.length / per; b++) {
      // absolute 1e-5 on values of order 1 (the normalized range is about [-2.1, 2.7])
      assertClose(got.subarray(b * per, (b + 1) * per), want.subarray(b * per, (b + 1) * per), 1e-5, `example ${b}`, 1);
    }
    out.dispose();
  });

  it('refuses a crop box outside the source, naming the example', () => {
    const p = new Float32Array(16);
    p.set([2, 0, 8, 4]);
    assert.throws(() => augmentBatch(new Uint8Array(3 * 8 * 8), p, { srcShape: [3, 8, 8], outSize: [4, 4] }), /augmentBatch: example 0: crop box top 2, left 0, 8×4 is not inside the 8×8 source/);
  });
});

describe('augmentation parameters (torchvision\'s distributions, our generator)', () => {
  it('RandomResizedCrop boxes stay inside the image with area and aspect in range (up to rounding)', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 2000; t++) {
      // aspect ratios within [3/4, 4/3], where torchvision's fallback is the whole image
      const h = 60 + (t % 150);
      const w = Math.round(h * (0.75 + ((t * 7) % 59) / 100));
      const [top, left, ch, cw] = randomResizedCropBox(h, w, [0.7, 1], [3 / 4, 4 / 3], rng);
      assert.ok(top >= 0 && left >= 0 && top + ch <= h && left + cw <= w, `box ${[top, left, ch, cw]} in ${h}×${w}`);
      const frac = (ch * cw) / (h * w);
      assert.ok(frac > 0.65 && frac <= 1.0001, `area fraction ${frac}`);
    }
  });

  it('falls back to torchvision\'s central crop when no draw fits (a 10×200 strip)', () => {
    // ratio ≤ 4/3 cannot fit a ≥ 70% area box in a 10×200 image: central crop of width round(10·4/3) = 13
    assert.deepEqual(randomResizedCropBox(10, 200, [0.7, 1], [3 / 4, 4 / 3], new Rng(1)), [0, 93, 10, 13]);
    assert.deepEqual(randomResizedCropBox(200, 10, [0.7, 1], [3 / 4, 4 / 3], new Rng(1)), [93, 0, 13, 10]);
  });

  it('boxes on the original map onto the stored source in whole pixels, inside it', () => {
    assert.deepEqual(mapBox([10, 20, 300, 400], 375, 500, 375, 500), [10, 20, 300, 400]);
    assert.deepEqual(mapBox([0, 0, 375, 500], 375, 500, 256, 256), [0, 0, 256, 256]);
    assert.deepEqual(mapBox([75, 100, 300, 400], 375, 500, 256, 256), [51, 51, 205, 205]);
  });

  it('an example\'s parameters are a pure function of (seed, epoch, index)', () => {
    const spec = AUGMENTS.domainbed;
    const draw = (s: number, e: number, i: number) => [...sampleAugmentParams(spec, 300, 400, 256, 256, exampleRng(s, e, i))];
    assert.deepEqual(draw(1, 2, 3), draw(1, 2, 3));
    assert.notDeepEqual(draw(1, 2, 3), draw(1, 3, 3));
    assert.notDeepEqual(draw(1, 2, 3), draw(1, 2, 4));
    assert.notDeepEqual(draw(1, 2, 3), draw(2, 2, 3));
  });

  it('DomainBed\'s jitter: each example applies all four operations in a random order, factors in range', () => {
    const spec = AUGMENTS.domainbed;
    let flips = 0;
    let greys = 0;
    const firsts = new Set<number>();
    for (let i = 0; i < 4000; i++) {
      const p = sampleAugmentParams(spec, 227, 227, 227, 227, exampleRng(0, 0, i));
      assert.deepEqual([...p.subarray(10, 14)].sort(), [0, 1, 2, 3]);
      firsts.add(p[10]);
      for (const k of [5, 6, 7]) assert.ok(p[k] >= 0.7 && p[k] <= 1.3);
      assert.ok(p[8] >= -0.3 && p[8] <= 0.3);
      flips += p[4];
      greys += p[9];
    }
    assert.equal(firsts.size, 4);
    assert.ok(Math.abs(flips / 4000 - 0.5) < 0.03, `flip rate ${flips / 4000}`);
    assert.ok(Math.abs(greys / 4000 - 0.1) < 0.02, `grayscale rate ${greys / 4000}`);
    const dfr = sampleAugmentParams(AUGMENTS.dfr, 100, 100, 100, 100, exampleRng(0, 0, 0));
    assert.deepEqual([...dfr.subarray(5, 14)], [1, 1, 1, 0, 0, -1, -1, -1, -1], 'no colour operations without ColorJitter');
  });
});
