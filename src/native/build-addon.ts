// Builds the monitor's UDP receiver addon (udp-receiver.c) with node-gyp and
// puts it in dist/native/, where the package (and its tarball) carries it.
// Without a compiler the rest of ucprobe still builds: `monitor` then reads
// through Node's dgram and says what that costs (README, monitor).

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const source = join(root, 'src', 'native');
const target = join(root, 'dist', 'native', 'udp_receiver.node');

/** npm names its node-gyp in scripts; otherwise the one bundled with npm beside this node. */
function nodeGyp(): string | null {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  try {
    const npmDir = dirname(createRequire(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'package.json')).resolve('./package.json'));
    const bundled = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? bundled : null;
  } catch {
    return null;
  }
}

const gyp = nodeGyp();
const built = join(source, 'build', 'Release', 'udp_receiver.node');
const run = gyp ? spawnSync(process.execPath, [gyp, 'rebuild', '--loglevel=error'], { cwd: source, encoding: 'utf8' }) : null;
if (run && run.status === 0 && existsSync(built)) {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(built, target);
} else {
  const why = !gyp ? 'node-gyp not found' : (run?.stderr ?? '').split('\n').find((l) => /error/i.test(l))?.trim() ?? `node-gyp exited ${run?.status}`;
  process.stderr.write(`ucprobe: warning: the monitor's kernel-timestamp receiver was not built (${why}); \`monitor\` will read through Node's dgram (needs python3, make and g++)\n`);
}
