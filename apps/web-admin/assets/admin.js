// Progressive enhancement for the Setup → Email screens. Every form works without this file;
// it swaps provider settings in place, streams "Test connection" and the device code, copies the
// redirect URI and keeps the footer counters and previews live. Loaded with CSP script-src 'self'.

function $(selector, root) {
  return (root || document).querySelector(selector);
}
function $all(selector, root) {
  return Array.prototype.slice.call((root || document).querySelectorAll(selector));
}

function setupAccountForm() {
  const form = $('form.account-form');
  if (!form) return;
  const provider = $('#provider', form);
  const protocol = $('#protocol', form);
  const security = $('#security', form);
  const port = $('#port', form);

  function showProvider() {
    for (const set of $all('fieldset.provider', form)) {
      const on = set.dataset.provider === provider.value;
      set.hidden = !on;
      set.disabled = !on;
    }
    applyConditions();
  }
  function filterProviders() {
    const proto = protocol.value;
    for (const option of $all('option', provider)) {
      const ok = (option.dataset.protocols || '').split(' ').indexOf(proto) >= 0;
      option.hidden = !ok;
      option.disabled = !ok;
    }
    if (provider.selectedOptions[0]?.disabled) {
      const first = $all('option', provider).find((o) => !o.disabled);
      if (first) provider.value = first.value;
    }
    showProvider();
  }
  function defaultPorts() {
    const option = protocol.selectedOptions[0];
    try {
      return JSON.parse(option?.dataset.defaultPorts || '{}');
    } catch {
      return {};
    }
  }
  let lastSecurity = security.value;
  let lastPorts = defaultPorts();
  // The port stays editable whatever the security; only a port still at the old default follows.
  function suggestPort() {
    const ports = defaultPorts();
    if (port.value === '' || String(lastPorts[lastSecurity]) === port.value) {
      if (ports[security.value] !== undefined) port.value = String(ports[security.value]);
    }
    lastSecurity = security.value;
    lastPorts = ports;
  }
  function applyConditions() {
    for (const field of $all('[data-when-key]', form)) {
      const control = form.elements.namedItem(field.dataset.whenKey);
      let value = '';
      if (control && control.type === 'checkbox') value = control.checked ? 'true' : 'false';
      else if (control) value = control.value;
      field.hidden = value !== field.dataset.whenEquals;
    }
  }
  // Fallback route: its server fields follow the chosen protocol's usual endpoint, and the
  // account's own protocol is not offered as its fallback.
  const fallback = $('#fallbackProtocol', form);
  const fallbackServer = $('#fallback-server', form);
  let lastFallback = fallback ? fallback.selectedOptions[0] : undefined;
  function filterFallback() {
    if (!fallback) return;
    for (const option of $all('option', fallback)) {
      const same = option.value !== '' && option.value === protocol.value;
      option.hidden = same;
      option.disabled = same;
    }
    if (fallback.selectedOptions[0]?.disabled) fallback.value = '';
    showFallback();
  }
  function showFallback() {
    if (!fallback) return;
    const option = fallback.selectedOptions[0];
    fallbackServer.hidden = !option || option.value === '';
    const fields = [
      ['#fallbackHost', 'host'],
      ['#fallbackPort', 'port'],
      ['#fallbackSecurity', 'security'],
      ['#fallbackCaFile', 'caFile'],
    ];
    for (const [selector, key] of fields) {
      const control = $(selector, form);
      const previous = lastFallback?.dataset[key] || '';
      // Only values still at the previous protocol's default follow the new one.
      if (option?.value && (control.value === '' || control.value === previous)) {
        control.value = option.dataset[key] || control.value;
      }
    }
    lastFallback = option;
  }
  if (fallback) fallback.addEventListener('change', showFallback);
  provider.addEventListener('change', showProvider);
  protocol.addEventListener('change', () => {
    suggestPort();
    filterProviders();
    filterFallback();
  });
  security.addEventListener('change', suggestPort);
  form.addEventListener('change', applyConditions);
  filterProviders();
  filterFallback();
}

function setupCopyButtons() {
  for (const button of $all('button[data-copy]')) {
    button.addEventListener('click', () => {
      const input = document.getElementById(button.dataset.copy);
      if (!input) return;
      input.select();
      const done = () => {
        button.textContent = 'Copied';
      };
      if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, done);
      else done();
    });
  }
}

