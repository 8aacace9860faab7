// Signing in and out with a password, who am I, and the people and API tokens admins manage.
import { setCookie, deleteCookie, getCookie } from 'hono/cookie';
import { z } from '@hono/zod-openapi';
import * as users from '@backlot/workflows/users';
import { ROLES, ROLE_TABLE, PUBLIC, type Role } from '../roles.js';
import { route, principalOf, type Api, OkSchema } from '../http/api.js';
import { actorOf, clientIp, CSRF_COOKIE, SESSION_COOKIE } from '../http/auth.js';
import { ApiError } from '../http/errors.js';
import type { Context } from 'hono';

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES),
    disabled: z.boolean(),
    sso: z.boolean(),
    hasPassword: z.boolean(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .openapi('User');

const TokenSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.string(),
    expiresAt: z.string(),
    revoked: z.boolean(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi('ApiToken');

const SessionSchema = z
  .object({
    user: UserSchema,
    role: z.enum(ROLES),
    via: z.enum(['session', 'token']),
    csrfToken: z.string().optional().openapi({ description: 'Send back in the x-csrf-token header on state-changing requests made with the session cookie.' }),
    expiresAt: z.string().optional(),
    allowed: z.array(z.string()).optional().openapi({ description: 'The routes ("METHOD /path") this role may call, from the role table; the web app hides what is not here.' }),
  })
  .openapi('Session');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

// Declared with the OpenAPI-aware zod; the same rules as the users workflow.
const UsernameRule = () => z.string().min(2).max(64).regex(users.USERNAME_PATTERN, users.USERNAME_RULE);
const Username = UsernameRule().openapi({ example: 'ada' });
const UsernameParam = UsernameRule().openapi({ param: { name: 'username', in: 'path' }, example: 'ada' });
const Password = z.string().min(10, 'at least 10 characters').max(256);

export function secureCookies(api: Api): boolean {
  return api.config.publicUrl?.startsWith('https://') ?? false;
}

/** Puts a new session in its HttpOnly cookie and the CSRF token in a cookie the page can read. */
export function setSessionCookies(api: Api, c: Context, session: users.NewSession): void {
  const common = { path: '/', sameSite: 'Strict' as const, secure: secureCookies(api), expires: new Date(session.expiresAt) };
  setCookie(c, SESSION_COOKIE, session.secret, { ...common, httpOnly: true });
  setCookie(c, CSRF_COOKIE, session.csrfToken, { ...common, httpOnly: false });
}

/** The role table read for one role: every route key it may call. */
function routesFor(role: Role): string[] {
  return Object.entries(ROLE_TABLE)
    .filter(([, roles]) => roles === PUBLIC || (roles as readonly Role[]).includes(role))
    .map(([key]) => key);
}

export function registerAuth(api: Api): void {
  route(
    api,
    {
      method: 'get',
      path: '/api/auth/config',
      summary: 'How people can sign in here',
      responses: { 200: json(z.object({ password: z.literal(true), sso: z.object({ label: z.string(), startUrl: z.string() }).nullable() }).openapi('SignInOptions'), 'Sign-in options') },
    },
    (c) => c.json({ password: true as const, sso: api.config.oidc ? { label: api.config.oidc.label, startUrl: '/api/auth/oidc/start' } : null }, 200),
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/auth/sign-in',
      summary: 'Sign in with a username and password',
      description: 'Sets an HttpOnly session cookie and a readable CSRF cookie. Rate-limited per username and address.',
      request: body(z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).openapi('SignIn')),
      responses: {
        200: json(SessionSchema, 'Signed in'),
        400: json(z.any(), 'Invalid request'),
        401: json(z.any(), 'Wrong username or password'),
        403: json(z.any(), 'Account disabled'),
        429: json(z.any(), 'Too many attempts'),
      },
    },
    async (c) => {
      const { username, password } = c.req.valid('json');
      const user = await users.checkPassword(api.ws, { username, password, ip: clientIp(c) });
      const session = await users.createSession(api.ws, user, 'password');
      setSessionCookies(api, c, session);
      return c.json({ user, role: user.role, via: 'session' as const, csrfToken: session.csrfToken, expiresAt: session.expiresAt }, 200);
    },
  );

  route(api, { method: 'get', path: '/api/auth/me', summary: 'The signed-in person', responses: { 200: json(SessionSchema, 'Who is calling') } }, (c) => {
    const p = principalOf(c);
    return c.json({ user: p.user, role: p.role, via: p.via, ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}), allowed: routesFor(p.role) }, 200);
  });

  route(api, { method: 'post', path: '/api/auth/sign-out', summary: 'End this session', responses: { 200: json(OkSchema, 'Signed out') } }, async (c) => {
    const p = principalOf(c);
    const cookie = getCookie(c, SESSION_COOKIE);
    if (p.via === 'session' && cookie) await users.endSession(api.ws, cookie, { actor: actorOf(p) });
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    deleteCookie(c, CSRF_COOKIE, { path: '/' });
    return c.json({ ok: true as const }, 200);
  });

  // ---- people (admin) ----
  route(api, { method: 'get', path: '/api/users', summary: 'Everyone who may sign in', responses: { 200: json(z.object({ users: z.array(UserSchema) }), 'Users') } }, async (c) =>
    c.json({ users: await users.listUsers(api.ws) }, 200),
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/users',
      summary: 'Add a person',
      request: body(
        z
          .strictObject({
            username: Username,
            displayName: z.string().min(1).max(200).optional(),
            role: z.enum(ROLES),
            password: Password.optional().openapi({ description: 'Leave out for single-sign-on-only people.' }),
          })
          .openapi('NewUser'),
      ),
      responses: { 201: json(UserSchema, 'Added'), 409: json(z.any(), 'Username taken') },
    },
    async (c) => {
      const input = c.req.valid('json');
      return c.json(await users.addUser(api.ws, input, { actor: actorOf(principalOf(c)) }), 201);
    },
  );

  route(
    api,
    {
      method: 'patch',
      path: '/api/users/{username}',
      summary: "Change a person's role or password",
      request: {
        params: z.object({ username: UsernameParam }),
        ...body(z.strictObject({ role: z.enum(ROLES).optional(), password: Password.optional() }).openapi('UserChange')),
      },
      responses: { 200: json(UserSchema, 'Changed'), 404: json(z.any(), 'No such user') },
    },
    async (c) => {
      const { username } = c.req.valid('param');
      const change = c.req.valid('json');
      const actor = actorOf(principalOf(c));
      if (!change.role && !change.password) throw new ApiError(400, 'invalid_input', 'send role, password or both', 'role');
      let user = await users.getUser(api.ws, username);
      if (change.role) user = await users.setRole(api.ws, { username, role: change.role }, { actor });
      if (change.password) user = await users.setPassword(api.ws, { username, password: change.password }, { actor });
      return c.json(user, 200);
    },
  );

  for (const action of ['disable', 'enable'] as const) {
    route(
      api,
      {
        method: 'post',
        path: `/api/users/{username}/${action}`,
        summary: action === 'disable' ? 'Disable a person (ends their sessions and tokens)' : 'Enable a disabled person',
        request: { params: z.object({ username: UsernameParam }) },
        responses: { 200: json(UserSchema, 'Done'), 404: json(z.any(), 'No such user') },
      },
      async (c) => {
        const { username } = c.req.valid('param');
        const actor = actorOf(principalOf(c));
        if (action === 'disable' && username === principalOf(c).user.username) throw new ApiError(400, 'invalid_input', 'you cannot disable yourself', 'username');
        return c.json(action === 'disable' ? await users.disableUser(api.ws, { username }, { actor }) : await users.enableUser(api.ws, { username }, { actor }), 200);
      },
    );
  }

  // ---- API tokens: anyone for themselves, admins for anyone ----
  route(
    api,
    {
      method: 'get',
      path: '/api/tokens',
      summary: 'API tokens (yours; all for admins)',
      responses: { 200: json(z.object({ tokens: z.array(TokenSchema) }), 'Tokens, never their secrets') },
    },
    async (c) => {
      const p = principalOf(c);
      return c.json({ tokens: await users.listTokens(api.ws, p.role === 'admin' ? {} : { username: p.user.username }) }, 200);
    },
  );

  route(
    api,
    {
      method: 'post',
      path: '/api/tokens',
      summary: 'Issue an API token',
      description: 'The token is in the response once and never stored; only its hash is.',
      request: body(
        z
          .strictObject({
            name: z.string().min(1).max(100),
            role: z.enum(ROLES).optional(),
            days: z.number().int().min(1).max(users.MAX_TOKEN_DAYS).optional(),
            username: Username.optional().openapi({ description: 'Admins only: issue for someone else.' }),
          })
          .openapi('NewToken'),
      ),
      responses: { 201: json(TokenSchema.extend({ token: z.string() }).openapi('IssuedToken'), 'Issued') },
    },
    async (c) => {
      const p = principalOf(c);
      const input = c.req.valid('json');
      if (input.username && input.username !== p.user.username && p.role !== 'admin') throw new ApiError(403, 'forbidden', 'only admins may issue tokens for someone else', 'username');
      // A token made with a token never outlives or outranks it.
      if (p.via === 'token' && input.role && input.role !== p.role) throw new ApiError(403, 'forbidden', 'a token may only issue tokens with its own role', 'role');
      const issued = await users.issueToken(api.ws, { username: input.username ?? p.user.username, name: input.name, role: input.role ?? (p.via === 'token' ? p.role : undefined), days: input.days }, { actor: actorOf(p) });
      return c.json(issued, 201);
    },
  );

  route(
    api,
    {
      method: 'delete',
      path: '/api/tokens/{id}',
      summary: 'Revoke an API token',
      request: { params: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, '16 hex characters').openapi({ param: { name: 'id', in: 'path' }, example: '0123456789abcdef' }) }) },
      responses: { 200: json(TokenSchema, 'Revoked'), 404: json(z.any(), 'No such token') },
    },
    async (c) => {
      const p = principalOf(c);
      const { id } = c.req.valid('param');
      return c.json(await users.revokeToken(api.ws, { id, username: p.role === 'admin' ? undefined : p.user.username }, { actor: actorOf(p) }), 200);
    },
  );
}
