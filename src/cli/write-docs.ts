// Run by `npm run build`: writes man/ucprobe.1 and the bash and zsh
// completions (completions/ucprobe.bash, completions/_ucprobe) from the
// command definitions, so the installed copies are those of this build.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram, loadCommands } from './main.js';
import { bashCompletion, manPage, zshCompletion } from './docs.js';

/** The package root, from dist/src/cli/. */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const program = buildProgram(await loadCommands());
mkdirSync(`${root}man`, { recursive: true });
mkdirSync(`${root}completions`, { recursive: true });
writeFileSync(`${root}man/ucprobe.1`, manPage(program));
writeFileSync(`${root}completions/ucprobe.bash`, bashCompletion(program));
writeFileSync(`${root}completions/_ucprobe`, zshCompletion(program));
