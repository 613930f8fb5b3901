import { isLidUser, type Contact } from '@whiskeysockets/baileys';
import type { PendingEvent } from '../../protocol/index.js';
import { phoneOf, resolveJid } from './jids.js';
import type { TranslateContext } from './translate-context.js';

type ContactData = Extract<PendingEvent, { event: 'contacts.update' }>['data'][number];

/**
 * The picture URL to store. Baileys reports a picture notification as the words
 * `changed` (the URL was fetched before translating) or `removed` (no picture now).
 */
export function pictureAfter(ctx: Pick<TranslateContext, 'pictures'>, id: string, imgUrl: string | null | undefined): string | null | undefined {
  if (imgUrl === 'removed') return null;
  if (imgUrl === 'changed') return ctx.pictures.get(id);
  return typeof imgUrl === 'string' ? imgUrl : undefined;
}

/** Merges what Baileys says of a contact into the store and answers the contact as it now is. */
export function storeContact(ctx: TranslateContext, contact: Partial<Contact> & { id: string }): ContactData {
  const resolved = resolveJid(contact.id, ctx.lookup, contact.phoneNumber);
  const lid = contact.lid ?? resolved.lid ?? (isLidUser(contact.id) ? contact.id : undefined);
  const row = ctx.storage.contacts.upsert(ctx.instanceId, {
    jid: resolved.wuid,
    lid,
    phoneNumber: phoneOf(resolved.wuid),
    name: contact.name ?? undefined,
    notify: contact.notify ?? undefined,
    profilePictureUrl: pictureAfter(ctx, contact.id, contact.imgUrl)
  });
  return {
    wuid: row.jid,
    phoneNumber: row.phone_number,
    lid: row.lid,
    contactName: row.name,
    pushName: row.notify,
    profilePictureUrl: row.profile_picture_url,
    instanceName: ctx.instanceName
  };
}

export function contactsChanged(ctx: TranslateContext, event: 'contacts.upsert' | 'contacts.update', contacts: Partial<Contact>[]): PendingEvent[] {
  const known = contacts.filter((c): c is Partial<Contact> & { id: string } => !!c.id);
  return known.length ? [{ event, data: known.map(c => storeContact(ctx, c)) }] : [];
}

/** The contacts whose picture changed: their new URL must be fetched before translating. */
export function changedPictures(contacts: Partial<Contact>[]): string[] {
  return contacts.filter(c => !!c.id && c.imgUrl === 'changed').map(c => c.id!);
}
