// The demo page: pick the toy or FMNIST-MNIST, SGD / SAM / LSAM, lr and ρ, and watch the model
// train on this machine's GPU — loss, accuracy, probe errors per feature, Lorenz curves and Gini
// of the importance weights λ and λ̃, sample images. Settings may also come from the URL
// (?dataset=fmnist-mnist&optimizer=sgd&lr=0.05&rho=0.05&steps=50&autostart=1).
// `window.samgpuDemo` lets scripts (the browser test) run the same thing and read the numbers.
import { init } from '../engine/browser.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import type {} from './demo-api.ts';
import { toDataset } from '../experiments/data/two-feature.ts';
import type { TwoFeatureDataset } from '../experiments/data/types.ts';
import { inputDim } from '../experiments/toy/data.ts';
import { decodeTwoFeatureFile } from './data-file.ts';
import { runLive, type LiveResult, type LivePoint, type LiveUpdate, type ProbePoint } from './live/session.ts';
import { DATASETS, OPTIMIZERS, defaultSettings, validateSettings, type LiveDataset, type LiveOptimizer, type LiveSettings } from './live/settings.ts';
import { toyLiveData } from './live/toy.ts';
import { accuracyChart, giniChart, lorenzChart, lossChart, probeChart, svgDataUrl, toyScatter } from './charts.ts';
import { renderSampleGrid } from './samples.ts';
import { adapterFailure, checkWebGpu } from './gpu-check.ts';

export const DATA_URL = 'data/fmnist-mnist.bin';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const status = $<HTMLParagraphElement>('status');
const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

let rt: Runtime | null = null;
let imageData: TwoFeatureDataset | null = null;
let running = false;
let stopRequested = false;
/** Settings the form does not show (monitoring and probe sizes), from the URL or run(). */
let hidden: Partial<LiveSettings> = {};

function setState(state: string): void {
  document.body.dataset.state = state;
}

function say(text: string, error = false): void {
  status.replaceChildren();
  const span = document.createElement('span');
  if (error) span.className = 'err';
  span.textContent = text;
  status.append(span);
}

function showSettings(s: LiveSettings): void {
  field('dataset').value = s.dataset;
  for (const r of Array.from(form.querySelectorAll<HTMLInputElement>('input[name=optimizer]'))) r.checked = r.value === s.optimizer;
  for (const k of ['lr', 'rho', 'steps', 'batchSize', 'seed'] as const) field(k).value = String(s[k]);
  (field('probes') as HTMLInputElement).checked = s.probes;
  field('batchSize').disabled = s.dataset === 'toy'; // the toy trains full batch
}

function readSettings(): Partial<LiveSettings> {
  const optimizer = (form.querySelector<HTMLInputElement>('input[name=optimizer]:checked')?.value ?? 'sam') as LiveOptimizer;
  const dataset = field('dataset').value as LiveDataset;
  const num = (k: string) => (field(k).value.trim() === '' ? undefined : Number(field(k).value));
  const probes = (field('probes') as HTMLInputElement).checked;
  const s: Partial<LiveSettings> = { ...hidden, dataset, optimizer, lr: num('lr'), rho: num('rho'), steps: num('steps'), seed: num('seed'), probes };
  if (dataset !== 'toy') s.batchSize = num('batchSize');
  return s;
}

async function loadImages(): Promise<TwoFeatureDataset> {
  if (imageData) return imageData;
  const res = await fetch(DATA_URL);
  if (!res.ok) throw new Error(`could not load ${DATA_URL} (HTTP ${res.status}): build the page with \`npm run build:web\``);
  imageData = toDataset(decodeTwoFeatureFile(await res.arrayBuffer(), DATA_URL));
  return imageData;
}

