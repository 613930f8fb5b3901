import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  level: Level | 'silent';
  /** Whether a person reads the output: pretty, coloured lines; otherwise one JSON object a line for collectors. */
  tty?: boolean;
  /** Where lines go; stdout when unset. */
  destination?: NodeJS.WritableStream;
}

/**
 * The hub's logger. Pretty only on a terminal: log collectors, `docker logs`
 * piped to a file and the tests all read JSON. Pretty printing runs in this
 * thread (not a pino transport's worker) so that the last lines before a crash
 * are written, and so the compiled start needs no worker file resolved at run time.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const tty = opts.tty ?? process.stdout.isTTY === true;
  if (tty) {
    const stream = pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: opts.destination ?? process.stdout, sync: true });
    return pino({ level: opts.level }, stream);
  }
  return opts.destination ? pino({ level: opts.level }, opts.destination as DestinationStream) : pino({ level: opts.level });
}
