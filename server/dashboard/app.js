// The reference client of the hub: it uses only the public REST API and Socket.IO,
// with the key the person types (kept in sessionStorage, never in the page).
import { io } from '/socket.io/socket.io.esm.min.js';
import { groupsTab } from '/groups.js';

const $ = sel => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
};

const state = {
  key: sessionStorage.getItem('wahub-key') ?? '',
  instances: new Map(),
  selected: null,
  lastSeq: new Map(),
  events: [],
  qrAt: new Map(),
  queues: new Map(),
  chat: null,
  socket: null
};
window.wahub = state; // for the browser tests and for curious operators in the console

function setStatus(text, error = false) {
  $('#status').textContent = text;
  $('#status').classList.toggle('error', error);
}

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { apikey: state.key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined
    });
  } catch {
    setStatus('The hub is unreachable; retrying…', true);
    throw new Error('unreachable');
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    setStatus(res.status === 401 ? 'Invalid API key' : `${json.error ?? 'Error'}: ${json.message ?? res.status}`, true);
    throw Object.assign(new Error(json.message), { status: res.status });
  }
  return json;
}

// --- instances ---

function badge(s) {
  return el('span', { className: `badge ${s}`, textContent: s });
}

function renderInstances() {
  const list = $('#instances');
  list.replaceChildren();
  for (const inst of state.instances.values()) {
    const open = el('button', { textContent: inst.name, onclick: () => select(inst.name) });
    const who = [inst.pushName, inst.owner].filter(Boolean).join(' · ');
    const li = el('li', {}, open, badge(inst.state), el('span', { textContent: who ? ` ${who}` : '' }));
    li.dataset.instance = inst.name;
    if (inst.name === state.selected) li.setAttribute('aria-current', 'true');
    list.append(li);
  }
}

async function loadInstances() {
  const list = await api('GET', '/instance/fetchInstances');
  state.instances = new Map(list.map(i => [i.name, i]));
  renderInstances();
  for (const i of list) subscribe(i.name);
}

function subscribe(name) {
  if (!state.socket?.connected) return;
  const after = state.lastSeq.get(name);
  state.socket.emit('subscribe', after === undefined ? { instance: name } : { instance: name, after }, ack => {
    if (!ack?.ok) setStatus(`Cannot follow ${name}: ${ack?.error?.message}`, true);
    else if (after === undefined) state.lastSeq.set(name, ack.data.lastSeq);
  });
}

async function select(name) {
  state.selected = name;
  state.chat = null;
  $('#detail').hidden = false;
  $('#detail-title').textContent = name;
  renderInstances();
  renderEvents();
  renderPairing();
  await Promise.all([loadChats(), loadContacts(), loadQueues()]).catch(() => undefined);
  if (!$('[data-panel="groups"]').hidden) await groups.load();
}

async function act(action) {
  const name = state.selected;
  const calls = {
    connect: () => api('GET', `/instance/connect/${name}`),
    restart: () => api('PUT', `/instance/restart/${name}`),
    logout: () => api('DELETE', `/instance/logout/${name}`),
    delete: () => api('DELETE', `/instance/delete/${name}`)
  };
  const result = await calls[action]();
  if (action === 'delete') {
    state.instances.delete(name);
    state.selected = null;
    $('#detail').hidden = true;
  } else if (result.instance ?? result.state) {
    const info = result.instance ?? result;
    state.instances.set(name, { ...state.instances.get(name), ...info });
    if (result.qrcode) showQr(name, result.qrcode.base64);
  }
  renderInstances();
}

// --- pairing ---

function showQr(name, base64) {
  state.instances.get(name).qr = base64;
  state.qrAt.set(name, { at: Date.now(), first: !state.qrAt.has(name) });
  renderPairing();
}

function renderPairing() {
  const inst = state.instances.get(state.selected);
  const waiting = inst && inst.qr && inst.state !== 'open';
  $('#pairing').hidden = !waiting;
  if (waiting) $('#qr').src = inst.qr;
  renderCountdown();
}

