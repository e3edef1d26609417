// The mdev-osgi host view: polls /mdev/api/state each second and draws it. Everything shown is
// set with textContent (never as HTML), so names from devices or definitions cannot run.
(function () {
  'use strict';
  const root = document.getElementById('mdev-host');
  const api = root.dataset.api || '/mdev/api';
  const STACK = /^(mdev|vfio|virtio|vendor|samples)\./;
  let state = null;
  let lastText = null;
  let tick = 0;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  function table(id, headers, rows) {
    return el('table', {id: id},
      el('thead', {}, el('tr', {}, ...headers.map(h => el('th', {}, h)))),
      el('tbody', {}, ...rows));
  }

  const status = el('div', {id: 'status', class: 'status'});
  function say(text, error) {
    status.textContent = text;
    status.className = 'status' + (error ? ' error' : '');
  }

  const token = el('input', {id: 'token', type: 'password', placeholder: 'token (web:token names its file)', size: 40,
    value: sessionStorage.getItem('mdev-token') || ''});
  token.addEventListener('change', () => sessionStorage.setItem('mdev-token', token.value.trim()));

  async function call(method, path, body) {
    const headers = {'Authorization': 'Bearer ' + token.value.trim()};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(api + path, {method: method, headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)});
    if (!response.ok) {
      let problem = {errno: 'HTTP ' + response.status, message: response.statusText};
      try { problem = await response.json(); } catch (e) { /* not JSON */ }
      throw new Error(problem.errno + ': ' + problem.message);
    }
    return response.status === 204 ? null : response.json();
  }

  async function act(what, method, path, body) {
    try {
      await call(method, path, body);
      say(what);
      await refresh();
    } catch (e) {
      say(e.message, true);
    }
  }

  const createParent = el('select', {id: 'create-parent'});
  const createType = el('select', {id: 'create-type'});
  const createUuid = el('input', {id: 'create-uuid', placeholder: 'UUID (empty: a new one)', size: 38});
  const createButton = el('button', {id: 'create-button', type: 'button'}, 'Create device');
  createParent.addEventListener('change', fillTypes);
  createButton.addEventListener('click', () => {
    const body = {parent: createParent.value, type: createType.value};
    if (createUuid.value.trim()) body.uuid = createUuid.value.trim();
    act('created a ' + body.type + ' on ' + body.parent, 'POST', '/devices', body);
  });

  function fillParents() {
    const names = state.parents.map(p => p.name);
    const current = createParent.value;
    if (names.join() !== Array.from(createParent.options).map(o => o.value).join()) {
      createParent.replaceChildren(...names.map(n => el('option', {value: n}, n)));
      if (names.includes(current)) createParent.value = current;
      fillTypes();
    }
  }

  function fillTypes() {
    const parent = state && state.parents.find(p => p.name === createParent.value);
    const types = parent ? parent.types.map(t => t.id) : [];
    const current = createType.value;
    createType.replaceChildren(...types.map(t => el('option', {value: t}, t)));
    if (types.includes(current)) createType.value = current;
  }

  // what is redrawn lives in these; the form and the token field are never replaced, so typing
  // into them is not cut short by a redraw
  const parentsSection = el('div', {id: 'parents-section'});
  const sections = el('div', {id: 'sections'});

  function draw() {
    fillParents();
    const parents = table('parents', ['parent', 'type', 'name', 'available', 'device API'],
      state.parents.flatMap(p => p.types.map((t, i) => el('tr', {'data-parent': p.name, 'data-type': t.id},
        el('td', {}, i === 0 ? p.name : ''), el('td', {}, el('code', {}, t.id)), el('td', {}, t.name),
        el('td', {class: 'num available'}, t.availableInstances), el('td', {}, t.deviceApi)))));

    const devices = table('devices',
      ['device', 'parent', 'type', 'class', 'bound', 'open', 'reads', 'writes', 'ioctls', 'interrupts', ''],
      state.devices.map(d => {
        const remove = el('button', {type: 'button', class: 'remove'}, 'Remove');
        remove.addEventListener('click', () => act('removed ' + d.uuid, 'DELETE', '/devices/' + d.uuid));
        const row = el('tr', {'data-uuid': d.uuid},
          el('td', {}, el('code', {}, d.uuid)), el('td', {}, d.parent), el('td', {}, d.type),
          el('td', {}, d.classDriver), el('td', {}, d.bound ? 'yes' : 'no'),
          el('td', {class: 'num open'}, d.openCount), el('td', {class: 'num'}, d.stats.reads),
          el('td', {class: 'num'}, d.stats.writes), el('td', {class: 'num'}, d.stats.ioctls),
          el('td', {class: 'num interrupts'}, d.stats.interrupts), el('td', {}, remove));
        return row;
      }));

    const displays = el('div', {id: 'displays', class: 'bar'},
      ...state.devices.filter(d => d.display).map(d => el('figure', {'data-uuid': d.uuid},
        el('img', {class: 'display', alt: 'display of ' + d.uuid,
          src: api + '/devices/' + d.uuid + '/display.png?t=' + tick}),
        el('figcaption', {class: 'muted'}, d.type + ' ' + d.uuid))));

    const definitions = table('definitions', ['defined device', 'parent', 'type', 'start', 'running', ''],
      state.definitions.map(d => {
        const start = el('button', {type: 'button', class: 'start'}, d.active ? 'Stop' : 'Start');
        start.addEventListener('click', () => d.active
          ? act('stopped ' + d.uuid, 'POST', '/devices/' + d.uuid + '/stop')
          : act('started ' + d.uuid, 'POST', '/definitions/' + d.uuid + '/start'));
        const undefine = el('button', {type: 'button', class: 'undefine'}, 'Undefine');
        undefine.addEventListener('click', () => act('undefined ' + d.uuid, 'DELETE', '/definitions/' + d.uuid));
        return el('tr', {'data-uuid': d.uuid}, el('td', {}, el('code', {}, d.uuid)), el('td', {}, d.parent),
          el('td', {}, d.type), el('td', {}, d.start), el('td', {}, d.active ? 'yes' : 'no'),
          el('td', {}, start, ' ', undefine));
      }));

    const sockets = table('sockets', ['vfio-user socket', 'device', 'client'],
      state.sockets.map(s => el('tr', {}, el('td', {}, el('code', {}, s.path)), el('td', {}, el('code', {}, s.uuid)),
        el('td', {}, s.client ? 'connected' : 'waiting'))));

    const bundles = table('bundles', ['id', 'bundle', 'version', 'state', ''],
      state.bundles.filter(b => STACK.test(b.name)).map(b => {
        const running = b.state === 'active';
        const button = el('button', {type: 'button', class: running ? 'stop' : 'start'}, running ? 'Stop' : 'Start');
        button.addEventListener('click', () => act((running ? 'stopped ' : 'started ') + b.name, 'POST',
          '/bundles/' + b.id + (running ? '/stop' : '/start')));
        return el('tr', {'data-name': b.name}, el('td', {class: 'num'}, b.id), el('td', {}, b.name),
          el('td', {class: 'muted'}, b.version), el('td', {class: 'state'}, b.state), el('td', {}, button));
      }));

    parentsSection.replaceChildren(parents);
    sections.replaceChildren(
      el('h2', {}, 'Devices (' + state.devices.length + ')'),
      state.devices.length ? devices : el('p', {class: 'muted', id: 'devices'}, 'no devices'),
      displays,
      el('h2', {}, 'Definitions (mdevctl)'), definitions,
      el('h2', {}, 'Served over vfio-user'), sockets,
      el('h2', {}, 'Bundles of the stack'), bundles);
  }

  async function refresh() {
    try {
      const response = await fetch(api + '/state', {cache: 'no-store'});
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const text = await response.text();
      tick++;
      if (text !== lastText) {   // redraw only on change, so a button is not replaced under the pointer
        lastText = text;
        state = JSON.parse(text);
        draw();
      } else {
        for (const img of root.querySelectorAll('img.display')) {
          img.src = img.src.replace(/\?t=\d+$/, '?t=' + tick);
        }
      }
      root.dataset.updated = String(tick);
    } catch (e) {
      say('cannot read ' + api + '/state: ' + e.message, true);
    }
  }

  root.replaceChildren(
    el('h1', {}, 'mdev-osgi host'),
    el('div', {class: 'bar'}, el('label', {for: 'token'}, 'Token '), token),
    status,
    el('h2', {}, 'Parents and types'), parentsSection,
    el('div', {class: 'bar'}, createParent, createType, createUuid, createButton),
    sections);
  refresh();
  setInterval(refresh, 1000);
})();
