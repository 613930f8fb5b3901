/** A statement rewritten for PostgreSQL: `$n` placeholders, and where each value comes from. */
export interface NumberedSql {
  text: string;
  /** Per `$n` (index n-1): the position of a `?` argument, or the key of an `@name` one. */
  sources: (number | string)[];
}

const NAME = /[A-Za-z0-9_]/;

/**
 * Rewrites SQLite's `?` and `@name` placeholders to `$1, $2, ...`. A name used
 * twice is one `$n`. String literals, quoted identifiers and comments are copied
 * as they are, so a `?` or an `@` inside them stays text.
 */
export function numberPlaceholders(sql: string): NumberedSql {
  let text = '';
  const sources: (number | string)[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  let i = 0;
  const copyUntil = (end: string, from: number): number => {
    const stop = sql.indexOf(end, from);
    const to = stop === -1 ? sql.length : stop + end.length;
    text += sql.slice(i, to);
    return to;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      // A doubled quote inside is an escaped one: keep scanning past it.
      let j = i + 1;
      for (;;) {
        const stop = sql.indexOf(c, j);
        if (stop === -1) {
          j = sql.length;
          break;
        }
        if (sql[stop + 1] === c) j = stop + 2;
        else {
          j = stop + 1;
          break;
        }
      }
      text += sql.slice(i, j);
      i = j;
    } else if (c === '-' && next === '-') {
      i = copyUntil('\n', i + 2);
    } else if (c === '/' && next === '*') {
      i = copyUntil('*/', i + 2);
    } else if (c === '?') {
      sources.push(positional++);
      text += `$${sources.length}`;
      i++;
    } else if (c === '@' && next !== undefined && NAME.test(next)) {
      let j = i + 1;
      while (j < sql.length && NAME.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let n = named.get(name);
      if (n === undefined) {
        sources.push(name);
        named.set(name, (n = sources.length));
      }
      text += `$${n}`;
      i = j;
    } else {
      text += c;
      i++;
    }
  }
  return { text, sources };
}

/** The values for `$1..$n`, from the arguments a statement was called with (positional, or one object of named ones). */
export function bindValues(numbered: NumberedSql, args: readonly unknown[]): unknown[] {
  if (numbered.sources.length === 0) return [];
  const named = args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !ArrayBuffer.isView(args[0]) ? (args[0] as Record<string, unknown>) : undefined;
  return numbered.sources.map(source => {
    if (typeof source === 'number') {
      if (source >= args.length) throw new RangeError(`too few parameter values: ${args.length}`);
      return toPg(args[source]);
    }
    if (!named || !(source in named)) throw new RangeError(`missing named parameter "${source}"`);
    return toPg(named[source]);
  });
}

/** better-sqlite3 binds undefined as NULL and bigints as integers; pg needs them spelled out. */
function toPg(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