function renderCountdown() {
  const shown = state.qrAt.get(state.selected);
  if (!shown || $('#pairing').hidden) return;
  // WhatsApp shows the first code for 60 s, the next ones for 20 s.
  const left = Math.max(0, Math.round(((shown.first ? 60_000 : 20_000) - (Date.now() - shown.at)) / 1000));
  $('#qr-countdown').textContent = `Next code in ${left} s`;
}
setInterval(renderCountdown, 1000);

// --- events ---

function onEvent(name, envelope) {
  if (name === 'error') return; // the hub's reason for closing the socket, not an event
  const inst = envelope.instance.name;
  const last = state.lastSeq.get(inst) ?? 0;
  if (envelope.seq <= last) return; // already shown: a replay after a reconnect overlaps nothing
  state.lastSeq.set(inst, envelope.seq);
  state.events.push(envelope);
  if (!$('#event-filter').querySelector(`option[value="${CSS.escape(name)}"]`)) {
    $('#event-filter').append(el('option', { value: name, textContent: name }));
  }
  const entry = state.instances.get(inst);
  if (entry) {
    if (name === 'connection.update') {
      entry.state = envelope.data.state;
      entry.owner = envelope.instance.owner;
      if (entry.state === 'open') entry.qr = null;
      renderInstances();
      if (inst === state.selected) renderPairing();
    }
    if (name === 'qrcode.updated') {
      entry.state = 'qr';
      renderInstances();
      showQr(inst, envelope.data.qrcode.base64);
    }
  }
  if (inst !== state.selected) return;
  if (!$('#events-pause').checked) appendEvent(envelope);
  if (name === 'new.message') onMessages([envelope.data]);
  if (name === 'messages.set') onHistory(envelope.data);
  if (name === 'messages.update' && envelope.data.update.edit) onEdit(envelope.data.update);
  if (name === 'messages.delete') onDelete(envelope.data);
  groups.onEvent(name);
  if (name === 'chats.update' || name === 'chats.delete') loadChats().catch(() => undefined);
  if (name.startsWith('send.message') || name.endsWith('.queue')) onQueueEvent(name, envelope.data);
}

function appendEvent(envelope) {
  const filter = $('#event-filter').value;
  if (filter && envelope.event !== filter) return;
  const li = el(
    'li',
    {},
    el('details', {}, el('summary', { textContent: `#${envelope.seq} ${envelope.event}` }), el('pre', { textContent: JSON.stringify(envelope, null, 2) }))
  );
  li.dataset.seq = envelope.seq;
  li.dataset.event = envelope.event;
  const media = envelope.data?.body?.media ? envelope.data : null;
  if (media) li.append(mediaNode(envelope.instance.name, media.header.messageId, media.body));
  $('#events').prepend(li);
}

function renderEvents() {
  $('#events').replaceChildren();
  for (const e of state.events.filter(e => e.instance.name === state.selected)) appendEvent(e);
}

// --- media ---

// An <img>, <video> or <audio> cannot send the key: each gets a short-lived signed URL from the hub.
const MEDIA_TAGS = { imageMessage: 'img', stickerMessage: 'img', videoMessage: 'video', audioMessage: 'audio' };

function mediaNode(instance, messageId, body) {
  const holder = el('div', { className: 'media' });
  holder.dataset.type = body.messageType;
  api('POST', `/media/signUrl/${instance}`, { messageId })
    .then(({ url }) => {
      const tag = MEDIA_TAGS[body.messageType];
      const node = tag
        ? el(tag, { src: url, ...(tag === 'img' ? { alt: body.message?.caption ?? body.messageType } : { controls: true, preload: 'metadata' }) })
        : el('a', { href: url, download: body.message?.fileName ?? 'file', textContent: `${body.message?.fileName ?? 'file'} (${body.media.fileLength} bytes)` });
      holder.append(node);
    })
    .catch(() => holder.append(el('span', { textContent: '(media unavailable)' })));
  return holder;
}

