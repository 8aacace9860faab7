// Training runs and the models they register. A model row carries its full lineage (dataset ids with
// their Merkle roots, base models with their cards) so revocation can find every model an affected
// dataset reached, directly or through a base.
export default /* sql */ `
CREATE TABLE training_runs (
  id            text PRIMARY KEY,
  dataset_id    text NOT NULL,
  dataset_root  text NOT NULL,
  preset        text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'killed')),
  config        jsonb NOT NULL,
  init_from     text,                 -- model id this run started from, when any
  init_mode     text CHECK (init_mode IN ('full', 'lora')),
  run_dir       text NOT NULL,        -- checkpoints and logs; --resume reads from here
  curves        jsonb NOT NULL DEFAULT '[]',
  last_step     integer NOT NULL DEFAULT 0,
  total_steps   integer NOT NULL,
  error         text,
  model_id      text,                 -- set only when the run finished and registered a model
  actor         text NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX training_runs_dataset ON training_runs (dataset_id);

CREATE TABLE models (
  id            text PRIMARY KEY,
  name          text,
  kind          text NOT NULL DEFAULT 'trained' CHECK (kind IN ('trained', 'imported')),
  preset        text,
  dataset_id    text,                 -- null for an imported base
  dataset_root  text,
  lineage       jsonb NOT NULL,       -- { datasets:[{id, merkleRoot}], bases:[{modelId, card}] }
  config        jsonb NOT NULL DEFAULT '{}',
  curves        jsonb NOT NULL DEFAULT '[]',
  eval          jsonb,
  compute       jsonb NOT NULL DEFAULT '{}', -- { device, wallSeconds, samplesSeen, energyKwh }
  card          jsonb,
  run_id        text REFERENCES training_runs(id),
  path          text NOT NULL,        -- folder under ws.modelsDir
  export_path   text,                 -- onnx folder once exported
  tainted_reason text,                -- set by revocation when an ancestor dataset is affected
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX models_dataset ON models (dataset_id);
CREATE INDEX models_lineage ON models USING gin (lineage jsonb_path_ops);
`;
