// The demo page: pick the toy or FMNIST-MNIST, SGD / SAM / LSAM, lr and ρ, and watch the model
// train on this machine's GPU. Runs are kept and overlaid (web/runs.ts), one colour each: loss,
// accuracy on the decorrelated split, probe errors per feature, Lorenz curves and Gini of the
// importance weights λ and λ̃, the paper's comparison in words (web/comparison.ts), samples.
// Defaults fit the adapter (a CPU adapter gets a shorter CNN run without probes); long work shows
// a ticking clock; Stop answers at the next step or within STOP_POLL_MS during a long phase.
// Settings may also come from the URL (?dataset=fmnist-mnist&optimizer=sgd&lr=0.05&steps=50&autostart=1).
// `window.samgpuDemo` lets scripts (the browser test) run the same thing and read the numbers.
import { init } from '../engine/browser.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import type {} from './demo-api.ts';
import { toDataset } from '../experiments/data/two-feature.ts';
import type { TwoFeatureDataset } from '../experiments/data/types.ts';
import { inputDim } from '../experiments/toy/data.ts';
import { decodeTwoFeatureFile } from './data-file.ts';
import { runLive, type LiveResult, type LivePhase } from './live/session.ts';
import { DATASETS, OPTIMIZERS, defaultSettings, probeCost, validateSettings, type LiveDataset, type LiveOptimizer, type LiveSettings } from './live/settings.ts';
import { toyLiveData } from './live/toy.ts';
import { evalChart, giniByLossChart, giniChart, lorenzChart, lossChart, probeChart, svgDataUrl, toyScatter } from './charts.ts';
import { compareRuns } from './comparison.ts';
import { RunStore, type PageRun } from './runs.ts';
import { pace, StatusLine } from './status.ts';
import { renderSampleGrid } from './samples.ts';
import { adapterFailure, checkWebGpu } from './gpu-check.ts';

export const DATA_URL = 'data/fmnist-mnist.bin';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const status = new StatusLine($('status'), $<HTMLProgressElement>('progress'));
const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

let rt: Runtime | null = null;
let software = false;
let imageData: TwoFeatureDataset | null = null;
let running = false;
let stopRequested = false;
/** GPU work a stopped run left in flight (it cannot be cancelled): the next run waits for it. */
let pendingWork: Promise<unknown> | null = null;
const store = new RunStore();
/** Settings the form does not show (monitoring, probe and evaluation sizes), from the URL or run(). */
let hidden: Partial<LiveSettings> = {};

function setState(state: string): void {
  document.body.dataset.state = state;
}

const currentDataset = () => field('dataset').value as LiveDataset;
const currentOptimizer = () => (form.querySelector<HTMLInputElement>('input[name=optimizer]:checked')?.value ?? 'sam') as LiveOptimizer;

/** SGD has no ρ: the field is disabled (and not read) while SGD is selected. */
function syncOptimizerFields(): void {
  field('rho').disabled = currentOptimizer() === 'sgd';
}

function showSettings(s: LiveSettings): void {
  field('dataset').value = s.dataset;
  for (const r of Array.from(form.querySelectorAll<HTMLInputElement>('input[name=optimizer]'))) r.checked = r.value === s.optimizer;
  for (const k of ['lr', 'rho', 'steps', 'batchSize', 'seed'] as const) field(k).value = String(s[k]);
  (field('probes') as HTMLInputElement).checked = s.probes;
  field('batchSize').disabled = s.dataset === 'toy'; // the toy trains full batch
  $('probe-cost').textContent = probeCost(s.dataset, software);
  syncOptimizerFields();
}

