// Lets Node run the TypeScript sources directly: `node --import ./scripts/register-loader.mjs file.ts`.
import { register } from 'node:module';
register('./ts-loader.mjs', import.meta.url);