async function showSamples(dataset: LiveDataset, seed: number): Promise<void> {
  const grid = $<HTMLDivElement>('samples');
  const scatter = $<HTMLImageElement>('toy-scatter');
  if (dataset === 'toy') {
    const d = toyLiveData(seed, 4);
    $('samples-title').textContent = 'Samples: the toy training set (signal coordinates of the two features)';
    scatter.src = svgDataUrl(toyScatter(d.train.x, d.train.y, inputDim(d.config.data), d.config.data.easy.dim));
    scatter.hidden = false;
    grid.replaceChildren();
    return;
  }
  const ds = await loadImages();
  scatter.hidden = true;
  $('samples-title').textContent = `Samples: decorrelated test split (${ds.features.easy.name} on top · ${ds.features.hard.name} below)`;
  renderSampleGrid(grid, ds, ds.splits.test);
}

interface Curves {
  points: LivePoint[];
  probes: ProbePoint[];
  last: LiveUpdate | null;
}

function drawCharts(c: Curves, names: { easy: string; hard: string } | null): void {
  const set = (id: string, svg: string) => ($<HTMLImageElement>(id).src = svgDataUrl(svg));
  set('chart-loss', lossChart(c.points));
  set('chart-accuracy', accuracyChart(c.points, c.probes));
  set('chart-probe', probeChart(c.probes, names));
  const l = c.last;
  set('chart-lorenz', lorenzChart(l?.lorenz ?? null, l?.point.step ?? null, l ? { real: l.point.gini, phantom: l.point.giniPhantom } : null));
  set('chart-gini', giniChart(c.points));
}

function featureNames(dataset: LiveDataset): { easy: string; hard: string } {
  if (dataset === 'toy') return { easy: 'ℝ⁵ feature (easy)', hard: 'ℝ⁵⁰ feature (hard)' };
  const short = (f: { name: string } | undefined, what: string) => `${f?.name.split(' ')[0] ?? 'feature'} (${what})`;
  return { easy: short(imageData?.features.easy, 'easy'), hard: short(imageData?.features.hard, 'hard') };
}

async function train(input: Partial<LiveSettings>): Promise<LiveResult> {
  if (running) throw new Error('a run is in progress: stop it first');
  if (!rt) throw new Error('WebGPU is not available in this browser');
  let s: LiveSettings;
  try {
    s = validateSettings(input);
  } catch (e) {
    say(`Cannot train: ${(e as Error).message}`, true);
    throw e;
  }
  running = true;
  stopRequested = false;
  trainButton.disabled = true;
  stopButton.disabled = false;
  setState('running');
  try {
    if (s.dataset !== 'toy' && !imageData) say(`Loading ${DATA_URL}…`);
    const ds = s.dataset === 'toy' ? null : await loadImages();
    await showSamples(s.dataset, s.seed);
    const curves: Curves = { points: [], probes: [], last: null };
    const names = s.probes ? featureNames(s.dataset) : null;
    drawCharts(curves, names);
    const t0 = performance.now();
    const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
    say(`Training ${s.optimizer.toUpperCase()} on ${s.dataset} (compiling the GPU kernels first)…`);
    const result = await runLive(s, ds, {
      shouldStop: () => stopRequested,
      onUpdate: (u) => {
        curves.points.push(u.point);
        curves.last = u;
        drawCharts(curves, names);
        say(`${s.optimizer.toUpperCase()} · step ${u.point.step}/${s.steps} · loss ${u.point.loss.toPrecision(4)} · accuracy ${u.point.accuracy.toFixed(3)} · Gini λ ${u.point.gini.toFixed(3)}, λ̃ ${u.point.giniPhantom.toFixed(3)} · ${secs()} s · ${rt!.gpu.describe()}`);
      },
      onProbeStart: (step) => say(`${s.optimizer.toUpperCase()} · step ${step}/${s.steps} · fitting the linear probes on the frozen features… · ${secs()} s`),
      onProbe: (p) => {
        curves.probes.push(p);
        drawCharts(curves, names);
      },
    });
    const p = result.probes[result.probes.length - 1];
    say(`${result.stopped ? 'Stopped' : 'Done'}: ${result.stepsDone} steps of ${s.optimizer.toUpperCase()} in ${result.seconds.toFixed(1)} s` +
      (p ? ` · probe error easy ${p.easyError.toFixed(3)}, hard ${p.hardError.toFixed(3)} at step ${p.step}` : '') + ` · ${rt.gpu.describe()}`);
    window.samgpuDemo.lastResult = result;
    setState('done');
    return result;
  } catch (e) {
    say(`Training failed: ${(e as Error).message}`, true);
    setState('error');
    throw e;
  } finally {
    running = false;
    trainButton.disabled = false;
    stopButton.disabled = true;
  }
}

