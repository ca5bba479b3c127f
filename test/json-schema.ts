// A small JSON Schema checker for the tests: the keywords schema/*.json use
// ($ref into $defs, type, const, enum, properties, required,
// additionalProperties, propertyNames, pattern, items, anyOf, minimum), no
// more. Returns where a document breaks its schema, empty when it keeps it.

export type Schema = { [keyword: string]: unknown };

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  if (t === 'integer') return typeof v === 'number' && Number.isInteger(v);
  if (t === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeOf(v) === t;
}

export function validate(doc: unknown, schema: Schema): string[] {
  const root = schema;
  const errors: string[] = [];
  const known = new Set(['$schema', '$id', 'title', 'description', '$defs', '$ref', 'type', 'const', 'enum', 'properties', 'required', 'additionalProperties', 'propertyNames', 'pattern', 'items', 'anyOf', 'minimum']);
  const check = (v: unknown, s: Schema, at: string): void => {
    for (const k of Object.keys(s)) if (!known.has(k)) throw new Error(`schema keyword ${k} at ${at} is not supported by this checker`);
    if (typeof s.$ref === 'string') {
      const name = s.$ref.replace(/^#\/\$defs\//, '');
      const target = (root.$defs as Record<string, Schema> | undefined)?.[name];
      if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
      check(v, target, at);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => hasType(v, t))) {
        errors.push(`${at}: ${typeOf(v)}, expected ${types.join(' or ')}`);
        return;
      }
    }
    if ('const' in s && v !== s.const) errors.push(`${at}: ${JSON.stringify(v)}, expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.includes(v)) errors.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
    if (typeof s.minimum === 'number' && typeof v === 'number' && v < s.minimum) errors.push(`${at}: ${v} < ${s.minimum}`);
    if (typeof s.pattern === 'string' && typeof v === 'string' && !new RegExp(s.pattern, 'u').test(v)) errors.push(`${at}: ${JSON.stringify(v)} does not match ${s.pattern}`);
    if (Array.isArray(s.anyOf)) {
      const fits = (s.anyOf as Schema[]).some((alt) => validate(v, { ...alt, $defs: root.$defs }).length === 0);
      if (!fits) errors.push(`${at}: matches none of anyOf`);
    }
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in o)) errors.push(`${at}: ${r} is missing`);
      for (const [k, x] of Object.entries(o)) {
        if (s.propertyNames) check(k, s.propertyNames as Schema, `${at} key ${JSON.stringify(k)}`);
        if (k in props) check(x, props[k], `${at}.${k}`);
        else if (s.additionalProperties === false) errors.push(`${at}: ${k} is not in the schema`);
        else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) check(x, s.additionalProperties as Schema, `${at}.${k}`);
      }
    }
    if (Array.isArray(v) && s.items) v.forEach((x, i) => check(x, s.items as Schema, `${at}[${i}]`));
  };
  check(doc, schema, '$');
  return errors;
}
