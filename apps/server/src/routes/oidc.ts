// OpenID Connect single sign-on (authorization code with PKCE, openid-client 6): the provider says
// who the person is, a claim says what role they get, and the result is an ordinary session.
import * as oidc from 'openid-client';
import { z } from '@hono/zod-openapi';
import { AuthError } from '@backlot/core';
import { createSession, signInWithIdentity, type Role } from '@backlot/workflows/users';
import type { OidcConfig } from '../config.js';
import { route, type Api } from '../http/api.js';
import { setSessionCookies } from './auth.js';

const LOGIN_MINUTES = 10;

/** The role for a person: the first roleMap entry whose key is among the claim's values. */
export function roleFromClaims(cfg: OidcConfig, claims: Record<string, unknown>): Role | undefined {
  const raw = claims[cfg.roleClaim];
  const values = new Set((Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).map(String));
  for (const [value, role] of Object.entries(cfg.roleMap)) if (values.has(value)) return role;
  return cfg.defaultRole;
}

export function registerOidc(api: Api): void {
  const cfg = api.config.oidc;
  let discovered: Promise<oidc.Configuration> | null = null;
  const configuration = () => {
    if (!cfg) throw new AuthError('sso_not_configured', 'single sign-on is not configured on this server');
    discovered ??= oidc
      .discovery(new URL(cfg.issuer), cfg.clientId, cfg.clientSecret, undefined, cfg.allowInsecure ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .catch((e: Error) => {
        discovered = null;
        throw new AuthError('sso_unreachable', `the single sign-on provider ${cfg.issuer} does not answer (${e.message})`);
      });
    return discovered;
  };
  const redirectUri = (requestUrl: string) => new URL('/api/auth/oidc/callback', api.config.publicUrl ?? new URL(requestUrl).origin).href;

  route(
    api,
    {
      method: 'get',
      path: '/api/auth/oidc/start',
      summary: 'Start single sign-on (redirects to the provider)',
      request: { query: z.strictObject({ returnTo: z.string().regex(/^\/(?!\/)[^\s\\]*$/, 'a path on this site').max(500).optional() }) },
      responses: { 302: { description: 'To the provider' }, 404: { description: 'Single sign-on is not configured' } },
    },
    async (c) => {
      const config = await configuration();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      await api.ws.db.query(`DELETE FROM oidc_logins WHERE created_at < now() - make_interval(mins => $1)`, [LOGIN_MINUTES]);
      await api.ws.db.query('INSERT INTO oidc_logins (state, code_verifier, nonce, return_to) VALUES ($1, $2, $3, $4)', [state, verifier, nonce, c.req.valid('query').returnTo ?? '/']);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri(c.req.url),
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return c.redirect(url.href, 302);
    },
  );

  route(
    api,
    {
      method: 'get',
      path: '/api/auth/oidc/callback',
      summary: 'Where the provider sends people back',
      description: 'On success sets the session cookies and redirects to the page sign-on started from; on failure redirects to /?sso_error=<message>.',
      request: { query: z.object({ state: z.string().max(200).optional(), code: z.string().max(2000).optional(), error: z.string().max(200).optional() }).passthrough() },
      responses: { 302: { description: 'Back into the app' } },
    },
    async (c) => {
      const fail = (message: string) => c.redirect(`/?sso_error=${encodeURIComponent(message)}`, 302);
      const { state, error } = c.req.valid('query');
      if (error) return fail(`the provider refused the sign-in (${error})`);
      if (!state) return fail('the sign-in link is incomplete; start again');
      const [login] = await api.ws.db.query<{ code_verifier: string; nonce: string; return_to: string }>(
        `DELETE FROM oidc_logins WHERE state = $1 AND created_at > now() - make_interval(mins => $2) RETURNING code_verifier, nonce, return_to`,
        [state, LOGIN_MINUTES],
      );
      if (!login) return fail('the sign-in expired or was already used; start again');
      const config = await configuration();
      // The provider redirected to our public address; rebuild it so the redirect_uri matches.
      const current = new URL(c.req.url);
      const callbackUrl = new URL(redirectUri(c.req.url));
      callbackUrl.search = current.search;
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: login.code_verifier, expectedState: state, expectedNonce: login.nonce });
      } catch (e) {
        return fail(`the provider's answer could not be verified (${(e as Error).message})`);
      }
      const claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      if (!(cfg!.roleClaim in claims) && tokens.access_token) {
        Object.assign(claims, await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub)).catch(() => ({})));
      }
      const role = roleFromClaims(cfg!, claims);
      if (!role) return fail(`your single sign-on account has no Backlot role (claim ${cfg!.roleClaim}); ask an admin`);
      let user;
      try {
        user = await signInWithIdentity(api.ws, {
          issuer: cfg!.issuer,
          subject: String(claims.sub),
          preferredUsername: typeof claims.preferred_username === 'string' ? claims.preferred_username : typeof claims.email === 'string' ? claims.email : undefined,
          displayName: typeof claims.name === 'string' ? claims.name : undefined,
          role,
        });
      } catch (e) {
        if (e instanceof AuthError) return fail(e.message);
        throw e;
      }
      setSessionCookies(api, c, await createSession(api.ws, user, 'oidc'));
      return c.redirect(login.return_to, 302);
    },
  );
}