function fromUrl(): { settings: Partial<LiveSettings>; autostart: boolean } {
  const q = new URLSearchParams(location.search);
  const s: Record<string, unknown> = {};
  for (const [k, v] of q) {
    if (k === 'dataset' || k === 'optimizer') s[k] = v;
    else if (k === 'probes') s[k] = v !== '0' && v !== 'false';
    else if (k !== 'autostart') s[k] = Number(v);
  }
  return { settings: s as Partial<LiveSettings>, autostart: q.get('autostart') === '1' };
}

async function start(): Promise<{ ok: boolean; adapter?: string; message?: string }> {
  const check = checkWebGpu(navigator as { gpu?: unknown }, window.isSecureContext);
  const fail = (message: string) => {
    const box = $<HTMLDivElement>('nogpu');
    box.textContent = message;
    box.hidden = false;
    say('WebGPU unavailable: nothing can be trained here.', true);
    setState('no-webgpu');
    return { ok: false, message };
  };
  if (!check.ok) return fail(check.message);
  try {
    rt = await init();
  } catch (e) {
    return fail(adapterFailure(e).message);
  }
  const adapter = rt.gpu.describe();
  window.samgpuDemo.adapter = adapter;
  trainButton.disabled = false;
  window.samgpuDemo.adapterInfo = { ...rt.gpu.info };
  say(`Ready · WebGPU adapter: ${adapter}` + (rt.gpu.info.isSoftware
    ? ' — a CPU (software) adapter: training is slow here, and the CNN\'s linear probes take minutes (untick "fit linear probes" for a quick run)'
    : ''));
  setState('ready');
  return { ok: true, adapter };
}

function wire(): void {
  const url = fromUrl();
  const { dataset = 'toy', optimizer = 'sam' } = url.settings;
  const initial = { ...defaultSettings(DATASETS.includes(dataset) ? dataset : 'toy', OPTIMIZERS.includes(optimizer) ? optimizer : 'sam') };
  const { every, probeEvery, probeSize } = url.settings;
  hidden = Object.fromEntries(Object.entries({ every, probeEvery, probeSize }).filter(([, v]) => v !== undefined));
  showSettings({ ...initial, ...url.settings } as LiveSettings);
  field('dataset').addEventListener('change', () => {
    const s = defaultSettings(field('dataset').value as LiveDataset, readSettings().optimizer);
    showSettings(s);
    hidden = {};
    void showSamples(s.dataset, s.seed).catch((e) => say((e as Error).message, true));
  });
  for (const r of Array.from(form.querySelectorAll<HTMLInputElement>('input[name=optimizer]'))) {
    r.addEventListener('change', () => (field('rho').value = String(defaultSettings(field('dataset').value as LiveDataset, r.value as LiveOptimizer).rho)));
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    train(readSettings()).catch(() => {});
  });
  stopButton.addEventListener('click', () => (stopRequested = true));
  window.samgpuDemo = {
    ready: start(),
    adapter: null,
    adapterInfo: null,
    lastResult: null,
    checkWebGpu,
    run: async (settings) => {
      await window.samgpuDemo.ready;
      const s = validateSettings(settings);
      hidden = { every: s.every, probeEvery: s.probeEvery, probeSize: s.probeSize };
      showSettings(s);
      return train(s);
    },
  };
  drawCharts({ points: [], probes: [], last: null }, featureNames(initial.dataset));
  void showSamples(initial.dataset, initial.seed).catch((e) => say((e as Error).message, true));
  void window.samgpuDemo.ready.then((r) => {
    if (r.ok && url.autostart) train(readSettings()).catch(() => {});
  });
}

wire();
