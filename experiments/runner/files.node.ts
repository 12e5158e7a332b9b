// The runner's atomic writes (the implementation lives in experiments/io.node.ts).
import { writeFileAtomic } from '../io.node.ts';

export { writeFileAtomic as writeAtomic };

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
