// The package as a user gets it: `npm pack`, then `npm install -g` of the
// tarball into a prefix of the test's own, and the installed `ucprobe` run
// from another folder on the demo capture it ships. The dependencies come from
// npm's cache (npm ci filled it); a machine that has neither them cached nor a
// registry to ask skips, saying so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers.js';

const npm = (args: string[], cwd: string) =>
  spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 240_000 });

test('npm pack ships dist/; the tarball installed with npm install -g runs analyze on the demo from another folder', { timeout: 300_000 }, (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-package-'));
  // npm test has built dist/ already; a plain `npm pack` builds it first (prepack).
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO);
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info.files.map((f) => f.path);
  for (const f of ['bin/ucprobe.js', 'dist/src/bundle/main.js', 'dist/src/bundle/analyze-worker.js', 'dist/dissectors/sip.js', 'src/pb/ucprobe.proto', 'src/output/analyze.schema.json', 'captures/demo.pcap', 'README.md']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.endsWith('.ts')), []);
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.ok(!('pcap-parser' in manifest.dependencies), 'pcap-parser (the bench\'s) is a devDependency');

  const prefix = join(tmp, 'prefix');
  const install = npm(['install', '-g', '--prefix', prefix, '--prefer-offline', join(tmp, info.filename)], tmp);
  if (install.status !== 0 && /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(install.stderr)) {
    t.skip(`the dependencies are neither in npm's cache nor reachable: ${install.stderr.trim().split('\n')[0]}`);
    return;
  }
  assert.equal(install.status, 0, install.stderr);

  const elsewhere = join(tmp, 'elsewhere');
  mkdirSync(elsewhere);
  const demo = join(prefix, 'lib', 'node_modules', 'ucprobe', 'captures', 'demo.pcap');
  const r = spawnSync(join(prefix, 'bin', 'ucprobe'), ['analyze', '--json', demo], { cwd: elsewhere, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: Array<{ capture: { packets: number }; sip: { messages: number } }> };
  assert.equal(report.files[0].capture.packets, 4170);
  assert.equal(report.files[0].sip.messages, 125);
  // The protobuf output needs the .proto shipped beside dist/.
  const pb = spawnSync(join(prefix, 'bin', 'ucprobe'), ['analyze', '--format', 'pb', '-o', join(tmp, 'demo.pb'), demo], { cwd: elsewhere, encoding: 'utf8' });
  assert.equal(pb.status, 0, pb.stderr);
  const back = spawnSync(join(prefix, 'bin', 'ucprobe'), ['decode-pb', join(tmp, 'demo.pb')], { cwd: elsewhere, encoding: 'utf8' });
  assert.equal(back.status, 0, back.stderr);
  assert.match(back.stdout, /"packets": ?4170/);
});
