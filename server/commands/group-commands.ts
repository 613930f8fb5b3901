import { areJidsSameUser, isLidUser, type GroupMetadata, type WASocket } from '@whiskeysockets/baileys';
import { Errors } from '../errors.js';
import { toGroup } from '../events/translate-groups.js';
import type { CommandHandlers } from './command-layer.js';
import { GroupDirectory, groupRefusal } from './group-directory.js';
import { openSocket } from './message-commands.js';
import { toJid } from './message-content.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';

type Names =
  | 'group.create'
  | 'group.list'
  | 'group.metadata'
  | 'group.participants'
  | 'group.subject'
  | 'group.description'
  | 'group.settings'
  | 'group.inviteCode'
  | 'group.revokeInvite'
  | 'group.acceptInvite'
  | 'group.leave';

const INVITE_URL = 'https://chat.whatsapp.com/';

/** Phone numbers for the LIDs of members WhatsApp named without one, from Baileys' LID mapping. */
async function lookupFor(sock: WASocket, groups: GroupMetadata[]): Promise<Map<string, string>> {
  const lids = new Set(groups.flatMap(g => [g.owner, ...g.participants.filter(p => !p.phoneNumber).map(p => p.id)]).filter((j): j is string => !!j && isLidUser(j) === true));
  const found = new Map<string, string>();
  for (const lid of lids) {
    const pn = await sock.signalRepository.lidMapping.getPNForLID(lid).catch(() => null);
    if (pn) found.set(lid, pn);
  }
  return found;
}

const contract = async (sock: WASocket, meta: GroupMetadata) => toGroup(meta, await lookupFor(sock, [meta]));

/**
 * group.*: the account's groups through Baileys' group calls. The hub checks
 * membership and admin rights on its stored metadata first, so a refusal needs
 * no round trip; the store then follows from the events WhatsApp sends back.
 */
export function groupCommands(registry: InstanceRegistry, groups: GroupDirectory): Pick<CommandHandlers, Names> {
  /** Runs a Baileys group call, with WhatsApp's refusal in the hub's words. */
  const call = <T>(groupJid: string, run: () => Promise<T>, forbidden: 'member' | 'admin' = 'admin'): Promise<T> =>
    run().catch(err => {
      throw groupRefusal(err, groupJid, forbidden);
    });

  return {
    'group.create': async ({ instance, subject, participants, description }) => {
      const sock = openSocket(registry, instance);
      const meta = await call('@g.us', () => sock.groupCreate(subject, participants.map(toJid)));
      groups.remember(instance, meta);
      if (description) {
        await call(meta.id, () => sock.groupUpdateDescription(meta.id, description));
        meta.desc = description;
      }
      return contract(sock, meta);
    },
    'group.list': async ({ instance }) => {
      const sock = openSocket(registry, instance);
      const all = Object.values(await call('@g.us', () => sock.groupFetchAllParticipating(), 'member'));
      const lookup = await lookupFor(sock, all);
      return all.map(g => toGroup(g, lookup));
    },
    'group.metadata': async ({ instance, groupJid }) => {
      const sock = openSocket(registry, instance);
      return contract(sock, await groups.fetch(instance, sock, groupJid));
    },
    'group.participants': async ({ instance, groupJid, action, participants }) => {
      const sock = openSocket(registry, instance);
      await groups.admin(instance, sock, groupJid);
      const jids = participants.map(toJid);
      const results = await call(groupJid, () => sock.groupParticipantsUpdate(groupJid, jids, action));
      return {
        groupJid,
        action,
        participants: participants.map((number, i) => {
          const jid = jids[i]!;
          const result = results.find(r => !!r.jid && areJidsSameUser(r.jid, jid)) ?? results[i];
          return { number, jid, status: Number(result?.status ?? 500) };
        })
      };
    },
    'group.subject': async ({ instance, groupJid, subject }) => {
      const sock = openSocket(registry, instance);
      await groups.editor(instance, sock, groupJid);
      await call(groupJid, () => sock.groupUpdateSubject(groupJid, subject));
      return { groupJid, subject };
    },
    'group.description': async ({ instance, groupJid, description }) => {
      const sock = openSocket(registry, instance);
      await groups.editor(instance, sock, groupJid);
      await call(groupJid, () => sock.groupUpdateDescription(groupJid, description || undefined));
      return { groupJid, description: description || null };
    },
    'group.settings': async ({ instance, groupJid, action }) => {
      const sock = openSocket(registry, instance);
      const meta = await groups.admin(instance, sock, groupJid);
      await call(groupJid, () => sock.groupSettingUpdate(groupJid, action));
      const announce = action === 'announcement' ? true : action === 'not_announcement' ? false : !!meta.announce;
      const restrict = action === 'locked' ? true : action === 'unlocked' ? false : !!meta.restrict;
      return { groupJid, announce, restrict };
    },
    'group.inviteCode': async ({ instance, groupJid }) => {
      const sock = openSocket(registry, instance);
      await groups.admin(instance, sock, groupJid);
      const code = await call(groupJid, () => sock.groupInviteCode(groupJid));
      if (!code) throw new Errors.groupFailed('no invite code in the answer');
      return { groupJid, inviteCode: code, inviteUrl: INVITE_URL + code };
    },
    'group.revokeInvite': async ({ instance, groupJid }) => {
      const sock = openSocket(registry, instance);
      await groups.admin(instance, sock, groupJid);
      const code = await call(groupJid, () => sock.groupRevokeInvite(groupJid));
      if (!code) throw new Errors.groupFailed('no invite code in the answer');
      return { groupJid, inviteCode: code, inviteUrl: INVITE_URL + code };
    },
    'group.acceptInvite': async ({ instance, inviteCode }) => {
      const sock = openSocket(registry, instance);
      const code = inviteCode.startsWith(INVITE_URL) ? inviteCode.slice(INVITE_URL.length) : inviteCode;
      const groupJid = await sock.groupAcceptInvite(code).catch(err => {
        // WhatsApp answers a bad or revoked code with 406 (or 404/410); none of them is the hub's fault.
        const status = (err as { data?: unknown }).data;
        if (status === 406 || status === 404 || status === 410) throw new Errors.inviteNotValid();
        throw groupRefusal(err, '@g.us');
      });
      if (!groupJid) throw new Errors.groupFailed('no group in the answer');
      return { groupJid };
    },
    'group.leave': async ({ instance, groupJid }) => {
      const sock = openSocket(registry, instance);
      await groups.member(instance, sock, groupJid);
      await call(groupJid, () => sock.groupLeave(groupJid), 'member');
      return { groupJid, left: true };
    }
  };
}
