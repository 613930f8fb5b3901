import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SimAccount } from './account.js';
import { registerContactRoutes } from './control-contact-routes.js';
import { registerGroupRoutes } from './control-group-routes.js';
import { SIM_MEDIA_FAULTS, SIM_MEDIA_TYPES, type SimMediaSpec } from './media-messages.js';
import type { PhoneAction } from './phone-actions.js';
import { SimulatorError, type WaVersion, type WhatsAppSimulator } from './simulator.js';

const Phone = Type.String({ pattern: '^\\d{6,15}$', description: 'digits only' });
const PhoneParams = Type.Object({ phone: Phone });
const From = { from: Phone };
const ContactSpec = Type.Object(
  {
    phone: Phone,
    pushName: Type.Optional(Type.String({ maxLength: 100 })),
    lid: Type.Optional(Type.String({ pattern: '^\\d{6,20}$' })),
    onWhatsApp: Type.Optional(Type.Boolean()),
    addressing: Type.Optional(Type.Union([Type.Literal('pn'), Type.Literal('lid')])),
    picture: Type.Optional(Type.Boolean()),
    jid: Type.Optional(Type.String({ pattern: '^\\d{6,15}@s\\.whatsapp\\.net$', description: 'the JID WhatsApp knows the number under' })),
    refuse: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, description: 'error code of the ack refusing every message to it' })),
    noAck: Type.Optional(Type.Boolean({ description: "messages to it arrive but the server's ack never comes back" }))
  },
  { additionalProperties: false }
);

/** Messages stored on the phone for a history sync (`messages`: the first sync, `older`: the full one). */
const HistoryMessages = Type.Array(
  Type.Object({
    chat: Phone,
    text: Type.String({ maxLength: 65_536 }),
    fromMe: Type.Optional(Type.Boolean()),
    id: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{6,64}$' })),
    timestamp: Type.Optional(Type.Integer({ minimum: 0 }))
  }),
  { maxItems: 50_000 }
);

const HistorySpec = Type.Object(
  {
    chats: Type.Optional(
      Type.Array(
        Type.Object({
          phone: Phone,
          name: Type.Optional(Type.String()),
          unreadCount: Type.Optional(Type.Integer({ minimum: 0 })),
          timestamp: Type.Optional(Type.Integer({ minimum: 0 }))
        }),
        { maxItems: 10_000 }
      )
    ),
    messages: Type.Optional(HistoryMessages),
    older: Type.Optional(HistoryMessages),
    fullChunkSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    initialChunkSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 50_000 }))
  },
  { additionalProperties: false }
);
const Text = Type.String({ minLength: 1, maxLength: 65_536 });
const MediaSpec = Type.Object(
  {
    type: Type.Union(SIM_MEDIA_TYPES.map(t => Type.Literal(t))),
    base64: Type.String({ minLength: 1 }),
    mimetype: Type.String({ minLength: 1, maxLength: 255 }),
    caption: Type.Optional(Type.String({ maxLength: 65_536 })),
    fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    ptt: Type.Optional(Type.Boolean()),
    fault: Type.Optional(Type.Union(SIM_MEDIA_FAULTS.map(f => Type.Literal(f))))
  },
  { additionalProperties: false }
);
const MessageId = Type.String({ minLength: 1, maxLength: 128 });
const Name = Type.String({ minLength: 1, maxLength: 256 });
const OnChat = (action: string, extra: Record<string, ReturnType<typeof Type.Optional>> = {}) =>
  Type.Object({ action: Type.Literal(action), chat: Phone, ...extra }, { additionalProperties: false });
/** "The user did this on the phone": one app-state change per request. */
const PhoneActionBody = Type.Union([
  Type.Object(
    { action: Type.Literal('contact'), phone: Phone, fullName: Type.Optional(Name), firstName: Type.Optional(Name) },
    { additionalProperties: false }
  ),
  OnChat('deleteChat'),
  OnChat('clearChat'),
  Type.Object(
    {
      action: Type.Literal('deleteMessageForMe'),
      chat: Phone,
      messageId: MessageId,
      fromMe: Type.Optional(Type.Boolean()),
      timestamp: Type.Optional(Type.Integer({ minimum: 0 }))
    },
    { additionalProperties: false }
  ),
  OnChat('archive', { archived: Type.Optional(Type.Boolean()) }),
  Type.Object(
    { action: Type.Literal('mute'), chat: Phone, until: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) },
    { additionalProperties: false }
  ),
  OnChat('pin', { pinned: Type.Optional(Type.Boolean()) }),
  OnChat('markRead', { read: Type.Optional(Type.Boolean()) })
]);

