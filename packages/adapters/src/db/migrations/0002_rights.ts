// Rights registry (grants, people, consents, appearances, cues, restrictions), the hash-chained audit
// log, dataset snapshots with their clips, and taints left by revocations. Documented in docs/rights-model.md.
export default /* sql */ `
-- What the studio may do with a title: one row per contract clause (uses granted over a window).
CREATE TABLE rights_grants (
  id             text PRIMARY KEY,
  title_id       text NOT NULL REFERENCES titles(id),
  uses           text[] NOT NULL,          -- train-video | train-audio | generate-likeness
  grantor        text NOT NULL,
  territory      text NOT NULL DEFAULT 'worldwide',
  starts_on      date NOT NULL,
  ends_on        date,                     -- NULL = perpetual; inclusive last day
  contract_ref   text NOT NULL,
  note           text,
  revoked_on     date,
  revoked_reason text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rights_grants_title ON rights_grants (title_id);

CREATE TABLE people (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('actor', 'musician', 'crew', 'other')),
  aliases    text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE consents (
  id             text PRIMARY KEY,
  person_id      text NOT NULL REFERENCES people(id),
  scopes         text[] NOT NULL,          -- training-footage | likeness | voice | music
  granted_on     date NOT NULL,
  revoked_on     date,
  revoked_reason text,
  document_ref   text NOT NULL,
  conditions     jsonb NOT NULL DEFAULT '{}', -- { projects?: string[], note?: string }
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_person ON consents (person_id);

-- A person in a title over a time range (NULL start/end = the whole title).
CREATE TABLE appearances (
  id         text PRIMARY KEY,
  person_id  text NOT NULL REFERENCES people(id),
  title_id   text NOT NULL REFERENCES titles(id),
  start_s    double precision,
  end_s      double precision,
  presence   text NOT NULL DEFAULT 'on-screen' CHECK (presence IN ('on-screen', 'voice', 'both')),
  character  text,
  source     text NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'manual', 'credits', 'credits+screenplay', 'face')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appearances_title ON appearances (title_id);
CREATE INDEX appearances_person ON appearances (person_id);

CREATE TABLE music_cues (
  id         text PRIMARY KEY,
  title_id   text NOT NULL REFERENCES titles(id),
  name       text NOT NULL,
  start_s    double precision NOT NULL,
  end_s      double precision NOT NULL,
  composer   text,
  performer  text,
  cleared    boolean NOT NULL,             -- cleared for training
  cue_sheet_ref text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX music_cues_title ON music_cues (title_id);

CREATE TABLE restrictions (
  id         text PRIMARY KEY,
  title_id   text NOT NULL REFERENCES titles(id),
  start_s    double precision NOT NULL,
  end_s      double precision NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('third-party-footage', 'logo', 'minor', 'other')),
  note       text NOT NULL DEFAULT '',
  ref        text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX restrictions_title ON restrictions (title_id);

-- Hash-chained audit log. hash = sha256(canonical entry incl. prev_hash); see docs/rights-model.md.
-- at and details are stored as the exact strings that were hashed.
CREATE TABLE audit_log (
  seq        bigint PRIMARY KEY,
  at         text NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  subject    text NOT NULL,
  details    text NOT NULL,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_subject ON audit_log (subject);
-- The chain's head, updated in the same transaction as each append: serialises writers and lets
-- verify notice entries deleted from the end.
CREATE TABLE audit_head (
  id    integer PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Dataset snapshots (written by the datasets workflow; files under <datasetsDir>/<id>/).
CREATE TABLE datasets (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  purpose        text NOT NULL,
  policy_version text NOT NULL,
  merkle_root    text NOT NULL,
  path           text NOT NULL,
  counts         jsonb NOT NULL DEFAULT '{}',
  params         jsonb NOT NULL DEFAULT '{}',
  created_by     text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  tainted_at     timestamptz,
  tainted_reason text
);
CREATE INDEX datasets_name ON datasets (name, created_at);

CREATE TABLE dataset_clips (
  dataset_id text NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  clip_id    text NOT NULL,
  shot_id    text NOT NULL,
  title_id   text NOT NULL,
  split      text NOT NULL CHECK (split IN ('train', 'val')),
  PRIMARY KEY (dataset_id, clip_id)
);
CREATE INDEX dataset_clips_shot ON dataset_clips (shot_id);
CREATE INDEX dataset_clips_title ON dataset_clips (title_id);

-- A dataset or model that contains clips a later revocation or expiry forbids.
CREATE TABLE taints (
  id           bigserial PRIMARY KEY,
  subject_kind text NOT NULL CHECK (subject_kind IN ('dataset', 'model')),
  subject_id   text NOT NULL,
  reason       text NOT NULL,
  cause        text NOT NULL,              -- e.g. consent:<id>, grant:<id>
  clip_count   integer NOT NULL DEFAULT 0,
  audit_seq    bigint,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subject_kind, subject_id, cause)
);
CREATE INDEX taints_subject ON taints (subject_kind, subject_id);
`;