/** What a file from the picker is sent as. */
const mediatypeOf = file =>
  file.type.startsWith('image/') ? 'image' : file.type.startsWith('video/') ? 'video' : file.type.startsWith('audio/') ? 'audio' : 'document';

// --- chats, contacts, messages ---

async function loadChats() {
  const chats = await api('POST', `/chat/findChats/${state.selected}`);
  $('#chats').replaceChildren(
    ...chats.map(c => {
      const label = `${c.name ? `${c.name} (${c.id})` : c.id}${c.unreadCount > 0 ? ` · ${c.unreadCount} unread` : ''}`;
      return el('li', {}, el('button', { textContent: label, onclick: () => openChat(c.id) }));
    })
  );
}

async function loadContacts() {
  const contacts = await api('POST', `/chat/findContacts/${state.selected}`);
  $('#contacts').replaceChildren(...contacts.map(c => el('li', { textContent: `${c.pushName ?? c.contactName ?? ''} ${c.wuid}` })));
}

const textOf = body => (typeof body.message === 'string' ? body.message : body.message?.text ?? body.message?.caption ?? body.messageType);

const bubble = m => {
  const who = m.header.fromMe ? 'me' : m.header.pushName ?? m.header.wuid;
  const li = el('li', { textContent: `${who}: ${textOf(m.body)}` });
  li.dataset.id = m.header.messageId;
  li.dataset.who = who;
  if (m.body.media) li.append(mediaNode(state.selected, m.header.messageId, m.body));
  return li;
};

const bubbleOf = id => [...$('#messages').children].find(li => li.dataset.id === id);

async function openChat(jid) {
  state.chat = jid;
  $('#chat-title').textContent = jid;
  $('#send-form').hidden = false;
  const page = await api('POST', `/chat/findMessages/${state.selected}`, { chat: jid, limit: 50 });
  $('#messages').replaceChildren(...page.messages.reverse().map(bubble));
}

// new.message is every message that is not history: received, and sent by the hub or the phone.
function onMessages(items) {
  for (const m of items) if (state.chat && m.header.wuid === state.chat && !bubbleOf(m.header.messageId)) $('#messages').append(bubble(m));
  loadChats().catch(() => undefined);
}

// messages.set is history: older messages, so the open chat is read again in order rather than appended to.
function onHistory(items) {
  if (state.chat && items.some(m => m.header.wuid === state.chat)) openChat(state.chat).catch(() => undefined);
  loadChats().catch(() => undefined);
}

function onEdit(update) {
  const li = bubbleOf(update.header.messageId);
  if (li) li.textContent = `${li.dataset.who}: ${textOf(update.edit)} (edited)`;
}

function onDelete(data) {
  if (Array.isArray(data)) for (const d of data) bubbleOf(d.messageId)?.remove();
  else if (data.wuid === state.chat) $('#messages').replaceChildren();
}

// --- bulk sends ---

async function loadQueues() {
  const list = await api('GET', `/queue/list/${state.selected}`);
  state.queues = new Map(list.map(q => [q.queueId, { ...q, errors: [] }]));
  renderQueues();
}

function onQueueEvent(name, data) {
  const id = data.queue?.queueId ?? data.queueId;
  const q = state.queues.get(id) ?? { queueId: id, state: 'queued', progress: 0, errors: [] };
  if (data.queue) q.progress = data.queue.progress;
  if (name === 'send.message:ERROR') q.errors.push(`${data.number}: ${data.message}`);
  if (name === 'paused.queue') q.state = data.reason === 'paused by a user' ? 'paused' : 'waiting';
  if (name === 'resumed.queue') q.state = 'running';
  if (name === 'send.message:PROCESSING' && q.state !== 'paused') q.state = 'running';
  if (name === 'send.message:COMPLETED') q.state = 'completed';
  if (name === 'deleted.queue' && data.reason !== 'completed') q.state = 'deleted';
  state.queues.set(id, q);
  renderQueues();
}

