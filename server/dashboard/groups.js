// The Groups tab: the instance's groups with their members and roles, a form to
// create one, and a send to the group picked. Like the rest of the page it uses
// only the public REST API; the group events make it look again.

const GROUP_EVENTS = new Set(['groups.upsert', 'groups.update', 'group-participants.update']);
const ROLE = { superadmin: 'owner', admin: 'admin' };
const lines = text => text.split(/[\s,]+/).map(s => s.trim()).filter(Boolean);
const phoneOf = wuid => wuid.replace(/@.*$/, '');

/** Wires the tab; `page` brings the page's helpers (`$`, `el`, `api`, `state`). */
export function groupsTab({ $, el, api, state }) {
  let picked = null;
  let groups = [];

  const panelOpen = () => !$('[data-panel="groups"]').hidden;

  function render() {
    $('#groups').replaceChildren(
      ...groups.map(g => {
        const members = el(
          'ul',
          { className: 'members' },
          ...g.participants.map(p => {
            const li = el('li', { textContent: phoneOf(p.wuid) }, p.admin ? el('span', { className: `badge ${p.admin}`, textContent: ROLE[p.admin] }) : '');
            li.dataset.member = p.wuid;
            li.dataset.role = p.admin ?? 'member';
            return li;
          })
        );
        const pick = el('button', {
          textContent: 'Send here',
          onclick: () => {
            picked = g.id;
            render();
          }
        });
        const li = el('li', {}, el('strong', { textContent: g.subject }), el('span', { textContent: ` · ${g.size} members${g.announce ? ' · only admins send' : ''}` }), pick, members);
        li.dataset.group = g.id;
        if (g.id === picked) li.setAttribute('aria-current', 'true');
        return li;
      })
    );
    const group = groups.find(g => g.id === picked);
    $('#group-send-form').hidden = !group;
    $('#group-send-title').textContent = group ? `Send to ${group.subject}` : '';
  }

  async function load() {
    if (!state.selected) return;
    groups = await api('GET', `/group/fetchAllGroups/${state.selected}`);
    groups.sort((a, b) => a.subject.localeCompare(b.subject));
    render();
  }

  $('#group-form').addEventListener('submit', async e => {
    e.preventDefault();
    const created = await api('POST', `/group/create/${state.selected}`, { subject: $('#group-subject').value.trim(), participants: lines($('#group-members').value) }).catch(() => null);
    if (!created) return;
    $('#group-subject').value = '';
    $('#group-members').value = '';
    picked = created.id;
    await load().catch(() => undefined);
  });
  $('#group-send-form').addEventListener('submit', async e => {
    e.preventDefault();
    const sent = await api('POST', `/message/sendText/${state.selected}`, { number: picked, text: $('#group-text').value }).catch(() => null);
    if (sent) $('#group-text').value = '';
  });

  return {
    /** The tab was opened or the instance changed. */
    load: () => load().catch(() => undefined),
    /** An event of the selected instance: a group event refreshes the open tab. */
    onEvent(name) {
      if (GROUP_EVENTS.has(name) && panelOpen()) void load().catch(() => undefined);
    }
  };
}
