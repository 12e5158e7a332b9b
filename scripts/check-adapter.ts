// Prints the WebGPU adapter Node sees, or fails with the reason (used by `npm run setup`).
import { init } from '../engine/node.ts';
import { tensor, add } from '../engine/index.ts';

const rt = await init();
const s = await add(tensor([1, 2]), tensor([3, 4])).read();
if (s[0] !== 4 || s[1] !== 6) throw new Error(`adapter check: 1+3, 2+4 gave ${s}`);
const l = rt.device.limits;
console.log(`setup: WebGPU adapter: ${rt.gpu.describe()}; max storage binding ${l.maxStorageBufferBindingSize / 2 ** 20} MiB, workgroup storage ${l.maxComputeWorkgroupStorageSize / 1024} KiB`);
rt.gpu.destroy();
