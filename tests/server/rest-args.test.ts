import { restArgs } from '../../server/transports/rest-args.js';

const params = { instance: 'ops' };

test('a query numeral becomes a number only where the schema takes a number', () => {
  expect(restArgs('instance.events', 'query', { query: { after: '12', limit: '5' }, params }, true)).toEqual({ after: 12, limit: 5, instance: 'ops' });
  expect(restArgs('queue.get', 'query', { query: { queueId: '123' }, params }, true)).toEqual({ queueId: '123', instance: 'ops' });
});

test('a query true or false becomes a boolean only where the schema takes a boolean', () => {
  expect(restArgs('webhook.deliveries', 'query', { query: { id: 'true', failed: 'true' }, params }, true)).toEqual({ id: 'true', failed: true, instance: 'ops' });
  expect(restArgs('webhook.deliveries', 'query', { query: { failed: 'false' }, params }, true)).toEqual({ failed: false, instance: 'ops' });
  expect(restArgs('webhook.deliveries', 'query', { query: { failed: 'yes' }, params }, true)).toEqual({ failed: 'yes', instance: 'ops' });
});

test.each([['abc'], ['1e3'], [' 5'], ['']])('the query text %j is left as text for the schema to refuse', text => {
  expect(restArgs('instance.events', 'query', { query: { after: text }, params }, true)).toEqual({ after: text, instance: 'ops' });
});

test('a repeated query key stays a list; an unknown one is kept for the schema to refuse', () => {
  expect(restArgs('instance.events', 'query', { query: { limit: ['1', '2'], extra: '3' }, params }, true)).toEqual({ limit: ['1', '2'], extra: '3', instance: 'ops' });
});

test('a body keeps its types as sent', () => {
  const body = { number: '5531900000001', text: 4242001 };
  expect(restArgs('message.sendText', 'body', { body, params }, true)).toEqual({ ...body, instance: 'ops' });
});

test('a body that is not an object goes on as it is, so the command layer refuses it as it would on a socket', () => {
  expect(restArgs('message.sendText', 'body', { body: [1, 2], params }, true)).toEqual([1, 2]);
  expect(restArgs('message.sendText', 'body', { body: 'text', params }, true)).toBe('text');
  expect(restArgs('message.sendText', 'body', { body: undefined, params }, true)).toEqual({ instance: 'ops' });
});

test('the instance comes from the path only', () => {
  expect(() => restArgs('message.sendText', 'body', { body: { instance: 'ops', text: 'x' }, params }, true)).toThrow('instance is named by the path, not the body');
  expect(restArgs('instance.create', 'body', { body: { instanceName: 'new' } }, false)).toEqual({ instanceName: 'new' });
  expect(restArgs('instance.list', 'none', { body: { ignored: true } }, false)).toEqual({});
});