function renderQueues() {
  $('#queues').replaceChildren(
    ...[...state.queues.values()].reverse().map(q => {
      const control = (label, path, method) =>
        el('button', {
          textContent: label,
          onclick: async () => {
            const info = await api(method, `/queue/${path}/${state.selected}`, { queueId: q.queueId });
            q.state = info.state;
            renderQueues();
          }
        });
      const li = el(
        'li',
        {},
        el('label', { textContent: `Queue ${q.queueId.slice(0, 8)} · ${q.state} · ${q.progress}%` }),
        el('progress', { max: 100, value: q.progress }),
        control('Pause', 'pause', 'PUT'),
        control('Resume', 'resume', 'PUT'),
        control('Delete', 'delete', 'DELETE'),
        el('ul', { className: 'errors' }, ...q.errors.map(e => el('li', { textContent: e })))
      );
      li.dataset.queue = q.queueId;
      li.dataset.state = q.state;
      li.dataset.progress = q.progress;
      return li;
    })
  );
}

// --- webhooks ---

async function loadWebhooks() {
  if (!state.selected) return;
  const [hooks, letters] = await Promise.all([api('GET', `/webhook/find/${state.selected}`), api('GET', `/webhook/deliveries/${state.selected}?failed=true`)]);
  renderWebhooks(hooks, letters);
}

function renderWebhooks(hooks, letters) {
  $('#webhooks').replaceChildren(
    ...hooks.map(w => {
      const dead = letters.filter(d => d.webhookId === w.id);
      const action = (label, run) => el('button', { textContent: label, onclick: () => run().then(loadWebhooks).catch(() => undefined) });
      const li = el(
        'li',
        {},
        el('label', { textContent: `${w.url}${w.events ? ` (${w.events.join(', ')})` : ''}${w.global ? ' · WEBHOOK_URL' : ''}` }),
        badge(w.status),
        el('span', { textContent: ` delivered up to seq ${w.lastDeliveredSeq} · ${w.pending} pending${w.lastError ? ` · last error: ${w.lastError}` : ''}` }),
        dead.length ? action('Redeliver', () => api('POST', `/webhook/redeliver/${state.selected}`, { id: w.id, fromSeq: dead[0].seq })) : '',
        w.global ? '' : action('Delete', () => api('DELETE', `/webhook/delete/${state.selected}`, { id: w.id })),
        el('ul', { className: 'errors' }, ...dead.map(d => el('li', { textContent: `seq ${d.seq} ${d.event}: ${d.lastError} after ${d.attempts} attempts` })))
      );
      li.dataset.webhook = w.id;
      li.dataset.status = w.status;
      return li;
    })
  );
}

// --- wiring ---

function connectSocket() {
  state.socket?.close();
  const socket = io({ auth: { token: state.key }, transports: ['websocket'] });
  state.socket = socket;
  socket.on('connect', () => {
    setStatus('Connected');
    // After a network loss: resubscribe from the last seq seen, so nothing is missed or shown twice.
    for (const name of state.instances.keys()) subscribe(name);
  });
  // A tab that froze is closed by the hub as too slow (503, reason sent first); it comes back and resubscribes from its last seq.
  let tooSlow = false;
  socket.on('error', body => (tooSlow = body?.status === 503));
  socket.on('disconnect', reason => {
    setStatus('Connection lost; reconnecting…', true);
    if (reason === 'io server disconnect' && tooSlow) socket.connect();
  });
  socket.on('connect_error', err => setStatus(err.data?.status === 401 ? 'Invalid API key' : 'The hub is unreachable; retrying…', true));
  socket.onAny(onEvent);
}

async function open(key) {
  state.key = key;
  try {
    await api('GET', '/instance/fetchInstances');
  } catch {
    return;
  }
  sessionStorage.setItem('wahub-key', key);
  $('#login').hidden = true;
  $('#app').hidden = false;
  setStatus('Connected');
  connectSocket();
  await loadInstances();
}

