// THE role table: which roles may call each route. Every route is registered through it (a route
// missing here fails at start-up), docs/api.md lists it, and the authorisation tests are generated
// from it, so a new route cannot be left unchecked.
import { ROLES, type Role } from '@backlot/workflows/users';

export { ROLES, type Role };

export const PUBLIC = 'public' as const;
const ALL: readonly Role[] = ROLES;
const STAFF: readonly Role[] = ['admin', 'rights', 'ml', 'creative'];
const ADMIN: readonly Role[] = ['admin'];
const RIGHTS: readonly Role[] = ['admin', 'rights'];
const RIGHTS_READ: readonly Role[] = ['admin', 'rights', 'ml'];
const ML: readonly Role[] = ['admin', 'ml'];
const ML_READ: readonly Role[] = ['admin', 'ml', 'rights'];
const MAKERS: readonly Role[] = ['admin', 'creative', 'ml'];

/** "METHOD /path" (OpenAPI path syntax) -> roles allowed, or PUBLIC. */
export const ROLE_TABLE = {
  // Open without credentials: liveness and signing in.
  'GET /api/health': PUBLIC,
  'GET /api/auth/config': PUBLIC,
  'POST /api/auth/sign-in': PUBLIC,
  'GET /api/auth/oidc/start': PUBLIC,
  'GET /api/auth/oidc/callback': PUBLIC,

  'GET /openapi.json': ALL,
  'GET /api/auth/me': ALL,
  'POST /api/auth/sign-out': ALL,

  // People and tokens.
  'GET /api/users': ADMIN,
  'POST /api/users': ADMIN,
  'PATCH /api/users/{username}': ADMIN,
  'POST /api/users/{username}/disable': ADMIN,
  'POST /api/users/{username}/enable': ADMIN,
  'GET /api/tokens': ALL,
  'POST /api/tokens': ALL,
  'DELETE /api/tokens/{id}': ALL,

  // Jobs (a non-admin sees and cancels only their own).
  'GET /api/jobs': ALL,
  'GET /api/jobs/{id}': ALL,
  'GET /api/jobs/{id}/events': ALL,
  'POST /api/jobs/{id}/cancel': STAFF,
  'POST /api/jobs/ping': ADMIN,

  // Uploads (frames, clips, rights files), checked by content.
  'POST /api/uploads': STAFF,

  // Library.
  'GET /api/titles': ALL,
  'GET /api/titles/{id}': ALL,
  'GET /api/shots': ALL,
  'GET /api/shots/{id}': ALL,
  'GET /api/shots/{id}/keyframe': ALL,
  'GET /api/shots/{id}/proxy': ALL,
  'POST /api/ingest': ML,
  'GET /api/search': ALL,
  'GET /api/titles/{id}/video': ALL,

  // Rights.
  'GET /api/rights': RIGHTS_READ,
  'POST /api/rights/import': RIGHTS,
  'POST /api/rights/people/{person}/revoke-consent': RIGHTS,
  'GET /api/rights/check': RIGHTS_READ,
  'GET /api/rights/registry': RIGHTS_READ,

  // Datasets.
  'GET /api/datasets': ML_READ,
  'POST /api/datasets': ML,
  'GET /api/datasets/{id}': ML_READ,
  'POST /api/datasets/{id}/verify': ML_READ,
  'GET /api/datasets/{id}/diff/{other}': ML_READ,

  // Training, evaluation, models.
  'POST /api/training/runs': ML,
  'POST /api/evaluations': ML,
  'GET /api/models': STAFF,
  'GET /api/models/{id}': STAFF,
  'GET /api/models/{id}/previews/{step}': STAFF,

  // Generation and its ledgers.
  'POST /api/generations': MAKERS,
  'GET /api/outputs': ALL,
  'GET /api/outputs/{id}': ALL,
  'GET /api/outputs/{id}/video': ALL,
  'GET /api/outputs/{id}/credentials': ALL,
  'GET /api/usage': RIGHTS,
  'GET /api/royalties': RIGHTS,

  // Audit.
  'GET /api/audit': RIGHTS,
  'GET /api/audit/verify': RIGHTS,
} as const satisfies Record<string, readonly Role[] | typeof PUBLIC>;

export type RouteKey = keyof typeof ROLE_TABLE;

export function rolesFor(key: string): readonly Role[] | typeof PUBLIC | undefined {
  return (ROLE_TABLE as Record<string, readonly Role[] | typeof PUBLIC>)[key];
}
