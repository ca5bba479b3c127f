// The man page and the shell completions come from the command definitions:
// every command and option appears in the rendered page, the bash function
// completes each command's subcommands, options and choices, and the files
// the build installs are what the program makes now.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram, loadCommands } from '../src/cli/main.js';
import { bashCompletion, commandTree, manPage, zshCompletion } from '../src/cli/docs.js';
import { REPO, runCli } from './helpers.js';

const program = buildProgram(await loadCommands());
const tree = commandTree(program);
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

test('the installed files are what the commands make now', () => {
  assert.equal(readFileSync(join(REPO, 'man', 'ucprobe.1'), 'utf8'), manPage(program));
  assert.equal(readFileSync(join(REPO, 'completions', 'ucprobe.bash'), 'utf8'), bashCompletion(program));
  assert.equal(readFileSync(join(REPO, 'completions', '_ucprobe'), 'utf8'), zshCompletion(program));
  assert.equal(runCli(['completion', 'bash']).stdout, bashCompletion(program));
  assert.equal(runCli(['completion', 'zsh']).stdout, zshCompletion(program));
  assert.equal(runCli(['completion', 'fish']).status, 2);
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { files: string[]; man: string[] };
  assert.deepEqual(pkg.man, ['./man/ucprobe.1']);
  assert.ok(pkg.files.includes('man/') && pkg.files.includes('completions/'));
});

test('the man page renders (man -l, else groff), warning-free, with every command and option', () => {
  const page = join(REPO, 'man', 'ucprobe.1');
  const roffSource = readFileSync(page, 'utf8');
  assert.match(roffSource, /^\.TH UCPROBE 1 /);
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', '"EXIT STATUS"']) assert.match(roffSource, new RegExp(`^\\.SH ${section}$`, 'm'));
  let text: string | null = null;
  // Wide enough that no option or command line wraps or hyphenates.
  const env = { ...process.env, MANWIDTH: '300', COLUMNS: '300', LC_ALL: 'C.UTF-8', MAN_KEEP_FORMATTING: '' };
  if (has('man')) text = spawnSync('man', ['-l', page], { encoding: 'utf8', env }).stdout;
  else if (has('groff')) text = spawnSync('groff', ['-man', '-Tutf8', '-rLL=300n', page], { encoding: 'utf8' }).stdout;
  if (has('groff')) assert.equal(spawnSync('groff', ['-man', '-ww', '-z', page], { encoding: 'utf8' }).stderr, '', 'groff warnings');
  if (text === null) return;
  // Bold and underline by overstrike, if any, read as the plain text.
  const plain = text.replace(/.\x08/g, '').replace(/\u2010/g, '-');
  for (const e of tree) {
    assert.match(plain, new RegExp(`^ {3}ucprobe ${e.path.replace(/ /g, ' ')}( |$)`, 'm'), `command ${e.path}`);
    for (const o of e.cmd.options) assert.ok(plain.includes(o.flags), `${e.path}: ${o.flags}`);
  }
  assert.equal(tree.length, 17, `${tree.length} commands: 13 and sip's 4`);
});

/** What the bash function offers for these words (the last is the one being completed). */
function complete(words: string[]): string[] {
  const script = `source ${join(REPO, 'completions', 'ucprobe.bash')}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_ucprobe; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: REPO });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('bash: commands, subcommands, every option of every command, choices, files after a file option', { skip: !has('bash') && 'bash not installed' }, () => {
  assert.deepEqual(complete(['ucprobe', '']), program.commands.filter((c) => c.name() !== 'help').map((c) => c.name()));
  assert.deepEqual(complete(['ucprobe', 'si']), ['sip']);
  assert.deepEqual(complete(['ucprobe', 'sip', '']), ['calls', 'registrations', 'save', 'flow']);
  for (const e of tree) {
    const offered = complete(['ucprobe', ...e.path.split(' '), '--']);
    for (const o of e.cmd.options) if (o.long) assert.ok(offered.includes(o.long), `${e.path}: ${o.long}`);
  }
  assert.deepEqual(complete(['ucprobe', 'sip', 'calls', '--j']), ['--json', '--jitter-buffer']);
  assert.deepEqual(complete(['ucprobe', 'dissect', '-t', '']), ['utc', 'iso', 'epoch', 'relative']);
  assert.deepEqual(complete(['ucprobe', 'analyze', '--table', 'c']), ['calls']);
  assert.deepEqual(complete(['ucprobe', 'completion', '']), ['bash', 'zsh']);
  // The value of -r is no command: the options after it are dissect's still.
  assert.deepEqual(complete(['ucprobe', 'dissect', '-r', 'sip', '--ti']), ['--time']);
  assert.ok(complete(['ucprobe', 'analyze', '-r', 'capt']).includes('captures'), 'a file name after -r');
});

test('zsh: a #compdef script with each command described', () => {
  const z = zshCompletion(program);
  assert.match(z, /^#compdef ucprobe\n/);
  assert.match(z, /'sip'\) reply=\('calls:one line per call/);
  assert.match(z, /compdef _ucprobe ucprobe/);
  if (has('zsh')) assert.equal(spawnSync('zsh', ['-n', '-c', z]).status, 0);
  assert.ok(existsSync(join(REPO, 'completions', '_ucprobe')));
});
