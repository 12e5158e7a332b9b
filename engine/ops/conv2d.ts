// 2-D convolution (NCHW, PyTorch's F.conv2d) with its backward rule: forward, input gradient
// and weight gradient are three implicit-GEMM kernels (shaders/conv2d_*.wgsl, no im2col
// buffer); 1×1 convolutions with stride 1, no padding and one group are plain matmuls.
import commonSource from '../../shaders/conv2d_common.wgsl';
import forwardSource from '../../shaders/conv2d_forward.wgsl';
import backwardInputSource from '../../shaders/conv2d_backward_input.wgsl';
import backwardWeightSource from '../../shaders/conv2d_backward_weight.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Runtime } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { optionalTensorThen, sameRuntime, workgroups1d } from './util.ts';
import { matmulKernel } from './matmul.ts';
import { sum } from './reduce.ts';
import { unaryKernel, zeros } from './elementwise.ts';
import { binaryKernel } from './binary.ts';

// Each shader file holds a register-blocked kernel for every adapter and, after a marker, a
// subgroup kernel for CPU adapters with 8-wide subgroups; that part is compiled as a second
// module with `enable subgroups;` prepended, only where the feature exists. Both get the
// declarations of shaders/conv2d_common.wgsl (split at the same marker) in front.
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
/** Channels per workgroup of the subgroup kernels (8 lanes × 4 pixels or taps each). */
const SG_CHANNELS = 16;

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

/** Kernel choice and register blocking per adapter. */
export interface Conv2dConfig {
  /**
   * subgroup: 8-lane subgroup kernels, 16 channels × 32 pixels (or taps) per workgroup (CPU
   * adapters whose subgroups are 8 wide, i.e. lavapipe). register: no workgroup memory, tc
   * channels × 4 pixels per thread (every other adapter, and groups with few channels).
   */
  kernel: 'subgroup' | 'register';
  /** register kernels: channels per thread (forward: output, input grad: input, weight grad: output); ≤ 8 */
  tc: number;
  /** register kernels: threads per workgroup */
  wg: number;
  /** weight gradient: split the output rows until about this many threads run */
  threads: number;
}

/**
 * The configuration for one of the three GEMMs of a convolution: `channelsPerGroup` channels
 * per group on the blocked side (output channels for the forward and weight gradient, input
 * channels for the input gradient), `summedChannels` per group in the reduction (the other
 * side; the subgroup kernels consume them 4 at a time).
 */
