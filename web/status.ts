// The status line and progress bar: what the page is doing, with a clock that keeps ticking
// through long GPU work (a probe fit on a CPU adapter takes minutes, with nothing to draw), and
// the time per step and time left while training.

export class StatusLine {
  #timer: ReturnType<typeof setInterval> | null = null;
  /** What the line says now. */
  text = '';

  constructor(private readonly line: HTMLElement, private readonly bar: HTMLProgressElement) {}

  /** A fixed message (clears any ticking one). */
  say(text: string, error = false): void {
    this.#stopClock();
    this.#show(text, error);
  }

  /** `text(seconds)` redrawn every half second until the next say/tick/progress call. */
  tick(text: (seconds: number) => string): void {
    this.#stopClock();
    const t0 = performance.now();
    const draw = () => this.#show(text((performance.now() - t0) / 1000));
    draw();
    this.#timer = setInterval(draw, 500);
  }

  /** The bar: done of total (hidden when total is 0). */
  progress(done: number, total: number): void {
    this.bar.hidden = total <= 0;
    this.bar.max = Math.max(1, total);
    this.bar.value = Math.min(done, total);
  }

  #show(text: string, error: boolean = false): void {
    this.text = text;
    this.line.replaceChildren();
    const span = document.createElement('span');
    if (error) span.className = 'err';
    span.textContent = text;
    this.line.append(span);
  }

  #stopClock(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** "1.8 s/step · about 2 min left", from the steps done so far (null before two measurements). */
export function pace(stepsDone: number, totalSteps: number, seconds: number, startSeconds: number): string | null {
  if (stepsDone < 2 || seconds <= startSeconds) return null;
  const per = (seconds - startSeconds) / stepsDone;
  const left = per * (totalSteps - stepsDone);
  const fmt = left < 90 ? `${Math.round(left)} s` : `${(left / 60).toFixed(left < 600 ? 1 : 0)} min`;
  return `${per < 1 ? `${(per * 1000).toFixed(0)} ms` : `${per.toFixed(1)} s`}/step · about ${fmt} left`;
}
