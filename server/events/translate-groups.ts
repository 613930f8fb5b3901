import { areJidsSameUser, isLidUser, jidNormalizedUser, type BaileysEventMap, type GroupMetadata, type GroupParticipant } from '@whiskeysockets/baileys';
import type { Static } from 'typebox';
import type { Group, GroupParticipant as ContractParticipant, PendingEvent } from '../../protocol/index.js';
import { resolveJid, type LidLookup } from './jids.js';
import type { TranslateContext } from './translate-context.js';

export type GroupData = Static<typeof Group>;
type GroupChange = Extract<PendingEvent, { event: 'groups.update' }>['data'][number];

/** A member in the contract's form: its phone-number JID when known, the LID beside it. */
export function toParticipant(p: GroupParticipant, lookup: LidLookup): Static<typeof ContractParticipant> {
  const resolved = resolveJid(p.id, lookup, p.phoneNumber);
  const lid = isLidUser(p.id) ? jidNormalizedUser(p.id) : p.lid ? jidNormalizedUser(p.lid) : undefined;
  return { wuid: resolved.wuid, ...(lid ? { lid } : {}), admin: p.admin ?? null };
}

/** Baileys' group metadata in the contract's form (EVENTS.md "Events beyond the map"). */
export function toGroup(meta: GroupMetadata, lookup: LidLookup): GroupData {
  const owner = meta.ownerPn ? jidNormalizedUser(meta.ownerPn) : meta.owner ? resolveJid(meta.owner, lookup).wuid : null;
  return {
    id: meta.id,
    subject: meta.subject ?? '',
    description: meta.desc ?? null,
    owner,
    creation: typeof meta.creation === 'number' && Number.isFinite(meta.creation) ? meta.creation : null,
    participants: meta.participants.map(p => toParticipant(p, lookup)),
    announce: !!meta.announce,
    restrict: !!meta.restrict,
    size: meta.size ?? meta.participants.length
  };
}

/** Who did it, as the contract names people. */
const authorOf = (author: string | undefined, authorPn: string | undefined, lookup: LidLookup): string | null =>
  authorPn ? jidNormalizedUser(authorPn) : author ? resolveJid(author, lookup).wuid : null;

// Baileys puts who made a change beside the change; it is not part of the group.
const withoutAuthor = ({ author: _a, authorPn: _p, authorUsername: _u, ...rest }: Partial<GroupMetadata>): Partial<GroupMetadata> => rest;

/** groups.upsert: each group is stored whole, as Baileys' sends will read it. */
export function groupsUpserted(ctx: TranslateContext, groups: GroupMetadata[]): PendingEvent[] {
  const known = groups.filter(g => !!g.id && Array.isArray(g.participants));
  for (const g of known) ctx.storage.groups.put(ctx.instanceId, withoutAuthor(g) as GroupMetadata);
  return known.length ? [{ event: 'groups.upsert', data: known.map(g => toGroup(g, ctx.lookup)) }] : [];
}

const FIELDS = ['subject', 'description', 'owner', 'creation', 'participants', 'announce', 'restrict', 'size'] as const;

/**
 * groups.update: merged into the stored group, and reported with only what
 * actually changed. Baileys also emits every group whole after a fetch of all
 * groups; a group that did not change then gives no event.
 */
export function groupsUpdated(ctx: TranslateContext, updates: Partial<GroupMetadata>[]): PendingEvent[] {
  const changes: GroupChange[] = [];
  for (const update of updates) {
    if (!update.id) continue;
    const stored = ctx.storage.groups.get(ctx.instanceId, update.id);
    const patch = withoutAuthor(update);
    if (!stored && !Array.isArray(patch.participants)) {
      // Not known here and not whole: pass on what it says, there is nothing to merge it into.
      const change: GroupChange = { id: update.id };
      if (patch.subject !== undefined) change.subject = patch.subject;
      if ('desc' in patch) change.description = patch.desc ?? null;
      if (patch.announce !== undefined) change.announce = patch.announce;
      if (patch.restrict !== undefined) change.restrict = patch.restrict;
      if (Object.keys(change).length > 1) changes.push(change);
      continue;
    }
    const merged = { ...(stored ?? {}), ...Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined || k === 'desc')) } as GroupMetadata;
    ctx.storage.groups.put(ctx.instanceId, merged);
    const before = stored ? toGroup(stored, ctx.lookup) : undefined;
    const after = toGroup(merged, ctx.lookup);
    const change: Record<string, unknown> = { id: update.id };
    for (const field of FIELDS) {
      if (!before || JSON.stringify(before[field]) !== JSON.stringify(after[field])) change[field] = after[field];
    }
    if (Object.keys(change).length > 1) changes.push(change as GroupChange);
  }
  return changes.length ? [{ event: 'groups.update', data: changes }] : [];
}

type ParticipantsUpdate = BaileysEventMap['group-participants.update'];
const sameMember = (a: GroupParticipant, b: GroupParticipant): boolean =>
  areJidsSameUser(a.id, b.id) || (!!a.phoneNumber && !!b.phoneNumber && areJidsSameUser(a.phoneNumber, b.phoneNumber));

/** group-participants.update: applied to the stored members (so the next send reaches the new ones), then reported. */
export function participantsUpdated(ctx: TranslateContext, update: ParticipantsUpdate): PendingEvent[] {
  const { action } = update;
  if (action !== 'add' && action !== 'remove' && action !== 'promote' && action !== 'demote') return [];
  const stored = ctx.storage.groups.get(ctx.instanceId, update.id);
  if (stored) {
    let members = stored.participants;
    if (action === 'add') members = [...members.filter(m => !update.participants.some(p => sameMember(m, p))), ...update.participants.map(p => ({ ...p, admin: null }))];
    else if (action === 'remove') members = members.filter(m => !update.participants.some(p => sameMember(m, p)));
    else members = members.map(m => (update.participants.some(p => sameMember(m, p)) ? { ...m, admin: action === 'promote' ? ('admin' as const) : null } : m));
    ctx.storage.groups.put(ctx.instanceId, { ...stored, participants: members, size: members.length });
  }
  return [
    {
      event: 'group-participants.update',
      data: {
        id: update.id,
        author: authorOf(update.author, update.authorPn, ctx.lookup),
        action,
        participants: update.participants.map(p => toParticipant(p, ctx.lookup).wuid)
      }
    }
  ];
}
