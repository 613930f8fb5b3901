import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WhatsAppSimulator } from './simulator.js';

const Phone = Type.String({ pattern: '^\\d{6,15}$', description: 'digits only' });
const GroupParams = Type.Object({ phone: Phone, id: Type.String({ pattern: '^\\d{6,30}(@g\\.us)?$', description: 'the group JID or its digits' }) });
const Phones = Type.Array(Phone, { minItems: 1, maxItems: 1024 });
const Subject = Type.String({ minLength: 1, maxLength: 100 });

/** Control routes for what contacts do in groups; `GET` shows the simulator's truth about a group. */
export function registerGroupRoutes(app: FastifyInstance, sim: WhatsAppSimulator): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/accounts/:phone/groups',
    {
      schema: {
        params: Type.Object({ phone: Phone }),
        body: Type.Object({ subject: Subject, participants: Type.Array(Phone, { maxItems: 1024 }), by: Phone }, { additionalProperties: false })
      }
    },
    async (req, reply) => reply.status(201).send(await sim.createGroup(req.params.phone, req.body))
  );
  api.post(
    '/accounts/:phone/groups/:id/participants',
    {
      schema: {
        params: GroupParams,
        body: Type.Object(
          {
            action: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('promote'), Type.Literal('demote')]),
            participants: Phones,
            by: Phone
          },
          { additionalProperties: false }
        )
      }
    },
    async req => sim.groupParticipants(req.params.phone, req.params.id, req.body)
  );
  api.post(
    '/accounts/:phone/groups/:id/subject',
    { schema: { params: GroupParams, body: Type.Object({ subject: Subject, by: Phone }, { additionalProperties: false }) } },
    async req => sim.groupSubject(req.params.phone, req.params.id, req.body)
  );
  api.post(
    '/accounts/:phone/groups/:id/messages',
    {
      schema: {
        params: GroupParams,
        body: Type.Object(
          { from: Phone, text: Type.String({ minLength: 1, maxLength: 65_536 }), mentions: Type.Optional(Type.Array(Phone, { maxItems: 1024 })) },
          { additionalProperties: false }
        )
      }
    },
    async req => sim.groupMessage(req.params.phone, req.params.id, req.body.from, req.body.text, req.body.mentions)
  );
  api.get('/accounts/:phone/groups/:id', { schema: { params: GroupParams } }, async req => sim.group(req.params.phone, req.params.id));
}
