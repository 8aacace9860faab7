// Generations and what each one owes: the signed outputs, the inputs used, the likeness usage ledger
// (person, consent, seconds, project), attribution shares over training clips and titles, and the
// compute each stage used. Documented in docs/generation.md.
export default /* sql */ `
CREATE TABLE generations (
  id             text PRIMARY KEY,
  model_id       text NOT NULL REFERENCES models(id),
  mode           text NOT NULL CHECK (mode IN ('t2v', 'i2v', 'interpolate', 'extend', 'restyle')),
  prompt         text NOT NULL,
  prompt_sha256  text NOT NULL,
  params         jsonb NOT NULL,            -- seed, steps, guidance, sampler, frames, strength
  project        text,
  guardrail      jsonb NOT NULL,            -- the decision: people named, consents checked, reasons
  status         text NOT NULL CHECK (status IN ('done', 'failed')),
  error          text,
  actor          text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE INDEX generations_model ON generations (model_id, created_at);

-- Inputs a generation used (first/last image, clip extended or restyled), by content hash.
CREATE TABLE generation_inputs (
  generation_id  text NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
  role           text NOT NULL CHECK (role IN ('first', 'last', 'extend', 'restyle')),
  path           text NOT NULL,
  sha256         text NOT NULL,
  PRIMARY KEY (generation_id, role)
);

-- The signed MP4: a copy lives in the content store under its sha256; path is where it was written.
CREATE TABLE generation_outputs (
  id             text PRIMARY KEY,
  generation_id  text NOT NULL UNIQUE REFERENCES generations(id) ON DELETE CASCADE,
  sha256         text NOT NULL,
  path           text NOT NULL,
  bytes          bigint NOT NULL,
  frames         integer NOT NULL,
  fps            double precision NOT NULL,
  seconds        double precision NOT NULL,
  width          integer NOT NULL,
  height         integer NOT NULL,
  manifest_label text NOT NULL,
  signer         text NOT NULL,             -- development | studio
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX generation_outputs_sha ON generation_outputs (sha256);

-- Digital-replica use: one line per consenting person a generation named.
CREATE TABLE likeness_usage (
  id             bigserial PRIMARY KEY,
  generation_id  text NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
  person_id      text NOT NULL REFERENCES people(id),
  consent_id     text NOT NULL REFERENCES consents(id),
  seconds        double precision NOT NULL,
  project        text,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX likeness_usage_person ON likeness_usage (person_id, at);

-- Nearest training clips and their shares; shares of one generation sum to 1.
CREATE TABLE attribution_shares (
  generation_id  text NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
  rank           integer NOT NULL,
  clip_id        text NOT NULL,
  shot_id        text,
  title_id       text NOT NULL,
  similarity     double precision NOT NULL,
  share          double precision NOT NULL CHECK (share >= 0 AND share <= 1),
  PRIMARY KEY (generation_id, rank)
);
CREATE INDEX attribution_shares_title ON attribution_shares (title_id);

-- Compute per stage (text, sampling, decode, encode, sign, attribution, total).
CREATE TABLE generation_compute (
  generation_id  text NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
  stage          text NOT NULL,
  device         text NOT NULL,
  seconds        double precision NOT NULL,
  calls          integer,
  PRIMARY KEY (generation_id, stage)
);
`;
