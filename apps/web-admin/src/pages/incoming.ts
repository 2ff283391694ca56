import type { ProtocolListing } from '@mailplug/core';
import type { AdminUser } from '../admin-config.js';
import { type Html, html } from '../html.js';
import { type AccountRow, renderAccountTable } from './accounts.js';
import { layout, type PageContext } from './layout.js';

export function renderIncoming(
  ctx: PageContext,
  rows: readonly AccountRow[],
  users: readonly AdminUser[],
  protocols: readonly ProtocolListing[],
): Html {
  const receive = protocols.filter((p) => p.direction === 'receive');
  const body = html`<div class="flash info deprecated" role="note"><p class="flash-title">Receiving email is deprecated</p>
<ul>${receive.map((p) => html`<li><strong>${p.label}:</strong> ${p.deprecated?.message ?? 'Receive protocol.'}</li>`)}</ul>
<p><strong>Recommendation:</strong> send all organization email from a no-reply address (for example noreply@yourdomain.example) to discourage replies, and keep existing incoming accounts only while something still reads them.</p></div>
<p><a class="button secondary" href="/incoming/new">Add incoming mail server</a></p>
${renderAccountTable(rows, users, 'Incoming mail accounts (POP3 / IMAP, deprecated)')}`;
  return layout({ ...ctx, section: '/incoming' }, 'Incoming mail (deprecated)', body);
}
