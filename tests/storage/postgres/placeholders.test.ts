import { bindValues, numberPlaceholders } from '../../../storage/postgres/placeholders.js';

test('positional ? become $1..$n in order', () => {
  const sql = numberPlaceholders('SELECT a FROM t WHERE x = ? AND y > ? LIMIT ?');
  expect(sql.text).toBe('SELECT a FROM t WHERE x = $1 AND y > $2 LIMIT $3');
  expect(bindValues(sql, ['a', 2, 10])).toEqual(['a', 2, 10]);
});

test('a name used twice is one $n, bound from one object', () => {
  const sql = numberPlaceholders('DELETE FROM t WHERE (@id IS NULL OR id = @id) AND at < @cutoff');
  expect(sql.text).toBe('DELETE FROM t WHERE ($1 IS NULL OR id = $1) AND at < $2');
  expect(bindValues(sql, [{ cutoff: 5, id: null, extra: 'ignored' }])).toEqual([null, 5]);
});

test('string literals, quoted identifiers and comments are left alone', () => {
  const sql = numberPlaceholders(`SELECT '?', 'it''s @x', "odd?col" FROM t -- why? @y\nWHERE a = ? /* @z ? */ AND b = @b`);
  expect(sql.text).toBe(`SELECT '?', 'it''s @x', "odd?col" FROM t -- why? @y\nWHERE a = $1 /* @z ? */ AND b = $2`);
  expect(sql.sources).toEqual([0, 'b']);
});

test('a cast after a placeholder stays a cast', () => {
  expect(numberPlaceholders('SELECT jsonb_array_elements_text(@events::jsonb)').text).toBe('SELECT jsonb_array_elements_text($1::jsonb)');
});

test('a missing value is refused rather than bound as NULL', () => {
  expect(() => bindValues(numberPlaceholders('SELECT @a'), [{ b: 1 }])).toThrow(/missing named parameter "a"/);
  expect(() => bindValues(numberPlaceholders('SELECT ?, ?'), [1])).toThrow(/too few/);
});

test('undefined binds as NULL and bigints as their digits', () => {
  expect(bindValues(numberPlaceholders('SELECT ?, ?'), [undefined, 2n ** 60n])).toEqual([null, '1152921504606846976']);
});
