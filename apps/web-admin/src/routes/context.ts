import type { RequestContext } from '../http/router.js';
import { takeFlash } from '../http/router.js';
import type { PageContext } from '../pages/layout.js';

export function pageContext(ctx: RequestContext): PageContext {
  return {
    csrfToken: ctx.session.csrfToken,
    flash: takeFlash(ctx.session),
    authenticated: ctx.session.authenticated,
  };
}
