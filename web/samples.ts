// The grid of sample images: examples of a two-feature split drawn on small canvases (grey
// levels, pixelated upscaling), each captioned with its easy and hard labels.
import type { TwoFeatureDataset, TwoFeatureSplit } from '../experiments/data/types.ts';

/** `count` examples of `split`, spread over it (the decorrelated test split shows every combination). */
export function renderSampleGrid(host: HTMLElement, ds: TwoFeatureDataset, split: TwoFeatureSplit, count = 24): void {
  host.replaceChildren();
  const [c, h, w] = split.shape;
  const per = c * h * w;
  const n = Math.min(count, split.n);
  for (let k = 0; k < n; k++) {
    const i = Math.floor((k * split.n) / n);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const img = new ImageData(w, h);
    for (let p = 0; p < h * w; p++) {
      // Channel mean for colour data; the dominoes are grey.
      let v = 0;
      for (let ch = 0; ch < c; ch++) v += split.images[i * per + ch * h * w + p];
      const g = Math.round((v / c) * 255);
      img.data.set([g, g, g, 255], p * 4);
    }
    canvas.getContext('2d')!.putImageData(img, 0, 0);
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = `${ds.features.easy.classes[split.easy[i]]} · ${ds.features.hard.classes[split.hard[i]]}`;
    cap.title = `${ds.features.easy.name}: ${ds.features.easy.classes[split.easy[i]]}; ${ds.features.hard.name}: ${ds.features.hard.classes[split.hard[i]]}`;
    fig.append(canvas, cap);
    host.append(fig);
  }
}