export function conv2dConfig(rt: Runtime, channelsPerGroup: number, summedChannels = Infinity): Conv2dConfig {
  const info = rt.gpu.info;
  if (!info.isSoftware) return { kernel: 'register', tc: channelsPerGroup >= 3 ? 4 : 1, wg: 64, threads: 32768 };
  const sg8 = rt.gpu.hasFeature('subgroups' as GPUFeatureName) && info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
  // Fewer than 8 channels per group (depthwise, the input gradient of an RGB layer) would leave
  // most of a 16-channel block idle, fewer than 3 summed channels most of each step. Register
  // blocking on lavapipe: 8 channels ≈ 18 GFLOP/s, 4 channels ≈ 13 (forward, 3×3 layers); the
  // subgroup kernels ≈ 30.
  const tc = channelsPerGroup >= 8 ? 8 : channelsPerGroup >= 3 ? 4 : 1;
  const sg = sg8 && channelsPerGroup >= 8 && summedChannels >= 3;
  return { kernel: sg ? 'subgroup' : 'register', tc, wg: 64, threads: 512 };
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

/** The forward kernel (no autodiff); `relu` fuses max(·, 0) into its store. */
export function conv2dForwardKernel(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry, cfg?: Conv2dConfig, relu = false): Tensor {
  const rt = x.rt;
  const out = empty([g.n, g.cout, g.oh, g.ow], rt);
  if (out.size === 0) return out;
  const c = cfg ?? conv2dConfig(rt, g.coutG, g.cinG);
  const sg = c.kernel === 'subgroup';
  const cblocks = Math.ceil(g.coutG / (sg ? SG_CHANNELS : c.tc));
  const rowBlocks = Math.ceil(g.ow / 4);
  const nBlocks = g.n * g.oh * rowBlocks;
  rt.dispatch(sg ? FORWARD_SG : FORWARD, {
    // RELU only when set: an explicit false would compile a second, identical pipeline
    overrides: { ...(sg ? {} : { TC: c.tc, WG: c.wg }), ...(relu ? { RELU: true } : {}) },
    buffers: { x: x.buffer('conv2d'), wt: weight.buffer('conv2d'), bias: (bias ?? weight).buffer('conv2d'), out: out.buffer() },
    uniforms: params(g, { cblocks, rowBlocks, nBlocks, hasBias: bias !== null }),
    workgroups: grid(nBlocks, sg ? 8 : c.wg, g.groups * cblocks),
  });
  return out;
}

/** dL/dx from dL/dout (no autodiff). */
export function conv2dBackwardInputKernel(dy: Tensor, weight: Tensor, g: Conv2dGeometry, cfg?: Conv2dConfig): Tensor {
  const rt = dy.rt;
  const dx = empty([g.n, g.cin, g.h, g.w], rt);
  if (dx.size === 0) return dx;
  const c = cfg ?? conv2dConfig(rt, g.cinG, g.coutG);
  const sg = c.kernel === 'subgroup';
  const cblocks = Math.ceil(g.cinG / (sg ? SG_CHANNELS : c.tc));
  const phaseRows = Math.ceil(g.h / g.sh);
  const phaseBlocks = Math.ceil(Math.ceil(g.w / g.sw) / 4);
  const perPhase = g.n * phaseRows * phaseBlocks;
  // The subgroup kernel pads each phase to whole workgroups (its taps depend on the phase).
  const rowBlocks = Math.ceil(perPhase / 8) * 8;
  const nBlocks = g.sh * g.sw * (sg ? rowBlocks : perPhase);
  rt.dispatch(sg ? BACKWARD_INPUT_SG : BACKWARD_INPUT, {
    overrides: sg ? {} : { TC: c.tc, WG: c.wg },
    buffers: { dy: dy.buffer('conv2d backward'), wt: weight.buffer('conv2d backward'), dx: dx.buffer() },
    uniforms: params(g, { cblocks, rowBlocks, nBlocks, phaseRows, phaseBlocks }),
    workgroups: grid(nBlocks, sg ? 8 : c.wg, g.groups * cblocks),
  });
  return dx;
}

/** dL/dweight from dL/dout (no autodiff): split-K partial sums, then `sum` over the splits. */
export function conv2dBackwardWeightKernel(dy: Tensor, x: Tensor, g: Conv2dGeometry, cfg?: Conv2dConfig): Tensor {
  const rt = dy.rt;
  const shape = [g.cout, g.cinG, g.kh, g.kw];
  const c = cfg ?? conv2dConfig(rt, g.coutG);
  const sg = c.kernel === 'subgroup';
  const kg = g.cinG * g.kh * g.kw;
  const tapBlocks = Math.ceil(kg / 4);
  const cblocks = Math.ceil(g.coutG / (sg ? SG_CHANNELS : c.tc));
  const rows = g.n * g.oh;
  // Threads per split (the subgroup kernel runs whole workgroups of 8 tap blocks).
  const base = (sg ? Math.ceil(tapBlocks / 8) * 8 : tapBlocks) * g.groups * cblocks;
  const split = Math.max(1, Math.min(rows, Math.ceil(c.threads / base)));
  const rowsPerSplit = Math.ceil(rows / split);
  const nSplit = Math.ceil(rows / rowsPerSplit) || 1;
  if (rows === 0 || g.cout * kg === 0) return zeros(shape, dy); // an empty batch
  const partial = empty(nSplit === 1 ? shape : [nSplit, g.cout * kg], rt);
  rt.dispatch(sg ? BACKWARD_WEIGHT_SG : BACKWARD_WEIGHT, {
    overrides: sg ? {} : { TC: c.tc, WG: c.wg },
    buffers: { dy: dy.buffer('conv2d backward'), x: x.buffer('conv2d backward'), partial: partial.buffer() },
    uniforms: params(g, { cblocks, split: nSplit, rowsPerSplit, tapBlocks }),
    workgroups: grid(base * nSplit, sg ? 8 : c.wg),
  });
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