$('#login-form').addEventListener('submit', e => {
  e.preventDefault();
  void open($('#key').value.trim());
});
$('#create-form').addEventListener('submit', async e => {
  e.preventDefault();
  const name = $('#new-name').value.trim();
  const created = await api('POST', '/instance/create', { instanceName: name }).catch(() => null);
  if (!created) return;
  state.instances.set(name, { ...created.instance });
  $('#new-name').value = '';
  renderInstances();
  subscribe(name);
  await select(name);
});
for (const b of document.querySelectorAll('[data-action]')) b.addEventListener('click', () => act(b.dataset.action).catch(() => undefined));
for (const tab of document.querySelectorAll('[role="tab"]')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('[role="tab"]')) t.setAttribute('aria-selected', String(t === tab));
    for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== tab.dataset.tab;
    if (tab.dataset.tab === 'webhooks') void loadWebhooks().catch(() => undefined);
    if (tab.dataset.tab === 'groups') void groups.load();
  });
}
// Delivery state changes without an event of its own: the open tab looks again every few seconds.
setInterval(() => {
  if (!$('[data-panel="webhooks"]').hidden) void loadWebhooks().catch(() => undefined);
}, 2000);
$('#webhook-form').addEventListener('submit', async e => {
  e.preventDefault();
  const events = $('#webhook-events').value.split(',').map(n => n.trim()).filter(Boolean);
  const res = await api('POST', `/webhook/set/${state.selected}`, { url: $('#webhook-url').value.trim(), ...(events.length ? { events } : {}) }).catch(() => null);
  if (res) $('#webhook-secret').textContent = `Signing secret (shown once): ${res.secret}`;
  await loadWebhooks().catch(() => undefined);
});
$('#event-filter').addEventListener('change', renderEvents);
$('#code-form').addEventListener('submit', async e => {
  e.preventDefault();
  const res = await api('POST', `/instance/pairingCode/${state.selected}`, { number: $('#code-number').value.trim() }).catch(() => null);
  if (res) $('#pairing-code').textContent = `Type this code on the phone: ${res.pairingCode}`;
});
$('#send-form').addEventListener('submit', async e => {
  e.preventDefault();
  const text = $('#send-text').value;
  const file = $('#send-file').files[0];
  if (file) {
    // multipart: the hub streams the file into its store; the text goes as its caption where the kind has one.
    const form = new FormData();
    const mediatype = mediatypeOf(file);
    form.set('number', state.chat);
    form.set('mediatype', mediatype);
    if (text && mediatype !== 'audio') form.set('caption', text);
    if (mediatype === 'document') form.set('fileName', file.name);
    form.set('file', file, file.name);
    const res = await fetch(`/message/sendMedia/${state.selected}`, { method: 'POST', headers: { apikey: state.key }, body: form }).catch(() => null);
    const json = res ? await res.json().catch(() => ({})) : {};
    if (!res?.ok) setStatus(`${json.error ?? 'Error'}: ${json.message ?? 'the file was not sent'}`, true);
    $('#send-file').value = '';
  } else if (text) {
    await api('POST', `/message/sendText/${state.selected}`, { number: state.chat, text }).catch(() => null);
  }
  $('#send-text').value = '';
});
$('#queue-form').addEventListener('submit', async e => {
  e.preventDefault();
  const numbers = $('#queue-numbers').value.split(/\s+/).filter(Boolean);
  const res = await api('POST', `/message/sendBulk/${state.selected}`, {
    numbers,
    message: { text: $('#queue-text').value },
    options: { minDelayMs: Number($('#queue-min').value), maxDelayMs: Number($('#queue-max').value) }
  }).catch(() => null);
  if (res && !state.queues.has(res.queueId)) state.queues.set(res.queueId, { queueId: res.queueId, state: 'queued', progress: 0, errors: [] });
  renderQueues();
});

const groups = groupsTab({ $, el, api, state });

if (state.key) void open(state.key);
