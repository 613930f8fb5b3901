import { chatModificationToAppPatch, encodeSyncdPatch, newLTHashState, proto, type BinaryNode, type LTHashState } from '@whiskeysockets/baileys';
import { AppState, AppStateRefusal } from '../../simulator/app-state.js';

const ANA = '5521950000010@s.whatsapp.net';

/** A client holding the shared key, writing patches as Baileys' appPatch does. */
function clientOf(appState: AppState, keyId = appState.keyId.toString('base64')) {
  const shared = appState.keyShare().protocolMessage!.appStateSyncKeyShare!.keys![0]!.keyData!;
  const state: LTHashState = newLTHashState();
  return {
    async push(mod: Parameters<typeof chatModificationToAppPatch>[0], version = state.version) {
      const create = chatModificationToAppPatch(mod, ANA);
      const encoded = await encodeSyncdPatch(create, keyId, state, async () => shared);
      return {
        encoded,
        iq: (patch: proto.ISyncdPatch = encoded.patch): BinaryNode => ({
          tag: 'iq',
          attrs: { xmlns: 'w:sync:app:state', type: 'set' },
          content: [
            {
              tag: 'sync',
              attrs: {},
              content: [
                {
                  tag: 'collection',
                  attrs: { name: create.type, version: String(version), return_snapshot: 'false' },
                  content: [{ tag: 'patch', attrs: {}, content: proto.SyncdPatch.encode(patch).finish() }]
                }
              ]
            }
          ]
        })
      };
    }
  };
}

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppStateRefusal);
  return (err as AppStateRefusal).code;
};

test('a client patch at the server version is applied and answered with the new version', async () => {
  const appState = new AppState();
  const client = clientOf(appState);
  const pushed = await client.push({ archive: true, lastMessages: [] });
  const reply = await appState.answerSync(pushed.iq());
  expect(reply.content).toEqual([{ tag: 'collection', attrs: { name: 'regular_low', version: '1' } }]);
  expect(appState.view().chats).toEqual([expect.objectContaining({ jid: ANA, archived: true })]);
});

test('a client behind the server is refused with 409 and nothing changes', async () => {
  const appState = new AppState();
  await appState.phoneChange({ pin: true }, ANA);
  const client = clientOf(appState);
  const pushed = await client.push({ pin: false });
  expect(await refusal(appState.answerSync(pushed.iq()))).toBe(409);
  expect(appState.view().chats[0]).toMatchObject({ pinned: true });
});

test('a patch whose MAC does not check, or made with a key the phone never shared, is refused with 400', async () => {
  const appState = new AppState();
  const client = clientOf(appState);
  const pushed = await client.push({ archive: true, lastMessages: [] });
  const tampered = { ...pushed.encoded.patch, patchMac: Buffer.alloc(32) };
  expect(await refusal(appState.answerSync(pushed.iq(tampered)))).toBe(400);

  const stranger = await clientOf(appState, Buffer.from('other!').toString('base64')).push({ archive: true, lastMessages: [] });
  expect(await refusal(appState.answerSync(stranger.iq()))).toBe(400);
  expect(appState.view().collections.regular_low).toBe(0);
  expect(appState.view().chats).toEqual([]);
});

test('a client at version v is sent exactly the patches after v', async () => {
  const appState = new AppState();
  await appState.phoneChange({ archive: true, lastMessages: [] }, ANA);
  await appState.phoneChange({ pin: true }, ANA);
  const ask = (version: number): BinaryNode => ({
    tag: 'iq',
    attrs: { xmlns: 'w:sync:app:state', type: 'set' },
    content: [{ tag: 'sync', attrs: {}, content: [{ tag: 'collection', attrs: { name: 'regular_low', version: String(version) } }] }]
  });
  const versionsIn = (reply: BinaryNode) => {
    const collection = (reply.content as BinaryNode[])[0]!;
    const patches = ((collection.content as BinaryNode[] | undefined)?.[0]?.content as BinaryNode[] | undefined) ?? [];
    return { version: collection.attrs.version, patches: patches.map(p => Number(proto.SyncdPatch.decode(p.content as Uint8Array).version?.version)) };
  };
  expect(versionsIn(await appState.answerSync(ask(0)))).toEqual({ version: '2', patches: [1, 2] });
  expect(versionsIn(await appState.answerSync(ask(1)))).toEqual({ version: '2', patches: [2] });
  expect(versionsIn(await appState.answerSync(ask(2)))).toEqual({ version: '2', patches: [] });
});

test('a setting the client writes is recorded as a mutation and names no chat', async () => {
  const appState = new AppState();
  const keyData = appState.keyShare().protocolMessage!.appStateSyncKeyShare!.keys![0]!.keyData!;
  const create = chatModificationToAppPatch({ pushNameSetting: 'New name' }, '');
  const { patch } = await encodeSyncdPatch(create, appState.keyId.toString('base64'), newLTHashState(), async () => keyData);
  await appState.answerSync({
    tag: 'iq',
    attrs: { xmlns: 'w:sync:app:state', type: 'set' },
    content: [
      {
        tag: 'sync',
        attrs: {},
        content: [{ tag: 'collection', attrs: { name: 'critical_block', version: '0' }, content: [{ tag: 'patch', attrs: {}, content: proto.SyncdPatch.encode(patch).finish() }] }]
      }
    ]
  });
  expect(appState.view()).toMatchObject({ collections: { critical_block: 1 }, chats: [], mutations: [{ collection: 'critical_block', index: ['setting_pushName'], source: 'client' }] });
});