function readSettings(): Partial<LiveSettings> {
  const optimizer = currentOptimizer();
  const dataset = currentDataset();
  const num = (k: string) => (field(k).value.trim() === '' ? undefined : Number(field(k).value));
  const probes = (field('probes') as HTMLInputElement).checked;
  const defaults = defaultSettings(dataset, optimizer, software);
  const s: Partial<LiveSettings> = { ...defaults, ...hidden, dataset, optimizer, lr: num('lr'), steps: num('steps'), seed: num('seed'), probes };
  if (optimizer !== 'sgd') s.rho = num('rho');
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

function featureNames(dataset: LiveDataset): { easy: string; hard: string } {
  if (dataset === 'toy') return { easy: 'the ℝ⁵ feature', hard: 'the ℝ⁵⁰ feature' };
  return { easy: imageData?.features.easy.name ?? 'the digit', hard: imageData?.features.hard.name ?? 'the Fashion-MNIST class' };
}

function drawCharts(): void {
  const dataset = currentDataset();
  const runs = store.of(dataset);
  const set = (id: string, svg: string) => ($<HTMLImageElement>(id).src = svgDataUrl(svg));
  const classes = dataset === 'toy' ? 2 : imageData?.features.hard.classes.length ?? 5;
  const planned = Number(field('steps').value);
  set('chart-loss', lossChart(runs, planned));
  set('chart-accuracy', evalChart(runs, classes, planned));
  set('chart-probe', probeChart(runs, planned));
  set('chart-lorenz', lorenzChart(runs));
  set('chart-gini', giniChart(runs, planned));
  set('chart-gini-loss', giniByLossChart(runs));
  const names = featureNames(dataset);
  $('probe-title').textContent = `Probe error per feature (linear probes on the frozen features): hard = ${names.hard} (solid), easy = ${names.easy} (dotted)`;
  $('comparison').replaceChildren(...compareRuns(runs).lines.map((l) => Object.assign(document.createElement('li'), { textContent: l })));
}

function runSummary(r: PageRun): string {
  const e = r.evals[r.evals.length - 1];
  const p = r.probes[r.probes.length - 1];
  const parts = [r.status === 'running' ? 'running' : `${r.status}, ${r.seconds.toFixed(0)} s`];
  if (e) parts.push(`decorrelated acc ${e.accuracyHard.toFixed(2)}`);
  if (p) parts.push(`probe error easy ${p.easyError.toFixed(2)}, hard ${p.hardError.toFixed(2)}`);
  return parts.join(' · ');
}

function renderRuns(): void {
  const dataset = currentDataset();
  const items = store.runs.map((r) => {
    const li = document.createElement('li');
    li.className = r.settings.dataset === dataset ? '' : 'other';
    li.dataset.run = String(r.id);
    const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
    swatch.style.background = r.color;
    const text = Object.assign(document.createElement('span'), { textContent: `${r.label}${r.settings.dataset === dataset ? '' : ` (${r.settings.dataset})`}: ${runSummary(r)}` });
    const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'remove', disabled: r.status === 'running', title: `remove ${r.label}` });
    remove.addEventListener('click', () => {
      store.remove(r.id);
      renderRuns();
      drawCharts();
    });
    li.append(swatch, text, remove);
    return li;
  });
  $('run-list').replaceChildren(...items);
  $<HTMLButtonElement>('clear-runs').disabled = !store.runs.some((r) => r.status !== 'running');
}

const PHASE_TEXT: Record<LivePhase, string> = {
  probe: 'fitting the linear probes on the frozen features',
  evaluate: 'measuring accuracy on the decorrelated split',
};

