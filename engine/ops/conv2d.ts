// 2-D convolution (NCHW, PyTorch's F.conv2d) with its backward rule: forward, input gradient
// and weight gradient are three implicit-GEMM kernels (shaders/conv2d_*.wgsl, no im2col
// buffer); 1×1 convolutions with stride 1, no padding and one group are plain matmuls.
import commonSource from '../../shaders/conv2d_common.wgsl';
import forwardSource from '../../shaders/conv2d_forward.wgsl';
import backwardInputSource from '../../shaders/conv2d_backward_input.wgsl';
import backwardWeightSource from '../../shaders/conv2d_backward_weight.wgsl';
import tiledSource from '../../shaders/conv2d_tiled.wgsl';
import gemmSource from '../../shaders/gemm_tiled.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource, Overrides } from '../runtime/pipeline-cache.ts';
import { Runtime } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { optionalTensorThen, sameRuntime, workgroups1d } from './util.ts';
import { matmulKernel } from './matmul.ts';
import { sum } from './reduce.ts';
import { unaryKernel, zeros } from './elementwise.ts';
import { binaryKernel } from './binary.ts';
import { chooseVariant } from '../tune/choices.ts';
import { adapterFacts } from '../tune/variants/adapter.ts';
import {
  conv2dKey, conv2dThreads, conv2dVariant, defaultConv2dVariant, type Conv2dConfig, type Conv2dFamily, type Conv2dShape,
} from '../tune/variants/conv2d.ts';

// Each shader file holds a register-blocked kernel for every adapter and, after a marker, a
// subgroup kernel (clusters of CW lanes); that part is compiled as a second module with
// `enable subgroups;` prepended, only where the feature exists. Both get the declarations of
// shaders/conv2d_common.wgsl (split at the same marker) in front. The tiled kernels for GPUs
// are conv2d_tiled.wgsl's loaders with the tile core (gemm_tiled.wgsl) after them.
const SG_MARK = '// ==== SUBGROUP KERNELS';
const beforeMark = (code: string) => (code.includes(SG_MARK) ? code.slice(0, code.indexOf(SG_MARK)) : code);
function kernels(file: string, code: string, entry: string): [KernelSource, KernelSource] {
  return [
    { name: file, code: `${beforeMark(commonSource)}\n${beforeMark(code)}`, entry },
    { name: `${file}+subgroups`, code: `enable subgroups;\n${commonSource}\n${code}`, entry: `${entry}_sg` },
  ];
}
const [FORWARD, FORWARD_SG] = kernels('conv2d_forward.wgsl', forwardSource, 'conv2d_forward');
const ADD_BIAS: KernelSource = { name: 'conv2d_forward.wgsl', code: FORWARD.code, entry: 'add_bias' };
const [BACKWARD_INPUT, BACKWARD_INPUT_SG] = kernels('conv2d_backward_input.wgsl', backwardInputSource, 'conv2d_backward_input');
const [BACKWARD_WEIGHT, BACKWARD_WEIGHT_SG] = kernels('conv2d_backward_weight.wgsl', backwardWeightSource, 'conv2d_backward_weight');
const TILED: KernelSource = { name: 'conv2d_tiled.wgsl', code: `${beforeMark(commonSource)}\n${tiledSource}\n${gemmSource}`, entry: 'gemm_tiled' };
/** Channels per workgroup of the subgroup kernels (CW lanes × 4 pixels or taps each). */
const SG_CHANNELS = 16;

export type { Conv2dConfig };

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

/** Sizes of one convolution, validated. */
export interface Conv2dGeometry {
  n: number; cin: number; h: number; w: number;
  cout: number; oh: number; ow: number;
  kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number; cinG: number; coutG: number;
}

/**
 * The default configuration for one of the three GEMMs of a convolution: `channelsPerGroup`
 * channels per group on the blocked side (output channels for the forward and weight gradient,
 * input channels for the input gradient), `summedChannels` per group in the reduction.
 */
export function conv2dConfig(rt: Runtime, channelsPerGroup: number, summedChannels = Infinity): Conv2dConfig {
  return conv2dVariant(defaultConv2dVariant(adapterFacts(rt), { blocked: channelsPerGroup, summed: summedChannels }))!.config;
}

