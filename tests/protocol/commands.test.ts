import { Compile } from 'typebox/compile';
import { CommandSchemas } from '../../protocol/index.js';

const create = Compile(CommandSchemas['instance.create'].args);
const sendText = Compile(CommandSchemas['message.sendText'].args);

test.each(['sales', 'Sales_2', 'a-b', 'x'.repeat(64)])('instance name %s is accepted', name => {
  expect(create.Check({ instanceName: name })).toBe(true);
});

test.each(['', 'has space', 'slash/name', 'x'.repeat(65), '../etc'])('instance name %j is refused', name => {
  expect(create.Check({ instanceName: name })).toBe(false);
});

test('sendText takes a number or a JID and a non-empty text, and nothing else', () => {
  expect(sendText.Check({ instance: 'sales', number: '5531900000001', text: 'hi' })).toBe(true);
  expect(sendText.Check({ instance: 'sales', number: '+55 31 90000-0001', text: 'hi' })).toBe(true);
  expect(sendText.Check({ instance: 'sales', number: '123456789@lid', text: 'hi' })).toBe(true);
  expect(sendText.Check({ instance: 'sales', number: '5531900000001', text: '' })).toBe(false);
  expect(sendText.Check({ instance: 'sales', number: 'abc', text: 'hi' })).toBe(false);
  expect(sendText.Check({ instance: 'sales', number: '5531900000001', text: 'hi', extra: 1 })).toBe(false);
});
