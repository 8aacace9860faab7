// Titles, the media files that carry them, shots, and the studio's documents attached to titles.
export default /* sql */ `
CREATE TABLE titles (
  id          text PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  kind        text NOT NULL DEFAULT 'film' CHECK (kind IN ('film', 'episode', 'other')),
  year        integer,
  metadata    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per distinct source file (by content). Originals stay where they are unless copied.
CREATE TABLE media_files (
  id            text PRIMARY KEY,
  sha256        text NOT NULL UNIQUE,
  title_id      text NOT NULL REFERENCES titles(id),
  path          text NOT NULL,
  stored_sha256 text,               -- set when --copy put the original into the content store
  size_bytes    double precision NOT NULL,
  container     text NOT NULL,
  duration_s    double precision NOT NULL,
  video_codec   text NOT NULL,
  width         integer NOT NULL,
  height        integer NOT NULL,
  fps_num       integer NOT NULL,
  fps_den       integer NOT NULL,
  vfr           boolean NOT NULL DEFAULT false,
  frame_count   integer,
  rotation      integer NOT NULL DEFAULT 0,
  probe         jsonb NOT NULL,     -- the whole MediaProbe, audio streams and tags included
  opt_out       jsonb NOT NULL DEFAULT '[]', -- training opt-out signals found in the file
  -- Ingest moves a file probed -> analysed (all its shots written in one transaction) -> ready (every
  -- usable shot has its proxy). A rerun of ingest resumes a file from the status it stopped at.
  status        text NOT NULL DEFAULT 'probed' CHECK (status IN ('probed', 'analysed', 'ready', 'failed')),
  error         text,
  proxy_short_side integer,
  proxy_fps     double precision,
  ingested_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_files_title ON media_files (title_id);

CREATE TABLE shots (
  id              text PRIMARY KEY,   -- <media sha256 prefix>-<index>
  media_file_id   text NOT NULL REFERENCES media_files(id) ON DELETE CASCADE,
  title_id        text NOT NULL REFERENCES titles(id),
  idx             integer NOT NULL,
  start_frame     integer NOT NULL,
  end_frame       integer NOT NULL,
  start_s         double precision NOT NULL,
  end_s           double precision NOT NULL,
  transition_in   text NOT NULL CHECK (transition_in IN ('none', 'cut', 'dissolve', 'fade', 'wipe')),
  keyframe        integer NOT NULL,
  keyframe_sha256 text,
  mean_luma       double precision NOT NULL,
  sharpness       double precision NOT NULL,
  motion          double precision NOT NULL,
  is_black        boolean NOT NULL,
  letterbox       boolean NOT NULL,
  phash           text NOT NULL,
  dup_group       text,               -- shots that are the same picture share a group id
  proxy_sha256    text,
  proxy_skip      text CHECK (proxy_skip IN ('black', 'too_short')), -- why a shot has no proxy on purpose
  colour_sig      text,               -- 4x4 RGB means of the keyframe (hex), for near-duplicate checks
  UNIQUE (media_file_id, idx)
);
CREATE INDEX shots_title ON shots (title_id, start_s);
CREATE INDEX shots_dup_group ON shots (dup_group);

-- Studio documents attached to a title: screenplay, subtitles, cast list, music cue sheet.
CREATE TABLE title_documents (
  title_id   text NOT NULL REFERENCES titles(id),
  kind       text NOT NULL CHECK (kind IN ('screenplay', 'subtitles', 'cast', 'cues')),
  path       text NOT NULL,
  sha256     text NOT NULL,
  body_sha256 text NOT NULL,          -- the document's bytes in the content store
  attached_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (title_id, kind, sha256)
);

CREATE TABLE subtitle_lines (
  title_id   text NOT NULL REFERENCES titles(id),
  idx        integer NOT NULL,
  start_s    double precision NOT NULL,
  end_s      double precision NOT NULL,
  text       text NOT NULL,
  shot_ids   text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (title_id, idx)
);

-- The screenplay parsed into elements, in script order.
CREATE TABLE screenplay_elements (
  title_id   text NOT NULL REFERENCES titles(id),
  idx        integer NOT NULL,
  scene      integer NOT NULL,        -- 0 before the first scene heading
  kind       text NOT NULL CHECK (kind IN ('scene_heading', 'action', 'character', 'dialogue', 'parenthetical', 'transition')),
  text       text NOT NULL,
  PRIMARY KEY (title_id, idx)
);

-- Cast list as the studio wrote it: character and the person who plays them.
CREATE TABLE title_credits (
  title_id   text NOT NULL REFERENCES titles(id),
  character  text NOT NULL,
  person     text NOT NULL,
  role       text NOT NULL DEFAULT 'actor',
  PRIMARY KEY (title_id, character, person)
);
`;
