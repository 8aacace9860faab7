// Library: titles, then one title's contact sheet with rights badges, a shot player and the
// title player with shot marks on its timeline. Search covers titles, captions, screenplay, subtitles.
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../session';
import { Badge, ErrorBox, Loading, timecode, useDebounced, useResource } from '../components/ui';

export interface TitleSummary {
  id: string;
  name: string;
  year: number | null;
  files: number;
  shots: number;
  proxies: number;
  durationSeconds: number;
  ready: boolean;
  documents: string[];
}

export interface ShotRow {
  id: string;
  titleId: string;
  index: number;
  start: number;
  end: number;
  startFrame: number;
  endFrame: number;
  transitionIn: string;
  meanLuma: number;
  motion: number;
  hasKeyframe: boolean;
  hasProxy: boolean;
}

interface TitleDetail extends TitleSummary {
  kind: string;
  mediaFiles: Array<{ id: string; fps: number; fpsExact: string; width: number; height: number; durationSeconds: number; videoCodec: string }>;
  credits: Array<{ character: string; person: string; role: string }>;
  transitions: Record<string, number>;
  subtitleLines: number;
  screenplayElements: number;
}

interface ShotVerdict {
  shotId: string;
  allowed: boolean;
  rules: Array<{ rule: string; outcome: string; detail: string }>;
}

interface SearchHit {
  titleId: string;
  title: string;
  shotId: string | null;
  start: number | null;
  source: string;
  text: string;
}

const PAGE_SIZE = 48;

