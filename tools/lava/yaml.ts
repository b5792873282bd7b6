/**
 * A small YAML writer for LAVA job and device files: block mappings and
 * sequences, every string double-quoted with JSON escapes (a valid YAML
 * scalar, so a command line or a regex needs no YAML quoting rules). Pure.
 * LAVA reads these with PyYAML's safe_load; no YAML library is needed here.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function isEmptyCollection(v: YamlValue): boolean {
  return (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === undefined));
}

function lines(v: YamlValue, indent: string): string[] {
  if (v === null || typeof v !== 'object') return [`${indent}${scalar(v)}`];
  if (Array.isArray(v)) {
    return v.flatMap((item) => {
      if (item !== null && typeof item === 'object' && !isEmptyCollection(item)) {
        const inner = lines(item, `${indent}  `);
        return [`${indent}- ${(inner[0] ?? '').trimStart()}`, ...inner.slice(1)];
      }
      return [`${indent}- ${inline(item)}`];
    });
  }
  const out: string[] = [];
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const key = PLAIN_KEY.test(k) ? k : JSON.stringify(k);
    if (val !== null && typeof val === 'object' && !isEmptyCollection(val)) {
      out.push(`${indent}${key}:`, ...lines(val, Array.isArray(val) ? indent : `${indent}  `));
    } else {
      out.push(`${indent}${key}: ${inline(val)}`);
    }
  }
  return out;
}

function inline(v: YamlValue): string {
  if (Array.isArray(v)) return '[]';
  if (v !== null && typeof v === 'object') return '{}';
  return scalar(v);
}

/** The document, ending with a newline. */
export function toYaml(v: YamlValue): string {
  return `${lines(v, '').join('\n')}\n`;
}
