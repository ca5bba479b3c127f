// Reading a DSCP policy file (YAML, or JSON, which is YAML too). Validation is
// strict, because a typo in a policy would otherwise pass every flow silently:
// every problem is one UsageError line "file:line:col: what", the position
// taken from the yaml node that holds the bad value.

import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { parseDscp } from '../../dissectors/dscp.js';
import { UsageError } from '../cli/errors.js';
import { parseCidr, POLICY_APPS, type Cidr, type DscpPolicy, type PolicyApp, type PolicyDefault, type PolicyRule, type PolicyTransport, type PortRange } from './policy.js';
import { BEST_EFFORT } from './default-policy.js';

const TOP_KEYS = ['name', 'default', 'rules'] as const;
const DEFAULT_KEYS = ['expect', 'enforce'] as const;
const RULE_KEYS = ['class', 'app', 'transport', 'ports', 'address', 'expect', 'accept', 'note'] as const;
const PHB_HINT = 'CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE, BE/DF or a number 0..63';

/** Reads yaml nodes, turning any problem into "file:line:col: message". */
class Reader {
  constructor(private readonly file: string, private readonly lines: LineCounter) {}

  fail(node: Node | null | undefined, msg: string, offset?: number): never {
    const pos = this.lines.linePos(offset ?? node?.range?.[0] ?? 0);
    throw new UsageError(`${this.file}:${pos.line}:${pos.col}: ${msg}`);
  }

  /** The entries of a mapping, keys checked against the known ones. */
  entries(node: Node | null | undefined, where: string, known: readonly string[]): Map<string, Node | null> {
    if (!isMap(node)) this.fail(node, `${where}: expected a mapping (key: value)`);
    const out = new Map<string, Node | null>();
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const name = isScalar(k) ? String(k.value) : null;
      if (name === null || !known.includes(name)) {
        this.fail(k, `${where}: unknown key '${name ?? '?'}' (known: ${known.join(', ')})`);
      }
      out.set(name, (pair.value as Node | null) ?? null);
    }
    return out;
  }

  /** One scalar or a sequence of scalars, as a list of nodes. */
  list(node: Node | null, where: string): Node[] {
    if (isSeq(node)) {
      const items = node.items as Array<Node | null>;
      if (items.length === 0) this.fail(node, `${where}: empty list`);
      return items.map((n) => (isScalar(n) ? n : this.fail(n ?? node, `${where}: expected a value, not a nested list or mapping`)));
    }
    if (isScalar(node)) return [node];
    return this.fail(node, `${where}: expected a value or a list of values`);
  }

  text(node: Node | null, where: string): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') this.fail(node, `${where}: expected a non-empty string`);
    return node.value;
  }

  dscp(node: Node, where: string): number {
    const v = isScalar(node) ? node.value : null;
    const d = typeof v === 'number' ? (Number.isInteger(v) && v >= 0 && v <= 63 ? v : null) : typeof v === 'string' ? parseDscp(v) : null;
    if (d === null) {
      const shown = typeof v === 'string' || typeof v === 'number' ? String(v) : '?';
      this.fail(node, `${where}: unknown PHB name or DSCP value '${shown}' (expected ${PHB_HINT})`);
    }
    return d;
  }

  dscps(node: Node | null, where: string): number[] {
    return [...new Set(this.list(node, where).map((n) => this.dscp(n, where)))];
  }

  ports(node: Node | null, where: string): PortRange[] {
    return this.list(node, where).map((n) => {
      const v = isScalar(n) ? n.value : null;
      const m = typeof v === 'number' ? [String(v), String(v), undefined] : typeof v === 'string' ? /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(v) : null;
      const lo = m ? Number(m[1]) : NaN;
      const hi = m ? Number(m[2] ?? m[1]) : NaN;
      if (!m || !Number.isInteger(lo) || lo > 65535 || hi > 65535 || lo > hi) {
        this.fail(n, `${where}: bad port '${String(v)}' (expected a port 0..65535 or a range like 39500-39999)`);
      }
      return { lo, hi };
    });
  }

  cidrs(node: Node | null, where: string): Cidr[] {
    return this.list(node, where).map((n) => {
      const v = isScalar(n) ? n.value : null;
      const c = typeof v === 'string' ? parseCidr(v.trim()) : `'${String(v)}' is not an address prefix`;
      if (typeof c === 'string') this.fail(n, `${where}: bad CIDR ${c}`);
      return c;
    });
  }

  oneOf<T extends string>(node: Node | null, where: string, choices: readonly T[]): T {
    const v = isScalar(node) ? node.value : null;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      this.fail(node, `${where}: expected one of ${choices.join(', ')}, got '${String(v)}'`);
    }
    return v as T;
  }

  bool(node: Node | null, where: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, `${where}: expected true or false`);
    return node.value;
  }
}

