import express, { type Request, type Response, type Router } from 'express';
import { holdingsOf, type HeldOffer, type HubHoldings } from '../../agent/access/my-access.ts';
import type { Standing } from '../../agent/standing/standing.ts';
import { toProblem } from '../admin/problem.ts';
import { configuredHubs, currentViewer, withViewer } from './hub-guard.ts';
import { html, type SafeHtml } from './html.ts';
import { sendPage } from './pages.ts';
import { currentSession, requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

/**
 * My access: every signed-in person (collaborators and people with no hub role included) sees,
 * per hub where a directory user has their email, their seat, app role and assets, their pending
 * invites with expiry, and the seats offered to them (claim teams and collections) with a Claim
 * button. Server-rendered, no script: the Claim button is a form POST carrying the session's CSRF
 * token, like every dashboard change. Claiming goes through AgentApi.claimOwnOffer, the code behind
 * `POST /api/v1/people/{email}/offers/{offerId}/claim` plus one rule, always for the signed-in
 * person's own email (an offer id of someone else's is not found), audited with them as who. The
 * rule: an email that names several active directory users on a hub (Okta and Entra do not keep
 * emails unique) is there only the one the sign-in's IdP id names (their seats, invites, offers
 * and claims); with none, the hub's holdings are withheld with a note and a claim is refused 403
 * (agent/offers/claimant.ts, agent/access/hub-access.ts `signInOnHub`).
 *
 * Claims are limited per person (10 a minute, scim-server/auth-failures.ts `CLAIMS`), counted in
 * the store by the limiter the composition root shares with the credential checks: every replica
 * spends the same budget, so a loop spread over replicas gets no more claims through.
 */
const STANDING_TEXT: Record<Standing, string> = {
  onboarded: 'You hold a seat.',
  invited: 'You are invited: accept the invite to take your seat.',
  'invite-lapsed': 'Your invite expired or was declined; hubwarden sends a new one when your groups still grant a seat.',
  exempted: 'Your seat is exempted: an owner manages it by hand.',
  guest: 'You are a guest here.',
  // Also a candidate of a disputed seat (agent/standing): another directory user claims its email.
  unmatched: 'A seat here may be yours, but hubwarden does not manage it: an owner left it unmatched, or has yet to decide whose it is (someone else in the directory has its email).',
  offered: 'A seat is offered to you: claim it below.',
  none: 'You hold no seat here.',
};

/** Why a hub's seats, invites and offers are withheld, and a claim refused 403 (agent/offers/claimant.ts, agent/access/hub-access.ts). */
const SHARED_EMAIL = 'More than one person in this hub\'s directory has your email, and your sign-in does not say which of them you are, so none of their seats, invites or offers is shown here, no offer can be claimed, and your hub role is the lowest any of them has: ask your identity provider\'s administrator to give each person their own email, or a hubwarden administrator to claim the offer for the right person.';

const CLAIM_ERRORS: Record<number, string> = {
  403: SHARED_EMAIL,
  404: 'That offer is not one of yours (or was withdrawn).',
  409: 'That offer expired; it is made again when your group membership changes.',
};

const date = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');
const assetText = (a: { type: string; id: string; name?: string; tasks: string[] }) => `${a.type} ${a.name ? `${a.name} (${a.id})` : a.id}: ${a.tasks.join(', ')}`;

function offerRow(ctx: WebContext, csrf: string, h: HubHoldings, o: HeldOffer): SafeHtml {
  const where = o.collection ? `${o.collection.label} (collection)` : o.group;
  const action = o.status === 'offered'
    ? html`<form method="post" action="${ctx.basePath}/my-access/offers/${encodeURIComponent(o.id)}/claim"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="primary" aria-label="Claim ${o.appRole} on ${h.label} (${where})">Claim</button></form>`
    : o.status === 'claimed' ? html`<span class="muted">claimed ${date(o.claimedAt)}</span>` : html`<span class="muted">expired</span>`;
  return html`<tr data-offer="${o.id}">
<td data-label="Offered through">${where}${o.collection?.description ? html`<div class="muted">${o.collection.description}</div>` : ''}</td>
<td data-label="App role">${o.appRole}</td>
<td data-label="Assets">${o.assets.map(assetText).join('; ') || '—'}</td>
<td data-label="Status"><span class="badge ${o.status}">${o.status}</span></td>
<td data-label="Expires">${o.status === 'offered' ? date(o.expiresAt) : ''}</td>
<td class="actions" data-label="Claim">${action}</td></tr>`;
}

function hubSection(ctx: WebContext, csrf: string, h: HubHoldings): SafeHtml {
  const id = `hub-${h.hubId}`;
  const seats = h.seats.length
    ? html`<div class="table-wrap"><table class="stack"><caption class="sr-only">Your seats on ${h.label}</caption><thead><tr><th scope="col">Account</th><th scope="col">App role</th><th scope="col">Assets and tasks</th></tr></thead><tbody>
${h.seats.map((s) => html`<tr data-seat="${s.memberId}"><td data-label="Account">${s.email ?? s.memberId}</td><td data-label="App role">${s.appRole}</td><td data-label="Assets">${[...(s.reachesAllAssets ? ['every asset (admin)'] : []), ...s.assets.map(assetText)].join('; ') || '—'}</td></tr>`)}
</tbody></table></div>`
    : '';
  const invites = h.invites.length
    ? html`<h3>Pending invites</h3><ul class="invites">${h.invites.map((i) => html`<li data-invite="${i.id}">${i.appRole} for ${i.email}${i.expiresAt ? html`, expires <time datetime="${i.expiresAt}">${date(i.expiresAt)}</time>` : ', expiry known after the next check for updates'}${i.sentByHubwarden ? '' : html` <span class="muted">(sent from the app, not by hubwarden)</span>`}</li>`)}</ul>`
    : '';
  const offers = h.offers.length
    ? html`<h3>Offered to you</h3><div class="table-wrap"><table class="stack"><caption class="sr-only">Seats offered to you on ${h.label}</caption><thead><tr><th scope="col">Offered through</th><th scope="col">App role</th><th scope="col">Assets and tasks</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col"><span class="sr-only">Claim</span></th></tr></thead><tbody>
${h.offers.map((o) => offerRow(ctx, csrf, h, o))}
</tbody></table></div>`
    : '';
  return html`<section class="card my-hub" data-hub="${h.hubId}" aria-labelledby="${id}">
<h2 id="${id}">${h.label} <span class="muted">${h.connector}</span></h2>
<dl>
<dt>Hub role</dt><dd data-field="hub-role">${h.hubRole ?? 'none'}</dd>
${h.withheld
    ? html`<dt>Seat</dt><dd data-field="withheld">${SHARED_EMAIL}</dd>`
    : html`<dt>Seat</dt><dd data-field="standing"><span class="badge ${h.standing}">${h.standing}</span> ${h.seatless ? 'Your team gives you the hub role without a seat: nobody invites you.' : STANDING_TEXT[h.standing]}</dd>`}
${h.grantedAppRole ? html`<dt>Your groups grant</dt><dd data-field="granted">${h.grantedAppRole} (${h.grantedBy.join(', ')})</dd>` : ''}
</dl>
${seats}${invites}${offers}
</section>`;
}

export function registerMyAccess(router: Router, ctx: WebContext): void {
  const form = express.urlencoded({ extended: false, limit: '8kb' });

  async function render(req: Request, res: Response, status: number, message?: { text: string; bad: boolean }): Promise<void> {
    const viewer = currentViewer(res);
    const s = currentSession(res);
    const hubs = viewer.email ? await holdingsOf(ctx.store, configuredHubs(ctx), ctx.config.file.collections, viewer.email, new Date(), s.idpUserIds ?? []) : [];
    const who = viewer.email
      ? (hubs.length ? html`What you hold on each business hub as <strong>${viewer.email}</strong>: seats, pending invites, and seats offered to you to claim.`
        : html`No business hub's directory has <strong>${viewer.email}</strong>: you hold nothing hubwarden manages.`)
      : html`You signed in ${s.via === 'admin-token' ? 'with an admin token' : 'without an email hubwarden can trust'}: My access lists a person's own seats, so there is nothing to show.`;
    res.status(status);
    sendPage(ctx, res, { title: 'My access', current: 'my-access', body: html`
<h1>My access</h1>
<p class="lead">${who}</p>
${message ? html`<p class="${message.bad ? 'error' : 'notice'}" role="${message.bad ? 'alert' : 'status'}">${message.text}</p>` : ''}
<div class="my-access">${hubs.map((h) => hubSection(ctx, s.csrf, h))}</div>` });
  }

  router.get('/my-access', requireSession(ctx, 'page'), withViewer(ctx, 'page'), async (req, res) => {
    const claimed = typeof req.query.claimed === 'string';
    await render(req, res, 200, claimed ? { text: 'Claimed: hubwarden is inviting you now; the invite arrives by email from the app.', bad: false } : undefined);
  });

  // The form's body is read before the session check: the CSRF token travels in it (`_csrf`).
  router.post('/my-access/offers/:offerId/claim', form, requireSession(ctx, 'page'), withViewer(ctx, 'page'), async (req, res) => {
    const viewer = currentViewer(res);
    const offerId = String(req.params.offerId);
    if (!viewer.email) return render(req, res, 403, { text: 'Only a person signed in with their organisation account claims offers.', bad: true });
    const { wait, first } = await ctx.failures.spend('claim', viewer.email);
    if (wait > 0) {
      // Nothing is claimed, written or audited (the claims within the budget were); logged once a
      // burst by each replica that refuses it.
      if (first) ctx.log.warn('dashboard: too many claims from one person; further ones answered 429', { actor: currentSession(res).actor });
      res.setHeader('Retry-After', String(wait));
      return render(req, res, 429, { text: `Too many claims in a minute; wait ${wait} s and try again.`, bad: true });
    }
    try {
      const session = currentSession(res);
      // The signed-in person's own email, never one from the request: nobody claims for someone else
      // here. Their IdP ids tell apart directory users sharing the email; when nothing does, the
      // agent refuses (403, audited: agent/offers/claimant.ts).
      await ctx.agent.claimOwnOffer({ email: viewer.email, idpUserIds: session.idpUserIds ?? [] }, offerId, { type: 'dashboard', actor: session.actor, detail: session.via });
      ctx.log.info('dashboard: offer claimed', { actor: session.actor, offerId });
      res.redirect(303, `${ctx.basePath}/my-access?claimed=${encodeURIComponent(offerId)}`);
    } catch (err) {
      const problem = toProblem(err);
      if (problem.status >= 500) throw err;
      // A failed access-control decision (OWASP ASVS 4.0.3 V7.2.2): an offer id that names no
      // offer of this email (another person's, made up) is audited nowhere, having no hub.
      if (problem.status === 403 || problem.status === 404) ctx.claimRefused.refused(currentSession(res).actor, req.originalUrl.split('?')[0]!.slice(0, 200), undefined, { status: String(problem.status) });
      await render(req, res, problem.status, { text: CLAIM_ERRORS[problem.status] ?? problem.message, bad: true });
    }
  });
}