function stepItem(step) {
  const li = document.createElement('li');
  li.className = `step ${step.status}`;
  li.dataset.step = step.id;
  const mark = step.status === 'ok' ? '✓' : step.status === 'failed' ? '✗' : '–';
  const head = document.createElement('span');
  head.className = 'step-head';
  head.textContent = `${mark} ${step.label}${step.status === 'skipped' ? ' (skipped)' : ` — ${step.durationMs} ms`}`;
  li.appendChild(head);
  // A failed step's detail repeats its error message, shown below with the hint.
  if (step.detail && !step.error) {
    const detail = document.createElement('span');
    detail.className = 'step-detail';
    detail.textContent = step.detail;
    li.appendChild(detail);
  }
  if (step.error) {
    const error = document.createElement('div');
    error.className = 'error-detail';
    const message = document.createElement('p');
    message.textContent = step.error.message;
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = `What to do: ${step.error.hint}`;
    const code = document.createElement('p');
    code.className = 'code';
    code.textContent = `Code: ${step.error.code}`;
    error.append(message, hint, code);
    li.appendChild(error);
  }
  return li;
}

function routeBlock(route) {
  const block = document.createElement('div');
  block.className = `route ${route.ok ? 'ok' : route.closed ? 'closed' : 'failed'}`;
  block.dataset.route = route.protocol;
  const title = document.createElement('h3');
  const state = route.ok ? 'works' : route.closed ? 'switched off for this mailbox' : 'failed';
  title.textContent = `${route.label} — ${state}`;
  const steps = document.createElement('ol');
  steps.className = 'checklist';
  for (const step of route.steps) steps.appendChild(stepItem(step));
  block.append(title, steps);
  return block;
}

function setupTestConnection() {
  const form = $('#test-form');
  if (!form || !window.EventSource) return;
  const list = $('#checklist');
  const result = $('#test-result');
  const routes = $('#routes');
  const summary = $('#test-summary');
  const button = $('button', form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    list.textContent = '';
    routes.textContent = '';
    summary.textContent = '';
    result.textContent = 'Testing…';
    result.className = 'test-result running';
    button.disabled = true;
    const source = new EventSource(form.dataset.events);
    const finish = (text, css) => {
      source.close();
      result.textContent = text;
      result.className = `test-result ${css}`;
      button.disabled = false;
    };
    source.addEventListener('step', (e) => list.appendChild(stepItem(JSON.parse(e.data))));
    source.addEventListener('done', (e) => {
      const report = JSON.parse(e.data);
      // An account with a fallback: every route's checklist, then which one delivers.
      if (report.routes) {
        list.textContent = '';
        for (const r of report.routes) routes.appendChild(routeBlock(r));
      }
      summary.textContent = report.summary || '';
      finish(
        report.ok ? 'Test connection passed.' : 'Test connection failed — see the failed step.',
        report.ok ? 'ok' : 'failed',
      );
    });
    source.addEventListener('failed', (e) => {
      const error = JSON.parse(e.data);
      finish(
        `Test connection could not run: ${error.message} What to do: ${error.hint} (${error.code})`,
        'failed',
      );
    });
    source.onerror = () => finish('The connection to the admin app was lost.', 'failed');
  });
}

function setupDeviceCode() {
  const panel = $('#device-code[data-events]');
  if (!panel || !window.EventSource) return;
  const source = new EventSource(panel.dataset.events);
  source.addEventListener('update', (e) => {
    const update = JSON.parse(e.data);
    // Redraw (server-rendered) only when the run moved on from what the page shows.
    if (update.status !== panel.dataset.status) {
      source.close();
      window.location.reload();
    }
  });
  source.addEventListener('gone', () => source.close());
}

function setupFooter() {
  for (const area of $all('textarea[data-counter]')) {
    const counter = document.getElementById(area.dataset.counter);
    const preview = document.getElementById(area.dataset.preview);
    const limit = Number(counter.dataset.limit);
    const update = () => {
      const length = area.value.length;
      counter.textContent =
        length > limit
          ? `${length} / ${limit} characters — ${length - limit} too many`
          : `${length} / ${limit} characters`;
      counter.classList.toggle('over', length > limit);
      if (preview && preview.tagName === 'IFRAME') preview.srcdoc = area.value;
      else if (preview) preview.textContent = area.value;
    };
    area.addEventListener('input', update);
  }
}

function setupImport() {
  const input = $('input[type=file][data-fill]');
  if (!input) return;
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (!file) return;
    file.text().then((text) => {
      document.getElementById(input.dataset.fill).value = text;
    });
  });
}

document.addEventListener('DOMContentLoaded', () => {
  setupAccountForm();
  setupCopyButtons();
  setupTestConnection();
  setupDeviceCode();
  setupFooter();
  setupImport();
  const issues = $('#issues');
  if (issues) issues.focus();
});
