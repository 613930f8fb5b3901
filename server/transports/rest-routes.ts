import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CommandSchemas, InstanceName, type CommandName } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors } from '../errors.js';
import type { Authenticator } from './authenticate.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const Params = Type.Object({ instance: InstanceName });

/**
 * REST in the CodeChat/Evolution style. Each route is an adapter: it picks the
 * command's arguments out of the path and body and calls the command layer.
 */
export async function restRoutes(app: FastifyInstance, opts: { commands: CommandLayer; authenticate: Authenticator }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.addHook('onRequest', async (req: FastifyRequest) => {
    const principal = opts.authenticate(req.headers.apikey);
    if (!principal) throw new Errors.unauthorized();
    req.principal = principal;
  });
  const run = (req: FastifyRequest, name: CommandName, args: unknown) => opts.commands.run(name, args, req.principal!);

  r.post('/instance/create', { schema: { body: CommandSchemas['instance.create'].args } }, async (req, reply) =>
    reply.status(201).send((await run(req, 'instance.create', req.body)) as never)
  );
  r.get('/instance/fetchInstances', {}, async req => run(req, 'instance.list', {}) as never);
  r.get('/instance/connect/:instance', { schema: { params: Params } }, async req =>
    run(req, 'instance.connect', { instance: req.params.instance }) as never
  );
  r.get('/instance/connectionState/:instance', { schema: { params: Params } }, async req =>
    run(req, 'instance.state', { instance: req.params.instance }) as never
  );
  r.delete('/instance/logout/:instance', { schema: { params: Params } }, async req =>
    run(req, 'instance.logout', { instance: req.params.instance }) as never
  );
  r.delete('/instance/delete/:instance', { schema: { params: Params } }, async req =>
    run(req, 'instance.delete', { instance: req.params.instance }) as never
  );
  r.post(
    '/message/sendText/:instance',
    {
      schema: {
        params: Params,
        body: Type.Object({ number: Type.String(), text: Type.String() })
      }
    },
    async (req, reply) => reply.status(201).send((await run(req, 'message.sendText', { instance: req.params.instance, ...req.body })) as never)
  );
}
