import type { AdminUser } from '../admin-config.js';
import { type Html, html } from '../html.js';
import { csrfField, layout, type PageContext } from './layout.js';

export function renderUsers(ctx: PageContext, users: readonly AdminUser[], issue?: string): Html {
  const body = html`<p>Who may send email from the organization's shared accounts. <strong>Send email on behalf of organization</strong> is <em>Allow</em> for new users; a user set to <em>Deny</em> is refused with a message when sending from an organization account.</p>
<table class="users"><caption>Users and the "send on behalf of organization" permission</caption>
<thead><tr><th scope="col">User</th><th scope="col">Login</th><th scope="col">Send email on behalf of organization</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${users.map(
    (u) => html`<tr data-user="${u.id}"><th scope="row">${u.name}</th><td><code>${u.id}</code></td>
<td><form method="post" action="/users/${u.id}/permission" class="inline">${csrfField(ctx)}
<label class="visually-hidden" for="perm-${u.id}">Send email on behalf of organization for ${u.name}</label>
<select id="perm-${u.id}" name="permission"><option value="allow"${u.sendOnBehalfOfOrganization ? html` selected` : ''}>Allow access</option><option value="deny"${u.sendOnBehalfOfOrganization ? '' : html` selected`}>Deny access</option></select>
<button type="submit" class="secondary">Save</button></form></td>
<td><form method="post" action="/users/${u.id}/delete" class="inline">${csrfField(ctx)}<button type="submit" class="link">Remove<span class="visually-hidden"> ${u.name}</span></button></form></td></tr>`,
  )}</tbody></table>
<h2>Add a user</h2>
<form method="post" action="/users" class="inline-form">${csrfField(ctx)}
<div class="field"><label for="user-id">Login</label><input id="user-id" name="id" required pattern="[A-Za-z0-9._@-]+"${issue ? html` aria-invalid="true" aria-describedby="user-issue"` : ''}></div>
<div class="field"><label for="user-name">Name</label><input id="user-name" name="name" required></div>
${issue ? html`<p class="issue" id="user-issue">${issue}</p>` : ''}
<button type="submit">Add user</button></form>`;
  return layout({ ...ctx, section: '/users' }, 'Users & permissions', body);
}
