// Node-only: Dawn prints two lines of driver noise from native code when it first enumerates a
// Vulkan adapter whose limits exceed its own ("maxDynamicUniformBuffersPerPipelineLayout
// artificially reduced from 1000000 to 16 …", lavapipe and most desktop drivers). No requested
// limit avoids it (it happens before any is requested), and JavaScript cannot intercept a
// native write to fd 2. So while the adapter and device are acquired, fd 2 points at a
// temporary file; afterwards the real stderr is put back and everything else that was written
// (a real warning) is replayed. Only where that is safe: Linux, and stderr a terminal, a pipe
// or a file (stdout's too only when opened for appending: `> log 2>&1` shares one file offset
// that a reopened stderr would not). A socket (Node's child_process pipes) cannot be reopened: the noise stays there,
// and `withoutDriverNoise` is for a parent that shows a child's stderr. SAMGPU_DRIVER_NOISE=1
// turns the filter off.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NOISE = /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;

/** `text` without Dawn's known noise lines. */
export function withoutDriverNoise(text: string): string {
  return text
    .split('\n')
    .filter((line) => !NOISE.test(line))
    .join('\n');
}

function canRedirect(): boolean {
  if (process.platform !== 'linux' || process.env.SAMGPU_DRIVER_NOISE === '1') return false;
  try {
    const st = fs.fstatSync(2);
    if (st.isFIFO() || st.isCharacterDevice()) return true;
    if (!st.isFile()) return false;
    const out = fs.fstatSync(1);
    if (!(out.dev === st.dev && out.ino === st.ino)) return true;
    // stdout's file too (`> log 2>&1`): safe only when it is opened for appending (`>>`).
    const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync('/proc/self/fdinfo/2', 'utf8'));
    return !!flags && (parseInt(flags[1], 8) & 0o2000) !== 0; // O_APPEND
  } catch {
    return false;
  }
}

/** Run `fn` with native writes to stderr captured, then replay them minus the driver noise. */
export async function withDriverNoiseFiltered<T>(fn: () => Promise<T>): Promise<T> {
  if (!canRedirect()) return fn();
  void process.stderr; // create Node's stderr stream now, on the real fd 2
  let real: number;
  try {
    real = fs.openSync('/proc/self/fd/2', 'a'); // a second handle on the same terminal or pipe
  } catch {
    return fn();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samgpu-stderr-'));
  const file = path.join(dir, 'stderr');
  // Without dup2 in Node: close fd 2, and the next open takes the lowest free number, 2.
  fs.closeSync(2);
  const captured = fs.openSync(file, 'w+');
  const putBack = (): void => {
    if (captured === 2) fs.closeSync(2);
    else fs.closeSync(captured);
    fs.openSync(`/proc/self/fd/${real}`, 'a'); // takes 2 again
    fs.closeSync(real);
  };
  if (captured !== 2) {
    // Another thread took fd 2 in between: put stderr back as well as we can and do nothing.
    putBack();
    fs.rmSync(dir, { recursive: true, force: true });
    return fn();
  }
  try {
    return await fn();
  } finally {
    putBack();
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const rest = withoutDriverNoise(text);
    if (rest.trim()) process.stderr.write(rest.endsWith('\n') ? rest : `${rest}\n`);
  }
}
