import { readFileSync } from 'node:fs';

/** The version of wharf, from @wharf/core's package.json (all packages are released together). */
export const WHARF_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
