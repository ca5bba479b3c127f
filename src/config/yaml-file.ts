// A YAML (or JSON: YAML is its superset) file kept with its positions, so
// every problem found while checking it is one line naming file:line:col
// and the key, e.g. "lab.yaml:12:11: streams[0].drop: expected ...".

import { readFileSync } from 'node:fs';
import type * as YamlModule from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { UsageError } from '../common/errors.js';
import { lazyModule } from '../common/lazy-module.js';

const yaml = lazyModule<typeof YamlModule>('yaml');

export type KeyPath = ReadonlyArray<string | number>;

export class YamlFile {
  readonly root: unknown;
  private readonly doc: Document;
  private readonly lines: LineCounter;

  private constructor(readonly path: string, text: string) {
    const y = yaml();
    this.lines = new y.LineCounter();
    this.doc = y.parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      throw new UsageError(`${path}:${pos.line}:${pos.col}: not valid YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '')}`);
    }
    this.root = this.doc.toJS({ maxAliasCount: 100 });
  }

  static load(path: string): YamlFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
    }
    return new YamlFile(path, text);
  }

  /** Text already in hand (a test, stdin); `path` names it in errors. */
  static parse(path: string, text: string): YamlFile {
    return new YamlFile(path, text);
  }

  /** "file:line:col: a.b[2].c" for the node at `path` (or its nearest parent that exists); `key`: point at the key, not its value. */
  at(path: KeyPath, key = false): string {
    const { isMap, isNode, isScalar } = yaml();
    let range: [number, number, number] | undefined;
    const parent = key && path.length ? this.doc.getIn(path.slice(0, -1), true) : null;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
      if (isNode(pair?.key) && pair.key.range) range = pair.key.range;
    }
    for (let n = path.length; n >= 0 && !range; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) range = node.range;
    }
    const pos = range ? this.lines.linePos(range[0]) : { line: 1, col: 1 };
    return `${this.path}:${pos.line}:${pos.col}: ${keyPathText(path)}`;
  }

  fail(path: KeyPath, what: string): never {
    throw new UsageError(`${this.at(path)}: ${what}`);
  }

  /** The object at `path`, with no keys beyond `known`. */
  object(value: unknown, path: KeyPath, known: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'expected a mapping of keys to values');
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (!known.includes(k)) throw new UsageError(`${this.at([...path, k], true)}: unknown key (known: ${known.join(', ')})`);
    }
    return obj;
  }

  list(value: unknown, path: KeyPath): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'expected a list');
    return value as unknown[];
  }
}

export function keyPathText(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}
