import { FOOTER_LIMITS, type MailFooter } from '@mailplug/core';
import { type Html, html } from '../html.js';
import { csrfField, layout, type PageContext } from './layout.js';

/** Outgoing email text, as in the host guides: plain ≤ 500 characters, HTML ≤ 2,000. */
export function renderFooter(
  ctx: PageContext,
  footer: MailFooter | undefined,
  issue?: { kind: string; text: string },
): Html {
  const text = footer?.text ?? '';
  const htmlText = footer?.html ?? '';
  const counter = (id: string, length: number, limit: number) =>
    html`<p class="counter${length > limit ? ' over' : ''}" id="${id}" aria-live="polite" data-limit="${limit}">${length} / ${limit} characters</p>`;
  const body = html`<p>Added to the body of every email sent, e.g. the practice's address and phone number, a privacy disclaimer, or "This email address is not monitored".</p>
<form method="post" action="/footer" class="footer-form">${csrfField(ctx)}
<div class="field${issue?.kind === 'text' ? ' invalid' : ''}"><label for="footer-text">Plain-text footer (up to ${FOOTER_LIMITS.text} characters)</label>
<textarea id="footer-text" name="text" rows="4" data-counter="footer-text-count" data-preview="footer-text-preview" aria-describedby="footer-text-count${issue?.kind === 'text' ? ' footer-text-issue' : ''}">${text}</textarea>
${counter('footer-text-count', text.length, FOOTER_LIMITS.text)}
${issue?.kind === 'text' ? html`<p class="issue" id="footer-text-issue">${issue.text}</p>` : ''}</div>
<div class="preview"><p class="preview-label" id="footer-text-preview-label">Plain-text preview</p><div class="preview-text" id="footer-text-preview" aria-labelledby="footer-text-preview-label">${text}</div></div>
<div class="field${issue?.kind === 'html' ? ' invalid' : ''}"><label for="footer-html">HTML footer (up to ${FOOTER_LIMITS.html} characters)</label>
<textarea id="footer-html" name="html" rows="6" spellcheck="false" data-counter="footer-html-count" data-preview="footer-html-preview" aria-describedby="footer-html-count${issue?.kind === 'html' ? ' footer-html-issue' : ''}">${htmlText}</textarea>
${counter('footer-html-count', htmlText.length, FOOTER_LIMITS.html)}
${issue?.kind === 'html' ? html`<p class="issue" id="footer-html-issue">${issue.text}</p>` : ''}</div>
<div class="preview"><p class="preview-label">HTML preview (scripts never run)</p><iframe id="footer-html-preview" title="HTML footer preview" sandbox="" srcdoc="${htmlText}"></iframe></div>
<p class="help">After changing the HTML footer, send a test email from an account to check how it looks.</p>
<div class="actions"><button type="submit" id="footer-save">Save footer</button></div>
</form>`;
  return layout({ ...ctx, section: '/footer' }, 'Footer', body);
}
