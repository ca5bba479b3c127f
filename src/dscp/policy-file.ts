// Reading a DSCP policy file (YAML, or JSON, which is YAML too). Validation is
// strict, because a typo in a policy would otherwise pass every flow silently.
// The file is read by YamlFile, as `ucprobe run` scenario files are, so every
// problem is the same one UsageError line: "file:line:col: key.path: what".

import { parseDscp } from '../../dissectors/dscp.js';
import { YamlFile, type KeyPath } from '../config/yaml-file.js';
import { parseCidr, POLICY_APPS, type Cidr, type DscpPolicy, type PolicyApp, type PolicyDefault, type PolicyRule, type PolicyTransport, type PortRange } from './policy.js';
import { BEST_EFFORT } from './default-policy.js';

const TOP_KEYS = ['name', 'default', 'rules'] as const;
const DEFAULT_KEYS = ['expect', 'enforce'] as const;
const RULE_KEYS = ['class', 'app', 'transport', 'ports', 'address', 'expect', 'accept', 'note'] as const;
const PHB_HINT = 'CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE, BE/DF or a number 0..63';

type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** One scalar or a list of scalars, each with its own key path (a list item's includes its index). */
function values(f: YamlFile, v: unknown, path: KeyPath): Array<[Scalar, KeyPath]> {
  if (Array.isArray(v)) {
    if (v.length === 0) f.fail(path, 'empty list');
    return v.map((x, i): [Scalar, KeyPath] => (isScalar(x) ? [x, [...path, i]] : f.fail([...path, i], 'expected a value, not a nested list or mapping')));
  }
  if (isScalar(v)) return [[v, path]];
  return f.fail(path, 'expected a value or a list of values');
}

function text(f: YamlFile, v: unknown, path: KeyPath): string {
  if (typeof v !== 'string' || v.trim() === '') f.fail(path, 'expected a non-empty string');
  return v;
}

function dscps(f: YamlFile, v: unknown, path: KeyPath): number[] {
  const one = ([x, at]: [Scalar, KeyPath]): number => {
    const d = typeof x === 'number' ? (Number.isInteger(x) && x >= 0 && x <= 63 ? x : null) : typeof x === 'string' ? parseDscp(x) : null;
    return d ?? f.fail(at, `unknown PHB name or DSCP value '${String(x)}' (expected ${PHB_HINT})`);
  };
  return [...new Set(values(f, v, path).map(one))];
}

function ports(f: YamlFile, v: unknown, path: KeyPath): PortRange[] {
  return values(f, v, path).map(([x, at]) => {
    const m = typeof x === 'number' ? [String(x), String(x), undefined] : typeof x === 'string' ? /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(x) : null;
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || !Number.isInteger(lo) || lo > 65535 || hi > 65535 || lo > hi) {
      f.fail(at, `bad port '${String(x)}' (expected a port 0..65535 or a range like 39500-39999)`);
    }
    return { lo, hi };
  });
}

function cidrs(f: YamlFile, v: unknown, path: KeyPath): Cidr[] {
  return values(f, v, path).map(([x, at]) => {
    const c = typeof x === 'string' ? parseCidr(x.trim()) : `'${String(x)}' is not an address prefix`;
    return typeof c === 'string' ? f.fail(at, `bad CIDR ${c}`) : c;
  });
}

function oneOf<T extends string>(f: YamlFile, v: unknown, path: KeyPath, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) f.fail(path, `expected one of ${choices.join(', ')}, got '${String(v)}'`);
  return v as T;
}

function readRule(f: YamlFile, v: unknown, i: number): PolicyRule {
  const path = ['rules', i];
  const o = f.object(v, path, RULE_KEYS);
  const at = (k: string): KeyPath => [...path, k];
  if (o.class === undefined) f.fail(path, "missing 'class' (the traffic class name)");
  if (o.expect === undefined) f.fail(path, "missing 'expect' (the DSCP the class must carry)");
  const rule: PolicyRule = {
    class: text(f, o.class, at('class')),
    expect: dscps(f, o.expect, at('expect')),
    accept: o.accept !== undefined ? dscps(f, o.accept, at('accept')) : [],
  };
  if (o.app !== undefined) rule.app = oneOf<PolicyApp>(f, o.app, at('app'), POLICY_APPS);
  if (o.transport !== undefined) rule.transport = oneOf<PolicyTransport>(f, o.transport, at('transport'), ['udp', 'tcp']);
  if (o.ports !== undefined) rule.ports = ports(f, o.ports, at('ports'));
  if (o.address !== undefined) rule.address = cidrs(f, o.address, at('address'));
  if (o.note !== undefined) rule.note = text(f, o.note, at('note'));
  // A value both expected and accepted is expected: the warning would be noise.
  rule.accept = rule.accept.filter((d) => !rule.expect.includes(d));
  return rule;
}

function readPolicy(f: YamlFile): DscpPolicy {
  if (f.root === null || f.root === undefined) f.fail([], 'empty policy file (expected rules: [...])');
  const top = f.object(f.root, [], TOP_KEYS);
  if (top.rules === undefined) f.fail([], "missing 'rules' (a list of traffic classes)");
  const rules = f.list(top.rules, ['rules']).map((r, i) => readRule(f, r, i));
  const dflt: PolicyDefault = { expect: [BEST_EFFORT], enforce: false };
  if (top.default !== undefined) {
    const d = f.object(top.default, ['default'], DEFAULT_KEYS);
    if (d.expect !== undefined) dflt.expect = dscps(f, d.expect, ['default', 'expect']);
    if (d.enforce !== undefined) {
      if (typeof d.enforce !== 'boolean') f.fail(['default', 'enforce'], 'expected true or false');
      dflt.enforce = d.enforce;
    }
  }
  const name = top.name !== undefined ? text(f, top.name, ['name']) : f.path;
  return { name, rules, default: dflt };
}

/** Parse policy text; `file` names it in errors. */
export function parsePolicy(text: string, file: string): DscpPolicy {
  return readPolicy(YamlFile.parse(file, text));
}

/** Read and parse a policy file; every failure is one UsageError line. */
export function loadPolicyFile(file: string): DscpPolicy {
  return readPolicy(YamlFile.load(file));
}
