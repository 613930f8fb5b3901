export * from './common.js';
export * from './events-instance.js';
export * from './events-chat.js';
export * from './events-message.js';
export * from './events-queue.js';
export * from './events.js';
export * from './commands.js';
export * from './commands-webhook.js';