export function Library() {
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 250);
  const titles = useResource<{ titles: TitleSummary[] }>('/api/titles');
  const search = useResource<{ hits: SearchHit[] }>(query.length >= 2 ? `/api/search?q=${encodeURIComponent(query)}` : null);

  return (
    <>
      <h1>Library</h1>
      <div className="field" style={{ maxWidth: 520 }}>
        <label htmlFor="library-search">Search titles, captions, screenplay and subtitles</label>
        <input id="library-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. red ball, MAYA, forest" />
      </div>
      {query.length >= 2 ? (
        <section aria-label="Search results">
          <h2>Results for “{query}”</h2>
          <ErrorBox error={search.error} />
          {search.loading && <Loading what="results" />}
          {search.data && search.data.hits.length === 0 && <p className="muted">Nothing matches.</p>}
          {search.data && search.data.hits.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Title</th>
                  <th>Where</th>
                  <th>Found in</th>
                  <th>Text</th>
                </tr>
              </thead>
              <tbody>
                {search.data.hits.map((h, i) => (
                  <tr key={i}>
                    <td>
                      <Link to={`/library/${h.titleId}${h.shotId ? `?shot=${h.shotId}` : ''}`}>{h.title}</Link>
                    </td>
                    <td className="mono">{h.start !== null ? timecode(h.start) : '—'}</td>
                    <td>{h.source}</td>
                    <td>{h.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ) : (
        <section aria-label="Titles">
          <ErrorBox error={titles.error} />
          {titles.loading && !titles.data && <Loading what="titles" />}
          {titles.data && titles.data.titles.length === 0 && (
            <p className="muted">No titles yet. Ingest films with <code>backlot ingest PATH</code>.</p>
          )}
          <div className="cards">
            {titles.data?.titles.map((t) => (
              <Link key={t.id} to={`/library/${t.id}`} className="card" style={{ textDecoration: 'none', color: 'inherit' }}>
                <strong>{t.name}</strong>
                <div className="muted">
                  {t.year ?? 'year unknown'} · {timecode(t.durationSeconds).slice(0, 8)}
                  {t.documents.length > 0 && ` · ${t.documents.join(', ')}`}
                </div>
                <div className="row" style={{ marginTop: 8 }}>
                  <Badge kind="info">{t.shots} shots</Badge>
                  <Badge kind="info">{t.proxies} proxies</Badge>
                  {!t.ready && <Badge kind="warn">ingest unfinished</Badge>}
                </div>
              </Link>
            ))}
          </div>
        </section>
      )}
    </>
  );
}

export function TitlePage() {
  const { titleId = '' } = useParams();
  const { can } = useSession();
  // Keyset paging: the cursor of each page seen so far, so Previous works without offsets.
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [selected, setSelected] = useState<ShotRow | null>(null);
  const id = encodeURIComponent(titleId);
  const after = cursors[cursors.length - 1];
  const detail = useResource<TitleDetail>(`/api/titles/${id}`);
  const shots = useResource<{ shots: ShotRow[]; next: string | null }>(`/api/shots?title=${id}&limit=${PAGE_SIZE}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
  const allMarks = useResource<{ shots: ShotRow[]; next: string | null }>(`/api/shots?title=${id}&limit=500`);
  const check = useResource<{ shots?: ShotVerdict[] }>(can('GET /api/rights/check') ? `/api/rights/check?title=${id}` : null);
  const verdicts = useMemo(() => new Map((check.data?.shots ?? []).map((v) => [v.shotId, v])), [check.data]);
  const duration = detail.data?.durationSeconds ?? 0;
  const fps = detail.data?.mediaFiles[0]?.fps ?? 24;
  const marks = useMemo(() => (allMarks.data?.shots ?? []).filter((s) => s.transitionIn !== 'none'), [allMarks.data]);
  const verdict = selected ? verdicts.get(selected.id) : undefined;

  return (
    <>
      <p>
        <Link to="/library">← Library</Link>
      </p>
      <ErrorBox error={detail.error} />
      {detail.data && (
        <>
          <h1>{detail.data.name}</h1>
          <p className="muted">
            {detail.data.shots} shots · {timecode(duration, fps)} · {fps.toFixed(3).replace(/\.?0+$/, '')} fps
            {detail.data.documents.length > 0 && ` · ${detail.data.documents.join(', ')}`}
          </p>
          <div className="split">
            <section aria-label="Player">
              {selected ? (
                <>
                  {selected.hasProxy ? (
                    <video key={selected.id} src={`/api/shots/${encodeURIComponent(selected.id)}/proxy`} controls autoPlay muted aria-label={`Shot ${selected.index + 1}`} />
                  ) : (
                    <p className="muted">This shot has no training proxy (too short, or black).</p>
                  )}
                  <p>
                    Shot {selected.index + 1}: {timecode(selected.start, fps)} – {timecode(selected.end, fps)} ({selected.transitionIn === 'none' ? 'opening' : `after a ${selected.transitionIn}`})
                  </p>
                  <RightsVerdict verdict={verdict} />
                </>
              ) : (
                <video src={`/api/titles/${id}/video`} controls aria-label={`${detail.data.name}, whole title`} />
              )}
              {duration > 0 && (
                <div className="timeline" aria-label="Shot boundaries on the title timeline" role="img">
                  {marks.map((s) => (
                    <span
                      key={s.id}
                      className={`mark ${s.transitionIn === 'cut' ? '' : 'gradual'}`}
                      style={{ left: `${(100 * s.start) / duration}%` }}
                      title={`${s.transitionIn} at ${timecode(s.start, fps)}`}
                    />
                  ))}
                </div>
              )}
            </section>
            <section aria-label="About this title">
              <table>
                <tbody>
                  <tr>
                    <th scope="row">Transitions</th>
                    <td>
                      {Object.entries(detail.data.transitions)
                        .filter(([, n]) => n > 0)
                        .map(([k, n]) => `${n} ${k}`)
                        .join(', ') || 'none'}
                    </td>
                  </tr>
                  <tr>
                    <th scope="row">Cast</th>
                    <td>{detail.data.credits.map((c) => `${c.character} (${c.person})`).join(', ') || '—'}</td>
                  </tr>
                  <tr>
                    <th scope="row">Screenplay / subtitles</th>
                    <td>
                      {detail.data.screenplayElements} elements / {detail.data.subtitleLines} lines
                    </td>
                  </tr>
                  {detail.data.mediaFiles.map((m) => (
                    <tr key={m.id}>
                      <th scope="row">Source</th>
                      <td>
                        {m.width}×{m.height} {m.videoCodec} {m.fpsExact} fps
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
      <h2>Shots</h2>
      <ErrorBox error={shots.error} />
      <ErrorBox error={check.error} />
      {shots.loading && !shots.data && <Loading what="shots" />}
      <div className="shots">
        {shots.data?.shots.map((s) => {
          const v = verdicts.get(s.id);
          return (
            <button key={s.id} className="shot" onClick={() => setSelected(s)} aria-pressed={selected?.id === s.id}>
              <span className="sr-only">Play shot {s.index + 1} at </span>
              {s.hasKeyframe ? <img src={`/api/shots/${encodeURIComponent(s.id)}/keyframe`} alt="" loading="lazy" /> : <div style={{ aspectRatio: '16/9', background: '#000' }} />}
              <div className="meta">
                <div className="row">
                  <span className="mono grow">{timecode(s.start, fps)}</span>
                  {s.transitionIn !== 'none' && <Badge kind="info">{s.transitionIn}</Badge>}
                </div>
                {v && (v.allowed ? <Badge kind="ok">trainable</Badge> : <Badge kind="bad">excluded</Badge>)}
              </div>
            </button>
          );
        })}
      </div>
      <nav className="pager" aria-label="Pages of shots">
        <button className="secondary" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <span>Page {cursors.length}</span>
        <button className="secondary" disabled={!shots.data?.next} onClick={() => shots.data?.next && setCursors((c) => [...c, shots.data!.next])}>
          Next
        </button>
      </nav>
    </>
  );
}

function RightsVerdict({ verdict }: { verdict: ShotVerdict | undefined }) {
  if (!verdict) return null;
  if (verdict.allowed) return <Badge kind="ok">May be trained on</Badge>;
  return (
    <div className="alert error" style={{ marginTop: 8 }}>
      <strong>Excluded from training:</strong>
      <ul style={{ margin: '4px 0 0' }}>
        {verdict.rules
          .filter((r) => r.outcome === 'deny')
          .map((r, i) => (
            <li key={i}>{r.detail}</li>
          ))}
      </ul>
    </div>
  );
}