/** The tuned choice for `family` on this geometry, else the adapter's default. */
function chosenConfig(rt: Runtime, family: Conv2dFamily, g: Conv2dGeometry): Conv2dConfig {
  const f = adapterFacts(rt);
  const shape: Conv2dShape = {
    kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw, groups: g.groups,
    blocked: family === 'conv2d.inputGrad' ? g.cinG : g.coutG,
    summed: family === 'conv2d.inputGrad' ? g.coutG : g.cinG,
    pixels: family === 'conv2d.inputGrad' ? g.n * g.h * g.w : g.n * g.oh * g.ow,
  };
  const id = chooseVariant(rt, family, conv2dKey(shape), () => ({ geometry: { ...g } }));
  const v = (id !== null && conv2dVariant(id)) || undefined;
  // the weight gradient sums over pixels: its default never depends on the channels summed
  const dflt = defaultConv2dVariant(f, { blocked: shape.blocked, summed: family === 'conv2d.weightGrad' ? Infinity : shape.summed });
  return v && v.fits(f) ? v.config : conv2dVariant(dflt)!.config;
}

function pairOf(op: string, name: string, v: number | [number, number] | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if ((Array.isArray(v) && v.length !== 2) || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new SamgpuError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

export function conv2dGeometry(x: readonly number[], weight: readonly number[], bias: readonly number[] | null, opts: Conv2dOptions = {}): Conv2dGeometry {
  const op = 'conv2d';
  const shapes = `input ${fmtShape(x)}, weight ${fmtShape(weight)}`;
  if (x.length !== 4) throw new SamgpuError(`${op}: input must be 4-D [N, Cin, H, W], got ${fmtShape(x)}`);
  if (weight.length !== 4) throw new SamgpuError(`${op}: weight must be 4-D [Cout, Cin/groups, kH, kW], got ${fmtShape(weight)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new SamgpuError(`${op}: groups must be a positive integer, got ${groups}`);
  const [n, cin, h, w] = x;
  const [cout, cinG, kh, kw] = weight;
  if (cin % groups) throw new SamgpuError(`${op}: groups=${groups} does not divide the input's ${cin} channels (${shapes})`);
  if (cout % groups) throw new SamgpuError(`${op}: groups=${groups} does not divide the weight's ${cout} output channels (${shapes})`);
  if (cin !== cinG * groups) throw new SamgpuError(`${op}: input has ${cin} channels, weight expects ${cinG * groups} (${shapes}${groups > 1 ? `, groups=${groups}` : ''})`);
  if (bias && (bias.length !== 1 || bias[0] !== cout)) {
    throw new SamgpuError(`${op}: bias has shape ${fmtShape(bias)}, expected [${cout}] (one per output channel; weight ${fmtShape(weight)})`);
  }
  const [sh, sw] = pairOf(op, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pairOf(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pairOf(op, 'dilation', opts.dilation, 1, 1);
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (kh < 1 || kw < 1 || oh < 1 || ow < 1) {
    throw new SamgpuError(`${op}: output size ${oh}×${ow} is not positive (${shapes}, padding [${ph},${pw}], stride [${sh},${sw}], dilation [${dh},${dw}])`);
  }
  return { n, cin, h, w, cout, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, groups, cinG, coutG: cout / groups };
}

interface Blocks {
  cblocks?: number; rowBlocks?: number; nBlocks?: number; hasBias?: boolean;
  split?: number; rowsPerSplit?: number; tapBlocks?: number; phaseRows?: number; phaseBlocks?: number;
}

function params(g: Conv2dGeometry, b: Blocks): ArrayBuffer {
  return new Uniforms()
    .u32(g.n, g.cin, g.h, g.w, g.cout, g.oh, g.ow, g.groups)
    .u32(g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw)
    .u32(g.cinG, g.coutG, b.cblocks ?? 1, b.rowBlocks ?? 0, b.nBlocks ?? 0, b.hasBias ? 1 : 0)
    .u32(b.split ?? 1, b.rowsPerSplit ?? 0, b.tapBlocks ?? 0, b.phaseRows ?? 0, b.phaseBlocks ?? 0)
    .u32(g.sh / gcd(g.sh, g.dh), g.sw / gcd(g.sw, g.dw), g.dh / gcd(g.sh, g.dh), g.dw / gcd(g.sw, g.dw))
    .build();
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Workgroups for `blocks` threads in groups of `wg` on x·y, and `z` along z. */
function grid(blocks: number, wg: number, z = 1): [number, number, number] {
  const [gx, gy] = Runtime.grid(Math.ceil(blocks / wg));
  if (z > 65535) throw new SamgpuError(`conv2d: ${z} channel blocks exceed 65535`);
  return [gx, gy, z];
}

/** Overrides of the subgroup kernels: clusters of CW lanes, broadcast only for the 8-lane form. */
const clusterOverrides = (c: Conv2dConfig): Overrides => (c.kernel === 'subgroup' ? {} : { CW: c.cw ?? 8, BCAST8: false });

/**
 * The tiled implicit GEMM (conv2d_tiled.wgsl) in `mode` 0 (forward), 1 (input gradient) or 2
 * (weight gradient, `split` splits of the output pixels): every buffer bound, unused ones by a
 * read-only stand-in.
 */
function dispatchTiled(rt: Runtime, mode: 0 | 1 | 2, c: Conv2dConfig, g: Conv2dGeometry, io: { x?: Tensor; wt?: Tensor; bias?: Tensor | null; dy?: Tensor; out: Tensor }, m: number, n: number, split = 1, rowsPerSplit = 0, relu = false): void {
  const bm = c.bm ?? 64;
  const bn = c.bn ?? 64;
  const input = (io.x ?? io.dy ?? io.wt)!;
  rt.dispatch(TILED, {
    overrides: { MODE: mode, BM: bm, BN: bn, BK: c.bk ?? 16, TM: c.tm ?? 4, TN: c.tn ?? 4, ...(c.db ? { DB: true } : {}), ...(relu ? { RELU: true } : {}) },
    buffers: {
      x: (io.x ?? input).buffer('conv2d'),
      wt: (io.wt ?? input).buffer('conv2d'),
      bias: (io.bias ?? input).buffer('conv2d'),
      dy: (io.dy ?? input).buffer('conv2d'),
      out: io.out.buffer(),
    },
    uniforms: params(g, { hasBias: Boolean(io.bias), split, rowsPerSplit }),
    workgroups: [Math.ceil(n / bn), Math.ceil(m / bm), g.groups * split],
  });
}

/** The forward kernel (no autodiff); `relu` fuses max(·, 0) into its store. */
export function conv2dForwardKernel(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry, cfg?: Conv2dConfig, relu = false): Tensor {
  const rt = x.rt;
  const out = empty([g.n, g.cout, g.oh, g.ow], rt);
  if (out.size === 0) return out;
  const c = cfg ?? chosenConfig(rt, 'conv2d.forward', g);
  if (c.kernel === 'tiled') {
    dispatchTiled(rt, 0, c, g, { x, wt: weight, bias, out }, g.coutG, g.n * g.oh * g.ow, 1, 0, relu);
    return out;
  }
  const sg = c.kernel !== 'register';
  const lanes = sg ? (c.cw ?? 8) : c.wg;
  const cblocks = Math.ceil(g.coutG / (sg ? SG_CHANNELS : c.tc));
  const rowBlocks = Math.ceil(g.ow / 4);
  const nBlocks = g.n * g.oh * rowBlocks;
  rt.dispatch(sg ? FORWARD_SG : FORWARD, {
    // RELU only when set: an explicit false would compile a second, identical pipeline
    overrides: { ...(sg ? clusterOverrides(c) : { TC: c.tc, WG: c.wg }), ...(relu ? { RELU: true } : {}) },
    buffers: { x: x.buffer('conv2d'), wt: weight.buffer('conv2d'), bias: (bias ?? weight).buffer('conv2d'), out: out.buffer() },
    uniforms: params(g, { cblocks, rowBlocks, nBlocks, hasBias: bias !== null }),
    workgroups: grid(nBlocks, lanes, g.groups * cblocks),
  });
  return out;
}

/** dL/dx from dL/dout (no autodiff). */
export function conv2dBackwardInputKernel(dy: Tensor, weight: Tensor, g: Conv2dGeometry, cfg?: Conv2dConfig): Tensor {
  const rt = dy.rt;
  const dx = empty([g.n, g.cin, g.h, g.w], rt);
  if (dx.size === 0) return dx;
  const c = cfg ?? chosenConfig(rt, 'conv2d.inputGrad', g);
  if (c.kernel === 'tiled') {
    dispatchTiled(rt, 1, c, g, { wt: weight, dy, out: dx }, g.cinG, g.n * g.h * g.w);
    return dx;
  }
  const sg = c.kernel !== 'register';
  const lanes = sg ? (c.cw ?? 8) : c.wg;
  const cblocks = Math.ceil(g.cinG / (sg ? SG_CHANNELS : c.tc));
  const phaseRows = Math.ceil(g.h / g.sh);
  const phaseBlocks = Math.ceil(Math.ceil(g.w / g.sw) / 4);
  const perPhase = g.n * phaseRows * phaseBlocks;
  // The subgroup kernel pads each phase to whole workgroups (its taps depend on the phase).
  const rowBlocks = Math.ceil(perPhase / lanes) * lanes;
  const nBlocks = g.sh * g.sw * (sg ? rowBlocks : perPhase);
  rt.dispatch(sg ? BACKWARD_INPUT_SG : BACKWARD_INPUT, {
    overrides: sg ? clusterOverrides(c) : { TC: c.tc, WG: c.wg },
    buffers: { dy: dy.buffer('conv2d backward'), wt: weight.buffer('conv2d backward'), dx: dx.buffer() },
    uniforms: params(g, { cblocks, rowBlocks, nBlocks, phaseRows, phaseBlocks }),
    workgroups: grid(nBlocks, lanes, g.groups * cblocks),
  });
  return dx;
}

/** dL/dweight from dL/dout (no autodiff): split-K partial sums, then `sum` over the splits. */
export function conv2dBackwardWeightKernel(dy: Tensor, x: Tensor, g: Conv2dGeometry, cfg?: Conv2dConfig): Tensor {
  const rt = dy.rt;
  const shape = [g.cout, g.cinG, g.kh, g.kw];
  const c = cfg ?? chosenConfig(rt, 'conv2d.weightGrad', g);
  const threads = conv2dThreads(adapterFacts(rt), c);
  const sg = c.kernel === 'subgroup' || c.kernel === 'cluster';
  const lanes = sg ? (c.cw ?? 8) : c.wg;
  const kg = g.cinG * g.kh * g.kw;
  const tapBlocks = Math.ceil(kg / 4);
  const cblocks = Math.ceil(g.coutG / (sg ? SG_CHANNELS : c.tc));
  const rows = g.n * g.oh;
  if (rows === 0 || g.cout * kg === 0) return zeros(shape, dy); // an empty batch
  let nSplit: number;
  let rowsPerSplit: number;
  if (c.kernel === 'tiled') {
    // splits of the output pixels (the GEMM's K, each ≥ 64 deep) until about `threads` threads run
    const pixels = rows * g.ow;
    const tiles = Math.ceil(g.coutG / (c.bm ?? 64)) * Math.ceil(kg / (c.bn ?? 64)) * g.groups;
    const split = Math.max(1, Math.min(Math.ceil(pixels / 64), Math.ceil(threads / c.wg / tiles)));
    rowsPerSplit = Math.ceil(pixels / split);
    nSplit = Math.ceil(pixels / rowsPerSplit);
  } else {
    // Threads per split (the subgroup kernel runs whole workgroups of CW tap blocks).
    const base = (sg ? Math.ceil(tapBlocks / lanes) * lanes : tapBlocks) * g.groups * cblocks;
    const split = Math.max(1, Math.min(rows, Math.ceil(threads / base)));
    rowsPerSplit = Math.ceil(rows / split);
    nSplit = Math.ceil(rows / rowsPerSplit) || 1;
  }
  const partial = empty(nSplit === 1 ? shape : [nSplit, g.cout * kg], rt);
  if (c.kernel === 'tiled') {
    dispatchTiled(rt, 2, c, g, { x, dy, out: partial }, g.coutG, kg, nSplit, rowsPerSplit);
  } else {
    const base = (sg ? Math.ceil(tapBlocks / lanes) * lanes : tapBlocks) * g.groups * cblocks;
    rt.dispatch(sg ? BACKWARD_WEIGHT_SG : BACKWARD_WEIGHT, {
      overrides: sg ? clusterOverrides(c) : { TC: c.tc, WG: c.wg },
      buffers: { dy: dy.buffer('conv2d backward'), x: x.buffer('conv2d backward'), partial: partial.buffer() },
      uniforms: params(g, { cblocks, split: nSplit, rowsPerSplit, tapBlocks }),
      workgroups: grid(base * nSplit, lanes),
    });
  }
  if (nSplit === 1) return partial;
  const s = sum(partial, 0);
  partial.dispose();
  const dw = s.view(shape);
  s.dispose();
  return dw;
}

function isPointwise(g: Conv2dGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0 && g.groups === 1;
}

/** out[n] = W[Cout, Cin] · X[n] with X[n] viewed as [Cin, H·W]. */
function pointwiseForward(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry): Tensor {
  const xv = x.view([g.n, g.cin, g.h * g.w]);
  const wv = weight.view([g.cout, g.cin]);
  const y = matmulKernel(wv, xv);
  xv.dispose();
  wv.dispose();
  const out = y.view([g.n, g.cout, g.oh, g.ow]);
  y.dispose();
  if (bias && out.size) {
    x.rt.dispatch(ADD_BIAS, {
      buffers: { bias: bias.buffer('conv2d'), out: out.buffer() },
      uniforms: params(g, {}),
      workgroups: workgroups1d(out.size),
    });
  }
  return out;
}

function pointwiseBackward(dy: Tensor, x: Tensor, weight: Tensor, g: Conv2dGeometry, needX: boolean, needW: boolean): [Tensor | null, Tensor | null] {
  const gv = dy.view([g.n, g.cout, g.h * g.w]);
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  if (needX) {
    const wv = weight.view([g.cout, g.cin]);
    const d = matmulKernel(wv, gv, true, false); // Wᵀ · dY[n]
    dx = d.view([g.n, g.cin, g.h, g.w]);
    d.dispose();
    wv.dispose();
  }
  if (needW) {
    const xv = x.view([g.n, g.cin, g.h * g.w]);
    const per = matmulKernel(gv, xv, false, true); // dY[n] · X[n]ᵀ, then Σ over n
    xv.dispose();
    const s = g.n === 1 ? per : sum(per, 0);
    if (s !== per) per.dispose();
    dw = s.view([g.cout, g.cin, 1, 1]);
    s.dispose();
  }
  gv.dispose();
  return [dx, dw];
}

type Pair = number | [number, number];
const CONV_ARGS = ['stride', 'padding', 'dilation', 'groups'];

/**
 * x [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW], bias [Cout] or null → [N, Cout, Ho, Wo]
 * (PyTorch's F.conv2d). After bias: PyTorch's positional stride, padding, dilation, groups, or
 * an options object (which may also stand in for the bias).
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null | Conv2dOptions, stride?: Pair | Conv2dOptions, padding?: Pair, dilation?: Pair, groups?: number): Tensor {
  const a = optionalTensorThen('conv2d', 'bias', bias, [stride, padding, dilation, groups], CONV_ARGS);
  return convOp(x, weight, a.tensor, a.opts, false);
}

/**
 * relu(conv2d(x, weight, bias)) with the ReLU fused into the convolution's store (one pass over
 * the output instead of two) — the same values and gradients bit for bit: the backward masks
 * the gradient where the output is not > 0, which is where the pre-activation is not > 0.
 */
export function conv2dRelu(x: Tensor, weight: Tensor, bias?: Tensor | null | Conv2dOptions, stride?: Pair | Conv2dOptions, padding?: Pair, dilation?: Pair, groups?: number): Tensor {
  const a = optionalTensorThen('conv2dRelu', 'bias', bias, [stride, padding, dilation, groups], CONV_ARGS);
  return convOp(x, weight, a.tensor, a.opts, true);
}

function convOp(x: Tensor, weight: Tensor, b: Tensor | null, opts: Conv2dOptions | undefined, relu: boolean): Tensor {
  const op = relu ? 'conv2dRelu' : 'conv2d';
  sameRuntime(op, x, weight);
  if (b) sameRuntime(op, x, b);
  const g = conv2dGeometry(x.shape, weight.shape, b ? b.shape : null, opts);
  const pointwise = isPointwise(g);
  let out = pointwise ? pointwiseForward(x, weight, b, g) : conv2dForwardKernel(x, weight, b, g, undefined, relu);
  if (relu && pointwise) {
    const r = unaryKernel('relu', out); // the matmul path has no epilogue
    out.dispose();
    out = r;
  }
  const inputs = b ? [x, weight, b] : [x, weight];
  return record(op, out, inputs, relu ? [x, weight, out] : [x, weight], ([xs, ws, ys]) => (g0) => {
    const dy = relu ? binaryKernel('reluGrad', g0, ys) : g0;
    const needX = x.requiresGrad;
    const needW = weight.requiresGrad;
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    if (pointwise) [dx, dw] = pointwiseBackward(dy, xs, ws, g, needX, needW);
    else {
      if (needX) dx = conv2dBackwardInputKernel(dy, ws, g);
      if (needW) dw = conv2dBackwardWeightKernel(dy, xs, g);
    }
    const db = b?.requiresGrad ? sum(dy, [0, 2, 3]) : null;
    if (relu) dy.dispose();
    return b ? [dx, dw, db] : [dx, dw];
  });
}
