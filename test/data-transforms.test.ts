// Image decoding and the standard transforms against PIL 9 (test/fixtures/resize.safetensors,
// made by scripts/golden/resize.py) and hand-computed torchvision values.
import assert from 'node:assert/strict';
import { Fixture } from './fixtures.ts';
import { decodeImage } from '../experiments/data/decode.node.ts';
import { sniffFormat, cmykToRgb, hwcToChw } from '../experiments/data/image.ts';
import { applySteps, bytesToFloat, centerCrop, resizeBilinear, resizedSize, roundHalfEven, IMAGENET_NORMALIZE } from '../experiments/data/transforms.ts';
import sharp from 'sharp';
import { SamgpuError } from '../engine/device/errors.ts';

const fx = new Fixture('resize');
const u8 = (name: string) => {
  const t = fx.get(name);
  return { data: Uint8Array.from(t.data), h: t.shape[0], w: t.shape[1], c: t.shape[2] ?? 1 };
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('data: decoding and transforms (PIL goldens)', () => {
  const cases = JSON.parse(fx.metadata.cases) as { src: string; h: number; w: number; name: string }[];

  it(`bilinear resize equals PIL's bit for bit (${cases.length} cases: down, up, mixed, one axis, 1×1; RGB and L)`, () => {
    for (const cs of cases) {
      const out = resizeBilinear(u8(cs.src), cs.h, cs.w);
      assert.deepEqual([out.h, out.w], [cs.h, cs.w]);
      assert.equal(maxDiff(out.data, fx.get(cs.name).data), 0, cs.name);
    }
  });

  it('center crop with a half-pixel offset rounds like Python (2.5 → 2), then resize equals PIL', () => {
    const face = u8('face');
    const out = applySteps(face, [{ op: 'centerCrop', size: 21 }, { op: 'resize', size: [12, 12] }]);
    assert.equal(maxDiff(out.data, fx.get('face_crop_resize12').data), 0);
  });

  it('JPEG decoding equals PIL convert("RGB") for 4:2:0 colour, grayscale and Adobe CMYK', async () => {
    for (const name of JSON.parse(fx.metadata.jpegs) as string[]) {
      const bytes = Uint8Array.from(fx.get(`${name}_bytes`).data);
      const img = await decodeImage(bytes, `${name}.jpg`);
      assert.equal(img.c, 3);
      assert.equal(maxDiff(img.data, fx.get(`${name}_decoded`).data), 0, name);
    }
  });

  it('a PNG decodes whatever its name, and RGBA loses its alpha', async () => {
    const png = await sharp({ create: { width: 4, height: 5, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.25 } } }).png().toBuffer();
    assert.equal(sniffFormat(png), 'png');
    const img = await decodeImage(png, 'photo.jpg');
    assert.deepEqual([img.h, img.w, img.c], [5, 4, 3]);
    assert.deepEqual([...img.data.subarray(0, 3)], [10, 200, 30]);
  });

  it('bytes that are neither JPEG nor PNG, and a corrupt JPEG, are errors naming the file', async () => {
    await assert.rejects(decodeImage(new TextEncoder().encode('GIF89a...'), 'x/cat.jpg', 'DomainBed'), /DomainBed: x\/cat\.jpg: not a JPEG or PNG \(magic bytes 47 49 46 38\)/);
    await assert.rejects(decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), 'bad.jpg'), /image: bad\.jpg: corrupt or unreadable JPEG/);
  });

  it("refuses the corrupt files PIL refuses and reads the ones it reads (test/fixtures/corrupt.safetensors)", async () => {
    const cx = new Fixture('corrupt');
    const names = JSON.parse(cx.metadata.cases) as string[];
    const pil = JSON.parse(cx.metadata.pil) as boolean[];
    const disagree: string[] = [];
    for (const [i, name] of names.entries()) {
      const bytes = Uint8Array.from(cx.get(name).data);
      const file = `${name}.${name.startsWith('png') ? 'png' : 'jpg'}`;
      let ours = true;
      try {
        await decodeImage(bytes, file, 'Waterbirds');
      } catch (e) {
        ours = false;
        assert.ok(e instanceof SamgpuError && e.message.startsWith(`Waterbirds: ${file}: `), (e as Error).message);
      }
      if (ours !== pil[i]) disagree.push(`${name} (PIL ${pil[i] ? 'reads' : 'refuses'} it)`);
    }
    assert.ok(names.length >= 80 && pil.some(Boolean) && !pil.every(Boolean));
    assert.deepEqual(disagree, []);
  });

  it('torchvision Resize(int) sizes: shorter side to size, longer truncated', () => {
    assert.deepEqual(resizedSize(218, 178, 64), [78, 64]);
    assert.deepEqual(resizedSize(100, 300, 32), [32, 96]);
    assert.deepEqual(resizedSize(50, 50, 7), [7, 7]);
    assert.deepEqual(resizedSize(50, 60, [3, 9]), [3, 9]);
  });

  it('center crop: offsets by round-half-even, zero padding when the crop is larger', () => {
    assert.deepEqual([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(2.4), roundHalfEven(2.6)], [0, 2, 2, 2, 3]);
    const img = { data: Uint8Array.from({ length: 4 * 5 }, (_, i) => i + 1), h: 4, w: 5, c: 1 };
    // (4−3)/2 = 0.5 → 0; (5−2)/2 = 1.5 → 2.
    assert.deepEqual([...centerCrop(img, 3, 2).data], [3, 4, 8, 9, 13, 14]);
    // Padding 2×2 → 3×4: left (4−2)//2 = 1, top (3−2)//2 = 0, bottom 1.
    const small = { data: Uint8Array.from([1, 2, 3, 4]), h: 2, w: 2, c: 1 };
    assert.deepEqual([...centerCrop(small, 3, 4).data], [0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  });

  it('ToTensor + Normalize in float32 as torch rounds it; HWC → CHW', () => {
    const hwc = { data: Uint8Array.from([0, 128, 255, 10, 20, 30]), h: 1, w: 2, c: 3 };
    const chw = hwcToChw(hwc);
    assert.deepEqual([...chw], [0, 10, 128, 20, 255, 30]);
    const f = bytesToFloat(chw, [3, 1, 2], IMAGENET_NORMALIZE);
    const expect = (b: number, ch: number) => Math.fround(Math.fround(Math.fround(b / 255) - Math.fround(IMAGENET_NORMALIZE.mean[ch])) / Math.fround(IMAGENET_NORMALIZE.std[ch]));
    assert.deepEqual([...f], [expect(0, 0), expect(10, 0), expect(128, 1), expect(20, 1), expect(255, 2), expect(30, 2)]);
    assert.ok(Math.abs(f[0] - -2.1179039) < 1e-6);
    assert.deepEqual([...bytesToFloat(Uint8Array.from([255, 51]), [1, 1, 2])], [1, Math.fround(0.2)]);
  });

  it("CMYK → RGB uses PIL's integer formula", () => {
    const px = cmykToRgb(Uint8Array.from([0, 0, 0, 0, 255, 0, 0, 0, 100, 50, 0, 55]), 1, 3);
    // nk = 200: 200 − 100·200/255 (PIL rounding) = 200 − 78 = 122; 200 − 39 = 161; 200.
    assert.deepEqual([...px.data], [255, 255, 255, 0, 255, 255, 122, 161, 200]);
  });
});