/** 1×1 transparent PNG served as every profile picture. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const reasonPhrase: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error'
};

const summary = (a: SimAccount) => ({
  phone: a.phone,
  lid: a.lidJid,
  pushName: a.pushName,
  paired: !!a.companion,
  deviceId: a.companion?.deviceId ?? null,
  connected: !!a.link,
  offline: a.offline,
  pending: a.pendingCount,
  contacts: a.listContacts().map(c => ({
    phone: c.phone,
    lid: c.lidJid,
    pushName: c.pushName,
    onWhatsApp: c.onWhatsApp,
    addressing: c.addressing,
    receipts: c.receipts,
    ...(c.refuse ? { refuse: c.refuse } : {}),
    ...(c.noAck ? { noAck: true } : {})
  }))
});

/**
 * The simulator's HTTP control API: the same operations as the in-process API,
 * as JSON on a loopback port. Every refusal is `{status, error, message}`.
 */
export function buildControlApi(sim: WhatsAppSimulator): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 128 * 1024 * 1024 }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err instanceof SimulatorError ? err.status : err.validation ? 400 : (err.statusCode ?? 500);
    const message = status >= 500 ? 'internal error' : err.message;
    if (status >= 500) sim.logger.error({ err }, 'control API error');
    void reply.status(status).send({ status, error: reasonPhrase[status] ?? 'Error', message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ status: 404, error: 'Not Found', message: `no route ${req.method} ${req.url}` });
  });

  app.get('/health', async () => ({
    status: 'ok',
    url: sim.url,
    versionUrl: sim.versionUrl,
    rootPublicKey: sim.rootPublicKeyHex,
    accounts: sim.listAccounts().length
  }));
  const Version = Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]);
  app.post(
    '/version',
    { schema: { body: Type.Object({ min: Type.Union([Version, Type.Null()]), latest: Type.Optional(Version) }, { additionalProperties: false }) } },
    async req => {
      sim.setVersions(req.body.min ?? undefined, req.body.latest as WaVersion | undefined);
      return { min: sim.minVersion ?? null, latest: sim.announcedVersion };
    }
  );

  app.post(
    '/accounts',
    {
      schema: {
        body: Type.Object(
          {
            phone: Phone,
            pushName: Type.Optional(Type.String({ maxLength: 100 })),
            contacts: Type.Optional(Type.Array(ContactSpec, { maxItems: 10_000 })),
            history: Type.Optional(HistorySpec)
          },
          { additionalProperties: false }
        )
      }
    },
    async (req, reply) => reply.status(201).send(summary(sim.createAccount(req.body)))
  );
  app.get('/accounts', async () => sim.listAccounts().map(summary));
  app.get('/accounts/:phone', { schema: { params: PhoneParams } }, async req => summary(sim.account(req.params.phone)));

  app.post(
    '/scan',
    { schema: { body: Type.Object({ phone: Phone, qr: Type.String({ minLength: 1, maxLength: 4096 }) }) } },
    async req => sim.scan(req.body.phone, req.body.qr)
  );

  app.post(
    '/accounts/:phone/messages',
    {
      schema: {
        params: PhoneParams,
        // plaintext: skip Signal (as WhatsApp does for newsletters); a baseline for benchmarks.
        body: Type.Object(
          { ...From, text: Type.Optional(Text), media: Type.Optional(MediaSpec), plaintext: Type.Optional(Type.Boolean()) },
          { additionalProperties: false }
        )
      }
    },
    async req => {
      const { from, text, media, plaintext } = req.body;
      if ((text === undefined) === (media === undefined)) throw new SimulatorError(400, 'give either text or media');
      if (media) return sim.sendMedia(req.params.phone, from, media as SimMediaSpec);
      return sim.sendText(req.params.phone, from, text!, { plaintext });
    }
  );
  app.post('/accounts/:phone/media-expire', { schema: { params: PhoneParams, body: Type.Object({ messageId: MessageId }) } }, async req =>
    sim.expireMedia(req.params.phone, req.body.messageId)
  );
  app.get('/accounts/:phone/uploads', { schema: { params: PhoneParams } }, async req => {
    const uploads = sim.uploads(req.params.phone);
    return { count: uploads.length, uploads };
  });
  // Many texts from one contact in one request, sent in order: load for benchmarks without an HTTP request per message.
  app.post(
    '/accounts/:phone/messages/burst',
    {
      schema: {
        params: PhoneParams,
        body: Type.Object({ ...From, text: Text, count: Type.Integer({ minimum: 1, maximum: 10_000 }), plaintext: Type.Optional(Type.Boolean()) })
      }
    },
    async req => {
      const messageIds: string[] = [];
      for (let i = 1; i <= req.body.count; i++) {
        messageIds.push((await sim.sendText(req.params.phone, req.body.from, `${req.body.text} ${i}`, { plaintext: req.body.plaintext })).messageId);
      }
      return { messageIds };
    }
  );
  app.post(
    '/accounts/:phone/pairing-code',
    { schema: { params: PhoneParams, body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }) } },
    async req => sim.enterPairingCode(req.params.phone, req.body.code.toUpperCase().replace(/-/g, ''))
  );
  app.post('/accounts/:phone/status', { schema: { params: PhoneParams, body: Type.Object({ ...From, text: Text }) } }, async req =>
    sim.postStatus(req.params.phone, req.body.from, req.body.text)
  );
  app.post(
    '/accounts/:phone/presence',
    {
      schema: {
        params: PhoneParams,
        body: Type.Object({
          ...From,
          presence: Type.Union(['available', 'unavailable', 'composing', 'recording', 'paused'].map(p => Type.Literal(p)))
        })
      }
    },
    async req => sim.presence(req.params.phone, req.body.from, req.body.presence as Parameters<WhatsAppSimulator['presence']>[2])
  );
  app.post('/accounts/:phone/revoke', { schema: { params: PhoneParams, body: Type.Object({ ...From, messageId: MessageId }) } }, async req =>
    sim.revoke(req.params.phone, req.body.from, req.body.messageId)
  );
  app.get('/accounts/:phone/outbox', { schema: { params: PhoneParams } }, async req => sim.outbox(req.params.phone));
  app.post(
    '/accounts/:phone/receipts',
    {
      schema: {
        params: PhoneParams,
        body: Type.Object({ ...From, mode: Type.Union([Type.Literal('auto'), Type.Literal('delivery'), Type.Literal('none')]) })
      }
    },
    async req => {
      sim.setReceipts(req.params.phone, req.body.from, req.body.mode);
      return { from: req.body.from, mode: req.body.mode };
    }
  );
  app.get('/accounts/:phone/receipts', { schema: { params: PhoneParams } }, async req => sim.clientReceipts(req.params.phone));
  app.get('/accounts/:phone/chatstates', { schema: { params: PhoneParams } }, async req => sim.clientPresence(req.params.phone));
  app.post(
    '/accounts/:phone/read',
    { schema: { params: PhoneParams, body: Type.Object({ ...From, messageIds: Type.Array(MessageId, { minItems: 1, maxItems: 1000 }) }) } },
    async req => {
      await sim.read(req.params.phone, req.body.from, req.body.messageIds);
      return { read: req.body.messageIds.length };
    }
  );
  app.post(
    '/accounts/:phone/kick',
    {
      schema: {
        params: PhoneParams,
        body: Type.Object({
          reason: Type.Union(['logout', 'replaced', 'restart', 'drop'].map(r => Type.Literal(r))),
          unreachableMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 }))
        })
      }
    },
    async req => sim.kick(req.params.phone, req.body.reason as Parameters<WhatsAppSimulator['kick']>[1], { unreachableMs: req.body.unreachableMs })
  );
  app.post('/accounts/:phone/lose-receipts', { schema: { params: PhoneParams, body: Type.Object({ lose: Type.Boolean() }) } }, async req => {
    sim.loseReceipts(req.params.phone, req.body.lose);
    return { lose: req.body.lose };
  });
  app.post('/accounts/:phone/offline', { schema: { params: PhoneParams, body: Type.Object({ offline: Type.Boolean() }) } }, async req => {
    sim.setOffline(req.params.phone, req.body.offline);
    return { offline: req.body.offline };
  });
  registerContactRoutes(app, sim);
  registerGroupRoutes(app, sim);
  app.post('/accounts/:phone/app-state', { schema: { params: PhoneParams, body: PhoneActionBody } }, async req =>
    sim.appStateAction(req.params.phone, req.body as PhoneAction)
  );
  app.get('/accounts/:phone/app-state', { schema: { params: PhoneParams } }, async req => sim.appState(req.params.phone));
  app.get('/pictures/:file', async (_req, reply) => reply.type('image/png').send(PIXEL));

  return app;
}
