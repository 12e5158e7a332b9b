let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Run `fn` without recording ops on the tape (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
