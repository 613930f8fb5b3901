import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WhatsAppSimulator } from './simulator.js';

const Phone = Type.String({ pattern: '^\\d{6,15}$', description: 'digits only' });
const PhoneParams = Type.Object({ phone: Phone });
const Text = Type.String({ minLength: 1, maxLength: 65_536 });

/** Control routes for what a contact or the own phone does beyond plain texts: edits, pictures, calls, sends from the phone. */
export function registerContactRoutes(app: FastifyInstance, sim: WhatsAppSimulator): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/accounts/:phone/edit',
    { schema: { params: PhoneParams, body: Type.Object({ from: Phone, messageId: Type.String({ minLength: 1, maxLength: 128 }), text: Text }) } },
    async req => sim.editText(req.params.phone, req.body.from, req.body.messageId, req.body.text)
  );
  api.post('/accounts/:phone/picture', { schema: { params: PhoneParams, body: Type.Object({ from: Phone, picture: Type.Boolean() }) } }, async req =>
    sim.changePicture(req.params.phone, req.body.from, req.body.picture)
  );
  // `group`: a group call, from a member of that group (its JID or ID).
  api.post(
    '/accounts/:phone/call',
    {
      schema: {
        params: PhoneParams,
        body: Type.Object({ from: Phone, isVideo: Type.Optional(Type.Boolean()), group: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false })
      }
    },
    async req => sim.call(req.params.phone, req.body.from, req.body.isVideo ?? false, req.body.group)
  );
  api.get('/accounts/:phone/calls', { schema: { params: PhoneParams } }, async req => sim.calls(req.params.phone));
  api.post('/accounts/:phone/phone-messages', { schema: { params: PhoneParams, body: Type.Object({ to: Phone, text: Text }) } }, async req =>
    sim.sendFromPhone(req.params.phone, req.body.to, req.body.text)
  );
}
