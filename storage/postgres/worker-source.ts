/**
 * The thread that holds the `pg` connection. It is an eval'd script rather than a
 * file beside this one so it runs the same under tsx, ts-jest and the compiled
 * dist/: it needs only `pg`, whose resolved path it is given.
 *
 * Protocol: the caller posts one request on the port and sleeps on `flag[0]`;
 * the thread posts the answer, then sets the flag and wakes it. One request at a
 * time, so answers need no ids.
 */
export const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const flag = new Int32Array(workerData.flag);
const port = workerData.port;
// BIGINT (int8) and COUNT(*): the hub's integers (ms timestamps, seqs) are all far below 2^53.
const int8 = v => Number(v);
const types = { getTypeParser: (oid, format) => (oid === 20 ? int8 : pg.types.getTypeParser(oid, format)) };
let client;
let dead;
const answer = reply => {
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
const failure = err => ({
  error: {
    message: err && err.message ? err.message : String(err),
    code: err && err.code,
    detail: err && err.detail,
    constraint: err && err.constraint,
    // A FATAL error (the server ended this session) or a connection-class SQLSTATE arrives before
    // pg marks the client as no longer queryable: all of them mean the session is gone.
    dead: !!dead || !client || client._queryable === false || (err && (err.severity === 'FATAL' || err.severity === 'PANIC' || /^(08|57P)/.test(err.code || '')))
  }
});
port.on('message', async req => {
  try {
    if (req.op === 'connect') {
      // The server gives up on a statement, or on a transaction left open, a second after this side does:
      // a session abandoned by a timed-out caller must not keep its row locks (event_seq) for long.
      const serverTimeout = workerData.timeoutMs + 1000;
      client = new pg.Client({
        connectionString: workerData.url,
        types,
        application_name: 'wahub',
        statement_timeout: serverTimeout,
        idle_in_transaction_session_timeout: serverTimeout
      });
      // A connection that drops between queries is reported on the next one, never replaced here:
      // the caller decides, because a transaction may have been open on it.
      client.on('error', err => (dead = err));
      client.on('end', () => (dead = dead || new Error('the connection to PostgreSQL ended')));
      await client.connect();
      answer({ ok: true });
    } else if (req.op === 'query') {
      if (dead) throw dead;
      const res = await client.query({ name: req.name, text: req.text, values: req.values, rowMode: req.rowMode });
      answer({ rows: res.rows, rowCount: res.rowCount == null ? 0 : res.rowCount, command: res.command });
    } else if (req.op === 'exec') {
      if (dead) throw dead;
      await client.query(req.text);
      answer({ rows: [], rowCount: 0 });
    } else if (req.op === 'end') {
      if (client && !dead) await client.end().catch(() => undefined);
      answer({ ok: true });
    }
  } catch (err) {
    answer(failure(err));
  }
});
`;
