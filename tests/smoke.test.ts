import { proto } from '@whiskeysockets/baileys';
import Database from 'better-sqlite3';
test('deps load', () => {
  expect(typeof proto.Message.encode).toBe('function');
  const db = new Database(':memory:');
  expect(db.prepare('select 1 as x').get()).toEqual({ x: 1 });
});
