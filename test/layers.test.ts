// Imports run one way: sources -> dissectors -> pipeline -> analyzers ->
// outputs -> cli, with shared helpers (src/common) below them all. No two
// files and no two folders may import each other, however far round.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './helpers.js';

/** Every .ts/.tsx file under src/ and dissectors/, with the repository files it imports. */
function importGraph(): Map<string, Set<string>> {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) {
        if (n !== 'build') walk(p);
      } else if (/\.tsx?$/.test(n)) files.push(p);
    }
  };
  for (const d of ['src', 'dissectors']) walk(join(REPO, d));
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const deps = new Set<string>();
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
      const base = resolve(dirname(f), m[1]).replace(/\.js$/, '');
      const hit = ['.ts', '.tsx'].map((x) => base + x).find((p) => existsSync(p));
      if (hit) deps.add(relative(REPO, hit));
    }
    graph.set(relative(REPO, f), deps);
  }
  return graph;
}

/** The first circle found in a graph, as its nodes in order; null when there is none. */
function circle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 'open');
    path.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open') return [...path.slice(path.indexOf(d)), d];
      if (!state.has(d)) {
        const found = visit(d);
        if (found) return found;
      }
    }
    path.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of graph.keys()) {
    if (state.has(n)) continue;
    const found = visit(n);
    if (found) return found;
  }
  return null;
}

test('no two files import each other, however far round', () => {
  assert.equal(circle(importGraph())?.join(' -> ') ?? null, null);
});

test('no two folders import each other, however far round', () => {
  const folders = new Map<string, Set<string>>();
  for (const [f, deps] of importGraph()) {
    const from = dirname(f);
    const set = folders.get(from) ?? new Set<string>();
    for (const d of deps) if (dirname(d) !== from) set.add(dirname(d));
    folders.set(from, set);
  }
  assert.equal(circle(folders)?.join(' -> ') ?? null, null);
});
