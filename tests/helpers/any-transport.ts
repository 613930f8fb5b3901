import type { CommandName, CommandResult } from '../../protocol/index.js';
import type { ErrorBody } from '../../server/errors.js';
import { EventClient, hubClient } from './hub.js';
import { WsClient } from './ws-client.js';

export type Transport = 'rest' | 'socket.io' | 'websocket';
export const TRANSPORTS: Transport[] = ['rest', 'socket.io', 'websocket'];

/** A command's answer whatever the wire; `httpStatus` only over REST. */
export interface Reply<T> {
  ok: boolean;
  data?: T;
  error?: ErrorBody;
  httpStatus?: number;
}

type From = 'body' | 'query' | 'none';

/**
 * How REST reaches each command, written out here rather than taken from the
 * server, so a wrong route in the server fails the tests.
 */
const REST: Record<CommandName, [string, string, From]> = {
  'instance.create': ['POST', '/instance/create', 'body'],
  'instance.list': ['GET', '/instance/fetchInstances', 'none'],
  'instance.connect': ['GET', '/instance/connect/:instance', 'none'],
  'instance.state': ['GET', '/instance/connectionState/:instance', 'none'],
  'instance.logout': ['DELETE', '/instance/logout/:instance', 'none'],
  'instance.delete': ['DELETE', '/instance/delete/:instance', 'none'],
  'instance.pairingCode': ['POST', '/instance/pairingCode/:instance', 'body'],
  'instance.restart': ['PUT', '/instance/restart/:instance', 'none'],
  'instance.events': ['GET', '/instance/events/:instance', 'query'],
  'message.sendText': ['POST', '/message/sendText/:instance', 'body'],
  'message.sendLocation': ['POST', '/message/sendLocation/:instance', 'body'],
  'message.sendContact': ['POST', '/message/sendContact/:instance', 'body'],
  'message.sendReaction': ['POST', '/message/sendReaction/:instance', 'body'],
  'message.sendLink': ['POST', '/message/sendLink/:instance', 'body'],
  'message.sendMedia': ['POST', '/message/sendMedia/:instance', 'body'],
  'media.url': ['POST', '/media/signUrl/:instance', 'body'],
  'message.delete': ['DELETE', '/chat/deleteMessageForEveryone/:instance', 'body'],
  'message.edit': ['POST', '/chat/updateMessage/:instance', 'body'],
  'message.markRead': ['POST', '/chat/markMessageAsRead/:instance', 'body'],
  'message.deleteForMe': ['DELETE', '/chat/deleteMessageForMe/:instance', 'body'],
  'chat.archive': ['POST', '/chat/archiveChat/:instance', 'body'],
  'chat.mute': ['POST', '/chat/muteChat/:instance', 'body'],
  'chat.pin': ['POST', '/chat/pinChat/:instance', 'body'],
  'chat.markUnread': ['POST', '/chat/markChatUnread/:instance', 'body'],
  'chat.delete': ['DELETE', '/chat/deleteChat/:instance', 'body'],
  'chat.clear': ['POST', '/chat/clearChat/:instance', 'body'],
  'chats.find': ['POST', '/chat/findChats/:instance', 'none'],
  'contacts.find': ['POST', '/chat/findContacts/:instance', 'none'],
  'messages.find': ['POST', '/chat/findMessages/:instance', 'body'],
  'numbers.check': ['POST', '/chat/whatsappNumbers/:instance', 'body'],
  'profile.picture': ['POST', '/chat/fetchProfilePictureUrl/:instance', 'body'],
  'contacts.lid': ['POST', '/chat/lid/:instance', 'body'],
  'presence.send': ['POST', '/chat/sendPresence/:instance', 'body'],
  'presence.subscribe': ['POST', '/chat/subscribePresence/:instance', 'body'],
  'queue.create': ['POST', '/message/sendBulk/:instance', 'body'],
  'queue.list': ['GET', '/queue/list/:instance', 'none'],
  'queue.get': ['GET', '/queue/get/:instance', 'query'],
  'queue.pause': ['PUT', '/queue/pause/:instance', 'body'],
  'queue.resume': ['PUT', '/queue/resume/:instance', 'body'],
  'queue.delete': ['DELETE', '/queue/delete/:instance', 'body'],
  'admin.backup': ['POST', '/admin/backup', 'none'],
  'webhook.set': ['POST', '/webhook/set/:instance', 'body'],
  'webhook.find': ['GET', '/webhook/find/:instance', 'none'],
  'webhook.delete': ['DELETE', '/webhook/delete/:instance', 'body'],
  'webhook.deliveries': ['GET', '/webhook/deliveries/:instance', 'query'],
  'webhook.redeliver': ['POST', '/webhook/redeliver/:instance', 'body'],
  'group.create': ['POST', '/group/create/:instance', 'body'],
  'group.list': ['GET', '/group/fetchAllGroups/:instance', 'none'],
  'group.metadata': ['GET', '/group/findGroupInfos/:instance', 'query'],
  'group.participants': ['PUT', '/group/updateParticipant/:instance', 'body'],
  'group.subject': ['PUT', '/group/updateSubject/:instance', 'body'],
  'group.description': ['PUT', '/group/updateDescription/:instance', 'body'],
  'group.settings': ['PUT', '/group/updateSetting/:instance', 'body'],
  'group.inviteCode': ['GET', '/group/inviteCode/:instance', 'query'],
  'group.revokeInvite': ['PUT', '/group/revokeInviteCode/:instance', 'body'],
  'group.acceptInvite': ['POST', '/group/acceptInviteCode/:instance', 'body'],
  'group.leave': ['DELETE', '/group/leaveGroup/:instance', 'body'],
  'instance.settings': ['POST', '/settings/set/:instance', 'body'],
  'settings.find': ['GET', '/settings/find/:instance', 'none']
};

/** One caller (an admin key or an instance token) on all three transports at once. */
export class AnyTransport {
  private constructor(
    private readonly rest: ReturnType<typeof hubClient>,
    private readonly key: string,
    readonly io: EventClient,
    readonly ws: WsClient
  ) {}

  static async open(url: string, key: string): Promise<AnyTransport> {
    const io = new EventClient(url, key);
    const ws = new WsClient(url, { token: key });
    await Promise.all([io.connected(), ws.open()]);
    return new AnyTransport(hubClient(url), key, io, ws);
  }

  /** Calls a command with its socket-form arguments; REST takes `instance` into the path, the rest into the body or query. */
  async call<C extends CommandName>(transport: Transport, command: C, args: Record<string, unknown>): Promise<Reply<CommandResult<C>>> {
    if (transport === 'socket.io') return this.io.emit(command, args);
    if (transport === 'websocket') {
      const { ok, data, error } = await this.ws.call(command, args);
      return { ok, data, error };
    }
    const [method, template, from] = REST[command];
    const { instance, ...rest } = args;
    let path = template.includes(':instance') ? template.replace(':instance', encodeURIComponent(String(instance))) : template;
    const extra = template.includes(':instance') ? rest : args;
    if (from === 'query') path += '?' + new URLSearchParams(Object.entries(extra).map(([k, v]) => [k, String(v)])).toString();
    const res = await this.rest.request(method, path, from === 'body' ? extra : undefined, this.key);
    return res.status < 300 ? { ok: true, data: res.json, httpStatus: res.status } : { ok: false, error: res.json, httpStatus: res.status };
  }

  close(): void {
    this.io.close();
    this.ws.close();
  }
}
