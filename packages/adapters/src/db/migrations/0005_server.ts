// People who may use the studio server, how they prove it (sessions, API tokens, single sign-on),
// sign-in attempts for rate limiting, and the job records that pg-boss 10 has no place for
// (progress, result, history), keyed by the pg-boss job id.
export default /* sql */ `
CREATE TABLE users (
  id            text PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'rights', 'ml', 'creative', 'viewer')),
  password_hash text,                 -- argon2id; null for single-sign-on-only people
  oidc_subject  text UNIQUE,          -- "<issuer> <sub>" of the linked single-sign-on identity
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text NOT NULL
);

-- A session cookie holds a random secret; only its sha256 is stored.
CREATE TABLE sessions (
  id_hash      text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users(id),
  csrf_token   text NOT NULL,
  via          text NOT NULL CHECK (via IN ('password', 'oidc')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users(id),
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'rights', 'ml', 'creative', 'viewer')),
  secret_hash  text NOT NULL,         -- sha256 of the secret part; tokens are 256-bit random
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_attempts (
  id        bigserial PRIMARY KEY,
  username  text NOT NULL,
  ip        text NOT NULL,
  ok        boolean NOT NULL,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_username ON login_attempts (username, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

-- Single sign-on logins in flight: state -> PKCE verifier, for ten minutes.
CREATE TABLE oidc_logins (
  state          text PRIMARY KEY,
  code_verifier  text NOT NULL,
  nonce          text NOT NULL,
  return_to      text NOT NULL DEFAULT '/',
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per job: what was asked, by whom, where it stands. pg-boss owns scheduling; this table
-- owns what people see (progress, result, error) and survives pg-boss archiving.
CREATE TABLE jobs (
  id               text PRIMARY KEY,   -- the pg-boss job id
  kind             text NOT NULL,
  actor            text NOT NULL,
  state            text NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  input            jsonb NOT NULL,
  progress         jsonb,              -- the latest ProgressEvent per task: { "<task>": event }
  result           jsonb,
  error            jsonb,              -- { code, message }
  attempts         integer NOT NULL DEFAULT 0,
  cancel_requested boolean NOT NULL DEFAULT false,
  worker           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_kind_created ON jobs (kind, created_at DESC);
CREATE INDEX jobs_created ON jobs (created_at DESC);

-- Each transition of a job, so "finished exactly once" can be checked and shown.
CREATE TABLE job_events (
  id       bigserial PRIMARY KEY,
  job_id   text NOT NULL REFERENCES jobs(id),
  event    text NOT NULL CHECK (event IN ('queued', 'started', 'completed', 'failed', 'cancelled', 'retrying')),
  attempt  integer NOT NULL,
  worker   text,
  detail   text,
  at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (job_id, id);
`;
