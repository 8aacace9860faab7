// How a server is set up: where people reach it, single sign-on, which jobs it runs itself, limits.
// The CLI builds this from flags and BACKLOT_* environment variables, validated here once.
import { z } from 'zod';
import { ROLES } from '@backlot/workflows/users';
import type { JobKindSpec } from '@backlot/adapters/queue';

export const OidcConfigSchema = z.strictObject({
  issuer: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Claim in the ID token / userinfo carrying the person's groups or role, e.g. "groups". */
  roleClaim: z.string().min(1).default('groups'),
  /** Claim value -> Backlot role; the first value found in this order wins. */
  roleMap: z.record(z.string(), z.enum(ROLES)),
  /** Role for people whose claim matches nothing; unset refuses them. */
  defaultRole: z.enum(ROLES).optional(),
  /** Shown on the sign-in button. */
  label: z.string().default('Single sign-on'),
  /** Accept an http:// issuer (a provider on loopback in tests). */
  allowInsecure: z.boolean().default(false),
});
export type OidcConfig = z.infer<typeof OidcConfigSchema>;

export interface ServerConfig {
  /** The address people use, e.g. https://backlot.studio.example; sets the SSO redirect and Secure cookies. */
  publicUrl?: string;
  /** Job kinds this process runs: 'all' (default with an embedded workspace), 'none', or a list. */
  workers?: 'all' | 'none' | string[];
  /** Overrides of each kind's concurrency, retries and expiry (tests, big machines). */
  kinds?: Record<string, Partial<JobKindSpec>>;
  oidc?: OidcConfig;
  /** Built web app to serve; default apps/web/dist when it exists, null to serve none. */
  webDist?: string | null;
  /** Largest JSON body, bytes. */
  jsonLimitBytes?: number;
  /** Largest upload, bytes. */
  uploadLimitBytes?: number;
}

/** Reads single sign-on settings from BACKLOT_OIDC_* variables; undefined when no issuer is set. */
export function oidcFromEnv(env: NodeJS.ProcessEnv = process.env): OidcConfig | undefined {
  if (!env.BACKLOT_OIDC_ISSUER) return undefined;
  const roleMap = Object.fromEntries(
    (env.BACKLOT_OIDC_ROLE_MAP ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => p.split('=').map((s) => s.trim())),
  );
  return OidcConfigSchema.parse({
    issuer: env.BACKLOT_OIDC_ISSUER,
    clientId: env.BACKLOT_OIDC_CLIENT_ID,
    clientSecret: env.BACKLOT_OIDC_CLIENT_SECRET,
    roleClaim: env.BACKLOT_OIDC_ROLE_CLAIM || undefined,
    roleMap,
    defaultRole: env.BACKLOT_OIDC_DEFAULT_ROLE || undefined,
    label: env.BACKLOT_OIDC_LABEL || undefined,
    allowInsecure: env.BACKLOT_OIDC_ALLOW_INSECURE === '1',
  });
}
