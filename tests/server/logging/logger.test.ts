import { PassThrough } from 'node:stream';
import { createLogger } from '../../../server/logging/logger.js';

/** Everything a logger wrote to its destination once it logged one line. */
function linesOf(tty: boolean): string[] {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', d => chunks.push(String(d)));
  createLogger({ level: 'info', tty, destination: out }).info({ instance: 'sales' }, 'connection opened');
  return chunks.join('').split('\n').filter(Boolean);
}

test('JSON lines when the output is not a terminal', () => {
  const lines = linesOf(false);
  expect(lines.map(l => JSON.parse(l) as unknown)).toEqual([expect.objectContaining({ level: 30, instance: 'sales', msg: 'connection opened' })]);
});

test('pretty lines, not JSON, on a terminal', () => {
  const coloured = linesOf(true);
  expect(coloured.join('\n')).toMatch(/\x1b\[\d+m/);
  const lines = coloured.map(l => l.replace(/\x1b\[\d+m/g, ''));
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(() => JSON.parse(lines[0]!)).toThrow();
  // The message on the first line, each field on its own line after it.
  expect(lines[0]).toMatch(/INFO.*connection opened/);
  expect(lines.slice(1).join('\n')).toMatch(/instance: "sales"/);
});