async function train(input: Partial<LiveSettings>): Promise<LiveResult> {
  if (running) throw new Error('a run is in progress: stop it first');
  if (!rt) throw new Error('WebGPU is not available in this browser');
  let s: LiveSettings;
  try {
    s = validateSettings(input);
  } catch (e) {
    status.say(`Cannot train: ${(e as Error).message}`, true);
    throw e;
  }
  running = true;
  stopRequested = false;
  trainButton.disabled = true;
  stopButton.disabled = false;
  setState('running');
  let run: PageRun | null = null;
  try {
    if (pendingWork) {
      status.tick((t) => `Waiting for the stopped run's GPU work to finish before starting… ${t.toFixed(0)} s`);
      await pendingWork;
    }
    if (s.dataset !== 'toy' && !imageData) status.say(`Loading ${DATA_URL}…`);
    const ds = s.dataset === 'toy' ? null : await loadImages();
    await showSamples(s.dataset, s.seed);
    const r = (run = store.add(s));
    renderRuns();
    drawCharts();
    const name = `${r.label}`;
    status.tick((t) => `${name} · compiling the GPU kernels and starting… ${t.toFixed(0)} s`);
    const result = await runLive(s, ds, {
      shouldStop: () => stopRequested,
      onUpdate: (u) => {
        r.points.push(u.point);
        r.last = u;
        r.seconds = u.point.seconds;
        drawCharts();
        const p = u.point;
        const speed = pace(p.step, s.steps, p.seconds, r.points[0]?.seconds ?? 0);
        status.say(`${name} · step ${p.step}/${s.steps} · loss ${p.loss.toPrecision(3)} · Gini λ ${p.gini.toFixed(2)}${p.giniPhantom !== undefined ? `, λ̃ ${p.giniPhantom.toFixed(2)}` : ''}` +
          `${speed ? ` · ${speed}` : ''} · ${p.seconds.toFixed(1)} s`);
        status.progress(p.step, s.steps);
      },
      onPhase: (phase, step) => {
        const cost = phase === 'probe' ? ` (${probeCost(s.dataset, software)})` : '';
        status.tick((t) => `${name} · step ${step}/${s.steps} · ${PHASE_TEXT[phase]}… ${t.toFixed(0)} s${cost} · Stop answers at once`);
      },
      onProbe: (p) => {
        r.probes.push(p);
        drawCharts();
        renderRuns();
      },
      onEval: (e) => {
        r.evals.push(e);
        drawCharts();
        renderRuns();
      },
      onAbandoned: (work) => {
        pendingWork = work;
        void work.finally(() => {
          pendingWork = null;
          if (!running) status.say(`${status.text} · the GPU has finished the stopped run's work`);
        });
      },
    });
    r.status = result.stopped ? 'stopped' : 'done';
    r.seconds = result.seconds;
    renderRuns();
    drawCharts();
    const p = result.probes[result.probes.length - 1];
    const e = result.evals[result.evals.length - 1];
    status.say(`${result.stopped ? 'Stopped' : 'Done'}: ${result.stepsDone} steps of ${name} in ${result.seconds.toFixed(1)} s` +
      (e ? ` · decorrelated accuracy ${e.accuracyHard.toFixed(3)} (hard label), ${e.accuracyEasy.toFixed(3)} (easy label)` : '') +
      (p ? ` · probe error easy ${p.easyError.toFixed(3)}, hard ${p.hardError.toFixed(3)} at step ${p.step}` : '') +
      (pendingWork ? ' · the GPU is still finishing work queued before the stop (it cannot be cancelled); the next run waits for it' : '') +
      ` · ${rt.gpu.describe()}`);
    status.progress(0, 0);
    window.samgpuDemo.lastResult = result;
    setState('done');
    return result;
  } catch (e) {
    if (run) run.status = 'failed';
    renderRuns();
    status.say(`Training failed: ${(e as Error).message}`, true);
    status.progress(0, 0);
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

async function start(url: Partial<LiveSettings>): Promise<{ ok: boolean; adapter?: string; message?: string }> {
  const check = checkWebGpu(navigator as { gpu?: unknown }, window.isSecureContext);
  const fail = (message: string) => {
    const box = $<HTMLDivElement>('nogpu');
    box.textContent = message;
    box.hidden = false;
    status.say('WebGPU unavailable: nothing can be trained here.', true);
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
  software = rt.gpu.info.isSoftware;
  window.samgpuDemo.adapter = adapter;
  window.samgpuDemo.adapterInfo = { ...rt.gpu.info };
  // The form's defaults for this adapter, the URL's settings over them.
  showSettings({ ...defaultSettings(currentDataset(), currentOptimizer(), software), ...url } as LiveSettings);
  trainButton.disabled = false;
  status.say(`Ready · WebGPU adapter: ${adapter}` + (software
    ? ' — a CPU (software) adapter: the defaults are small, and the CNN\'s probes are off (tick them to fit them: minutes per fit here)'
    : ''));
  setState('ready');
  return { ok: true, adapter };
}

function wire(): void {
  const url = fromUrl();
  const { dataset = 'toy', optimizer = 'sam' } = url.settings;
  const initial = { ...defaultSettings(DATASETS.includes(dataset) ? dataset : 'toy', OPTIMIZERS.includes(optimizer) ? optimizer : 'sam') };
  const { every, probeEvery, probeSize, evalEvery, evalSize } = url.settings;
  hidden = Object.fromEntries(Object.entries({ every, probeEvery, probeSize, evalEvery, evalSize }).filter(([, v]) => v !== undefined));
  showSettings({ ...initial, ...url.settings } as LiveSettings);
  field('dataset').addEventListener('change', () => {
    const s = defaultSettings(currentDataset(), currentOptimizer(), software);
    showSettings(s);
    hidden = {};
    renderRuns();
    drawCharts();
    void showSamples(s.dataset, s.seed).catch((e) => status.say((e as Error).message, true));
  });
  for (const r of Array.from(form.querySelectorAll<HTMLInputElement>('input[name=optimizer]'))) {
    r.addEventListener('change', () => {
      field('rho').value = String(defaultSettings(currentDataset(), r.value as LiveOptimizer, software).rho);
      syncOptimizerFields();
    });
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    train(readSettings()).catch(() => {});
  });
  stopButton.addEventListener('click', () => {
    stopRequested = true;
    stopButton.disabled = true;
    status.say('Stopping… (at the end of the current step)');
  });
  $('clear-runs').addEventListener('click', () => {
    store.clear();
    renderRuns();
    drawCharts();
  });
  window.samgpuDemo = {
    ready: start(url.settings),
    adapter: null,
    adapterInfo: null,
    lastResult: null,
    checkWebGpu,
    run: async (settings) => {
      await window.samgpuDemo.ready;
      const s = validateSettings(settings);
      hidden = { every: s.every, probeEvery: s.probeEvery, probeSize: s.probeSize, evalEvery: s.evalEvery, evalSize: s.evalSize };
      showSettings(s);
      return train(s);
    },
    stop: () => {
      if (running) stopButton.click();
    },
    runs: () => store.runs.map((r) => ({ id: r.id, label: r.label, color: r.color, optimizer: r.settings.optimizer, dataset: r.settings.dataset, status: r.status })),
    clearRuns: () => {
      store.clear();
      renderRuns();
      drawCharts();
    },
  };
  drawCharts();
  void showSamples(initial.dataset, initial.seed).catch((e) => status.say((e as Error).message, true));
  void window.samgpuDemo.ready.then((r) => {
    if (r.ok && url.autostart) train(readSettings()).catch(() => {});
  });
}

wire();
