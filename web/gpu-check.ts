// Whether this browser can run the demo, and what to tell the user when it cannot. Pure (takes
// the navigator), so the test can evaluate the message path too.

export interface WebGpuCheck {
  ok: boolean;
  /** Shown in the page when not ok. */
  message: string;
}

const HELP =
  'The demo trains on your GPU through WebGPU: use a recent Chrome or Edge (113 or later), ' +
  'Safari 26, or Firefox 141 on Windows; on Linux, Chrome may need chrome://flags/#enable-unsafe-webgpu ' +
  '(or the --enable-unsafe-webgpu switch).';

/** Before requesting an adapter: is there a navigator.gpu at all (it also needs a secure context: https or localhost). */
export function checkWebGpu(nav: { gpu?: unknown } | undefined, secure: boolean): WebGpuCheck {
  if (nav?.gpu) return { ok: true, message: '' };
  if (!secure) return { ok: false, message: `WebGPU needs a secure context: open this page over https or from localhost / 127.0.0.1. ${HELP}` };
  return { ok: false, message: `This browser has no WebGPU (navigator.gpu is missing), so the demo cannot run here. ${HELP}` };
}

/** After init() failed: the adapter or device could not be had. */
export function adapterFailure(err: unknown): WebGpuCheck {
  const why = err instanceof Error ? err.message : String(err);
  return {
    ok: false,
    message: `This browser has WebGPU but gave no usable GPU adapter (${why.replace(/ In Node.*$/, '')}). ` +
      `The GPU may be blocklisted or hardware acceleration turned off. ${HELP}`,
  };
}
