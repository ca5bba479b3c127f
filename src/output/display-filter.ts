// `dissect -Y EXPR`: a display filter over the decoded fields, in the spirit
// of tshark's. Fields are named as the --json lines name them, dots for
// nesting (`sip.method`, `sip.callId`, `hb.seq`, `dscp`, `src`; `ip.addr` is
// either end). A field with several values (either end, several messages)
// matches when any value does, as tshark's do.
//   expr   := or ;  or := and (('||' | 'or') and)* ;  and := not (('&&' | 'and') not)*
//   not    := ('!' | 'not') not | '(' expr ')' | field [op value]
//   op     := == eq != ne < lt > gt <= le >= ge contains matches ~
//   value  := number | "string" | word

import type { PacketJson } from './packet-line.js';

export type DisplayFilter = (j: PacketJson) => boolean;

export class DisplayFilterError extends Error {}

type Token = { kind: 'word' | 'string' | 'op' | 'paren'; text: string; col: number };

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '~'];
const WORD_OPS: Record<string, string> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', and: '&&', or: '||', not: '!', contains: 'contains', matches: '~' };

function tokens(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === '(' || c === ')') {
      out.push({ kind: 'paren', text: c, col });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < expr.length && expr[i] !== '"') {
        if (expr[i] === '\\' && i + 1 < expr.length) i++;
        s += expr[i++];
      }
      if (i >= expr.length) throw new DisplayFilterError(`unclosed string at column ${col}`);
      i++;
      out.push({ kind: 'string', text: s, col });
    } else {
      const op = OPS.find((o) => expr.startsWith(o, i));
      if (op) {
        out.push({ kind: 'op', text: op, col });
        i += op.length;
        continue;
      }
      const m = /^[^\s()"!=<>&|~]+/.exec(expr.slice(i));
      if (!m) throw new DisplayFilterError(`unexpected '${c}' at column ${col}`);
      const w = m[0];
      out.push(WORD_OPS[w.toLowerCase()] ? { kind: 'op', text: WORD_OPS[w.toLowerCase()], col } : { kind: 'word', text: w, col });
      i += w.length;
    }
  }
  return out;
}

/** The values of a field in a packet's JSON: none, one, or several (joined lists, either end). */
export function fieldValues(j: PacketJson, name: string): unknown[] {
  if (name === 'ip.addr') return [...fieldValues(j, 'src'), ...fieldValues(j, 'dst')];
  const at = (o: unknown, path: string[]): unknown[] => {
    if (path.length === 0) return o === undefined || o === null ? [] : Array.isArray(o) ? o : [o];
    if (Array.isArray(o)) return o.flatMap((x) => at(x, path));
    if (o === null || typeof o !== 'object') return [];
    return at((o as Record<string, unknown>)[path[0]], path.slice(1));
  };
  return at(j, name.split('.'));
}

function compare(op: string, v: unknown, want: string, re: RegExp | null): boolean {
  const n = Number(want);
  const numeric = typeof v === 'number' && want.trim() !== '' && Number.isFinite(n);
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  switch (op) {
    case '==': return numeric ? v === n : s === want;
    case '!=': return numeric ? v !== n : s !== want;
    case '<': return numeric ? (v as number) < n : s < want;
    case '>': return numeric ? (v as number) > n : s > want;
    case '<=': return numeric ? (v as number) <= n : s <= want;
    case '>=': return numeric ? (v as number) >= n : s >= want;
    case 'contains': return s.includes(want);
    default: return re!.test(s);
  }
}

/** Compiles `expr`; a DisplayFilterError says what is wrong and at which column. */
export function compileDisplayFilter(expr: string): DisplayFilter {
  const toks = tokens(expr);
  let p = 0;
  const peek = (): Token | undefined => toks[p];
  const fail = (what: string): never => {
    const t = peek();
    throw new DisplayFilterError(`${what} at column ${t ? t.col : expr.length + 1}`);
  };
  const or = (): DisplayFilter => {
    let left = and();
    while (peek()?.kind === 'op' && peek()!.text === '||') {
      p++;
      const l = left;
      const r = and();
      left = (j) => l(j) || r(j);
    }
    return left;
  };
  const and = (): DisplayFilter => {
    let left = not();
    while (peek()?.kind === 'op' && peek()!.text === '&&') {
      p++;
      const l = left;
      const r = not();
      left = (j) => l(j) && r(j);
    }
    return left;
  };
  const not = (): DisplayFilter => {
    const t = peek();
    if (t?.kind === 'op' && t.text === '!') {
      p++;
      const inner = not();
      return (j) => !inner(j);
    }
    if (t?.kind === 'paren' && t.text === '(') {
      p++;
      const inner = or();
      if (peek()?.text !== ')') fail("expected ')'");
      p++;
      return inner;
    }
    if (t?.kind !== 'word' || !/^[A-Za-z_][\w.]*$/.test(t.text)) return fail('expected a field name');
    p++;
    const field = t.text;
    const o = peek();
    if (o?.kind !== 'op' || ['&&', '||', '!'].includes(o.text)) return (j) => fieldValues(j, field).length > 0;
    p++;
    const v = peek();
    if (v === undefined || (v.kind !== 'word' && v.kind !== 'string')) return fail(`expected a value after '${o.text}'`);
    p++;
    let re: RegExp | null = null;
    if (o.text === '~') {
      try {
        re = new RegExp(v.text, 'i');
      } catch (e) {
        throw new DisplayFilterError(`bad regular expression at column ${v.col}: ${(e as Error).message}`);
      }
    }
    return (j) => fieldValues(j, field).some((x) => compare(o.text, x, v.text, re));
  };
  if (toks.length === 0) throw new DisplayFilterError('empty filter');
  const f = or();
  if (p < toks.length) fail(`unexpected '${toks[p].text}'`);
  return f;
}
