import type { TSchema } from 'typebox';
import { CommandSchemas, type CommandName } from '../../protocol/index.js';
import { Errors } from '../errors.js';

/** Where a route finds the command's arguments besides the instance in its path. */
export type ArgsFrom = 'body' | 'query' | 'none';

/** What a REST request brings for its command. */
export interface RestInput {
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

export const propertiesOf = (name: CommandName) =>
  (CommandSchemas[name].args as unknown as { properties: Record<string, TSchema & { type?: unknown }> }).properties;

const NUMERAL = /^-?\d+(\.\d+)?$/;

/**
 * A query string carries only text: a value becomes a number where the command's
 * schema takes a number and the text is a plain numeral, a boolean where it takes
 * a boolean and the text is `true` or `false`, and stays as it came everywhere
 * else, so the command layer refuses it the way the sockets would.
 */
function fromQuery(name: CommandName, query: Record<string, unknown>): Record<string, unknown> {
  const properties = propertiesOf(name);
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => {
      const type = Object.hasOwn(properties, key) ? properties[key]!.type : undefined;
      const numeric = (type === 'integer' || type === 'number') && typeof value === 'string' && NUMERAL.test(value);
      if (numeric) return [key, Number(value)];
      const flag = type === 'boolean' && (value === 'true' || value === 'false');
      return [key, flag ? value === 'true' : value];
    })
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The command's arguments, in the form the sockets send them: the body's or the
 * query's, with the instance from the path. Nothing is checked here; the command
 * layer checks them as it checks every transport's.
 */
export function restArgs(name: CommandName, from: ArgsFrom, req: RestInput, hasInstance: boolean): unknown {
  const given = from === 'body' ? req.body : from === 'query' ? fromQuery(name, isRecord(req.query) ? req.query : {}) : {};
  if (!hasInstance) return given ?? {};
  // Not an object: handed on as it is, so the command layer answers what it answers on the sockets.
  if (given !== undefined && given !== null && !isRecord(given)) return given;
  if (given && Object.hasOwn(given, 'instance')) throw new Errors.badRequest(`instance is named by the path, not the ${from}`);
  return { ...given, instance: (req.params as { instance?: unknown } | undefined)?.instance };
}