function readRule(r: Reader, node: Node | null, i: number): PolicyRule {
  const where = `rules[${i}]`;
  const e = r.entries(node, where, RULE_KEYS);
  const get = (k: string): Node | null => e.get(k) ?? null;
  if (!e.has('class')) r.fail(node, `${where}: missing 'class' (the traffic class name)`);
  if (!e.has('expect')) r.fail(node, `${where}: missing 'expect' (the DSCP the class must carry)`);
  const rule: PolicyRule = {
    class: r.text(get('class'), `${where}.class`),
    expect: r.dscps(get('expect'), `${where}.expect`),
    accept: e.has('accept') ? r.dscps(get('accept'), `${where}.accept`) : [],
  };
  if (e.has('app')) rule.app = r.oneOf<PolicyApp>(get('app'), `${where}.app`, POLICY_APPS);
  if (e.has('transport')) rule.transport = r.oneOf<PolicyTransport>(get('transport'), `${where}.transport`, ['udp', 'tcp']);
  if (e.has('ports')) rule.ports = r.ports(get('ports'), `${where}.ports`);
  if (e.has('address')) rule.address = r.cidrs(get('address'), `${where}.address`);
  if (e.has('note')) rule.note = r.text(get('note'), `${where}.note`);
  // A value both expected and accepted is expected: the warning would be noise.
  rule.accept = rule.accept.filter((d) => !rule.expect.includes(d));
  return rule;
}

/** Parse policy text; `file` names it in errors. */
export function parsePolicy(text: string, file: string): DscpPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const r: Reader = new Reader(file, lines);
  const err = doc.errors[0];
  if (err) {
    // yaml's own message, without its trailing "at line X, column Y" (we lead with file:line:col).
    const msg = err.message.split('\n')[0].replace(/\s+at line \d+, column \d+:?\s*$/, '');
    r.fail(null, `YAML syntax error: ${msg}`, err.pos[0]);
  }
  const root = doc.contents as Node | null;
  if (root === null) r.fail(null, 'empty policy file (expected rules: [...])');
  const top = r.entries(root, 'policy', TOP_KEYS);
  const rulesNode = top.get('rules') ?? null;
  if (!top.has('rules')) r.fail(root, "policy: missing 'rules' (a list of traffic classes)");
  if (!isSeq(rulesNode)) r.fail(rulesNode ?? root, 'rules: expected a list of rules');
  const rules = (rulesNode.items as Array<Node | null>).map((n, i) => readRule(r, n ?? rulesNode, i));
  const dflt: PolicyDefault = { expect: [BEST_EFFORT], enforce: false };
  if (top.has('default')) {
    const d = r.entries(top.get('default'), 'default', DEFAULT_KEYS);
    if (d.has('expect')) dflt.expect = r.dscps(d.get('expect') ?? null, 'default.expect');
    if (d.has('enforce')) dflt.enforce = r.bool(d.get('enforce') ?? null, 'default.enforce');
  }
  const name = top.has('name') ? r.text(top.get('name') ?? null, 'name') : file;
  return { name, rules, default: dflt };
}

/** Read and parse a policy file; every failure is one UsageError line. */
export function loadPolicyFile(file: string): DscpPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--policy ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parsePolicy(text, file);
}
