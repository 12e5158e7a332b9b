// Runs bench/peers/torch_cpu.py as a child process. It is spawned before the harness lowers its
// main thread's priority (a child inherits the spawning thread's nice value), imports torch
// while the WebGPU devices start, and then idles on stdin until our timings are done, so its
// threads never overlap them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { emptyReport, workloadJson, type PeerReport } from './common.ts';
import { resnetJson } from './resnet.ts';

const PYTHON = '/usr/bin/python3'; // Debian's python3-torch; the python3 first on PATH may lack torch
const SCRIPT = fileURLToPath(new URL('./torch_cpu.py', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 900_000;

export interface TorchPeer {
  run(): Promise<PeerReport>;
  /** "ready" line: versions, threads, nice value; or why the peer is skipped */
  ready: Promise<Record<string, unknown> | string>;
}

/** `workload`: the JSON line to send (default: the peers' workload with the ResNet-18 step). */
export function startTorch(workload: () => string = () => JSON.stringify({ ...JSON.parse(workloadJson()), resnet: resnetJson() })): TorchPeer {
  if (!existsSync(PYTHON)) {
    const why = `${PYTHON} not found`;
    return { ready: Promise.resolve(why), run: async () => ({ ...emptyReport('PyTorch CPU'), skipped: why }) };
  }
  const child: ChildProcess = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: ((line: string | null) => void)[] = [];
  let buf = '';
  let stderr = '';
  let exited = false;
  const deliver = (line: string | null) => {
    const w = waiters.shift();
    if (w) w(line);
    else if (line !== null) lines.push(line);
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) deliver(buf.slice(0, i));
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  child.on('error', (e) => (stderr += e.message));
  child.on('exit', () => {
    exited = true;
    while (waiters.length) deliver(null);
  });
  const nextLine = (timeoutMs: number) =>
    new Promise<string | null>((resolve) => {
      if (lines.length) return resolve(lines.shift()!);
      if (exited) return resolve(null);
      const timer = setTimeout(() => resolve(null), timeoutMs);
      waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  const failure = (what: string) => `${what}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0].slice(0, 200)}` : ''}`;
  const parse = (line: string | null, what: string): Record<string, unknown> | string => {
    if (line === null) return failure(`torch_cpu.py ${exited ? 'exited' : 'timed out'} before its ${what}`);
    try {
      const j = JSON.parse(line);
      return typeof j.error === 'string' ? j.error : j;
    } catch {
      return `torch_cpu.py printed ${line.slice(0, 100)} instead of JSON`;
    }
  };
  const ready = nextLine(READY_TIMEOUT_MS).then((l) => parse(l, '"ready" line'));
  const run = async (): Promise<PeerReport> => {
    const r = await ready;
    if (typeof r === 'string') {
      child.kill();
      return { ...emptyReport('PyTorch CPU'), skipped: r };
    }
    child.stdin!.write(workload() + '\n');
    const res = parse(await nextLine(RUN_TIMEOUT_MS), 'results');
    child.kill();
    if (typeof res === 'string') return { ...emptyReport('PyTorch CPU'), skipped: res };
    return res as unknown as PeerReport;
  };
  return { ready, run };
}
