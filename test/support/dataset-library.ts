// A small library for dataset tests: three titles of three 1 s shots, each shot its own scene in the
// screenplay with one subtitle, proxies made by ffmpeg, and rights that let some shots in and keep
// others out. Used by the workflow tests and the CLI tests.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from '@backlot/adapters/ffmpeg';
import type { Workspace } from '@backlot/adapters/workspace';

const COLOURS = ['red', 'blue', 'green'];
const DIRECTIONS = ['left', 'right', 'up'];
const BACKGROUNDS = [['NIGHT SKY', 'NIGHT', 'black'], ['BRICK WALL', 'DAY', 'brown'], ['GRASS FIELD', 'DAY', 'darkgreen']] as const;

/** A 1 s, 24 fps proxy: a coloured square crossing a plain background. */
async function makeProxy(ws: Workspace, colour: string, dir: string, bg: string): Promise<string> {
  const path = join(tmpdir(), `proxy-${process.pid}-${colour}-${dir}-${bg}.mp4`);
  const x = dir === 'left' ? '100-80*t' : dir === 'right' ? '10+80*t' : '56';
  const y = dir === 'up' ? '50-40*t' : '28';
  await ffmpeg(['-f', 'lavfi', '-i', `color=c=${bg}:s=128x72:r=24:d=1`, '-f', 'lavfi', '-i', `color=c=${colour}:s=16x16:r=24:d=1`,
    '-filter_complex', `[0][1]overlay=x='${x}':y='${y}'`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-t', '1', path]);
  return ws.store.putFileCopy(path);
}

/**
 * Three titles of three 1 s shots. Each shot is its own scene in the screenplay (heading, action line,
 * dialogue) and has one subtitle. Title T1 and T2 have grants; T3 has none. Person P1 (consented) is in
 * all of T1; person P2 (no consent) is on screen in T2 from 1 s to 2 s.
 */
export async function seedLibrary(ws: Workspace): Promise<void> {
  const q = (sql: string, p: unknown[] = []) => ws.db.query(sql, p);
  for (let t = 1; t <= 3; t++) {
    const tid = `t${t}`;
    const sha = `${String(t).repeat(12)}${'0'.repeat(52)}`;
    await q('INSERT INTO titles (id, name, year) VALUES ($1, $2, $3)', [tid, `Demo Film ${t}`, 2026]);
    await q(`INSERT INTO media_files (id, sha256, title_id, path, size_bytes, container, duration_s, video_codec, width, height, fps_num, fps_den, probe, status)
             VALUES ($1, $2, $3, $4, 1000, 'mp4', 3, 'h264', 128, 72, 24, 1, '{}', 'ready')`, [`m${t}`, sha, tid, `/films/${tid}.mp4`]);
    let idx = 0;
    for (let s = 0; s < 3; s++) {
      const colour = COLOURS[(t + s) % 3]!;
      const dir = DIRECTIONS[(t * 2 + s) % 3]!;
      const [place, time, bg] = BACKGROUNDS[s]!;
      const proxy = await makeProxy(ws, colour, dir, bg);
      await q(`INSERT INTO shots (id, media_file_id, title_id, idx, start_frame, end_frame, start_s, end_s, transition_in, keyframe, mean_luma, sharpness, motion, is_black, letterbox, phash, proxy_sha256)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'cut', $5, 40, 10, 3, false, false, '0000000000000000', $9)`,
        [`${sha.slice(0, 12)}-${s}`, `m${t}`, tid, s, s * 24, s * 24 + 23, s, s + 1, proxy]);
      await q('INSERT INTO screenplay_elements (title_id, idx, scene, kind, text) VALUES ($1,$2,$3,$4,$5),($1,$6,$3,$7,$8),($1,$9,$3,$10,$11),($1,$12,$3,$13,$14)', [
        tid, idx, s + 1, 'scene_heading', `EXT. ${place} - ${time}`, idx + 1, 'action', `A ${colour} square moving ${dir}.`,
        idx + 2, 'character', 'NARRATOR', idx + 3, 'dialogue', `Look at the ${colour} square go ${dir}!`]);
      idx += 4;
      await q('INSERT INTO subtitle_lines (title_id, idx, start_s, end_s, text) VALUES ($1, $2, $3, $4, $5)', [tid, s + 1, s + 0.1, s + 0.9, `Look at the ${colour} square go ${dir}.`]);
    }
  }
  await q(`INSERT INTO rights_grants (id, title_id, uses, grantor, starts_on, ends_on, contract_ref) VALUES
    ('g1', 't1', '{train-video}', 'Studio', '2020-01-01', NULL, 'C-1'), ('g2', 't2', '{train-video}', 'Studio', '2020-01-01', '2030-12-31', 'C-2')`);
  await q(`INSERT INTO people (id, name, kind) VALUES ('p1', 'Ada Actor', 'actor'), ('p2', 'Bo Background', 'actor')`);
  await q(`INSERT INTO consents (id, person_id, scopes, granted_on, document_ref) VALUES ('c1', 'p1', '{training-footage}', '2021-01-01', 'REL-1')`);
  await q(`INSERT INTO appearances (id, person_id, title_id, start_s, end_s) VALUES ('a1', 'p1', 't1', NULL, NULL), ('a2', 'p2', 't2', 1, 2)`);
}

