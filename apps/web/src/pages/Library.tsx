// Library: titles, then one title's contact sheet with rights badges, a shot player and the
// title player with shot marks on its timeline. Search covers titles, captions, screenplay, subtitles.
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Badge, ErrorBox, Loading, Pager, timecode, useDebounced, useResource } from '../components/ui';

export interface TitleSummary {
  id: string;
  name: string;
  kind: string;
  year: number | null;
  shotCount: number;
  durationSeconds: number;
  trainable?: number | null;
  excluded?: number | null;
}

export interface ShotRow {
  id: string;
  index: number;
  start: number;
  end: number;
  startFrame: number;
  endFrame: number;
  transitionIn: string;
  meanLuma: number;
  motion: number;
  hasProxy: boolean;
  keyframeUrl: string | null;
  proxyUrl: string | null;
  rights?: { allowed: boolean; reasons: string[] } | null;
  subtitles?: string[];
}

interface TitleDetail {
  title: TitleSummary & { metadata?: Record<string, unknown> };
  fps: number;
  durationSeconds: number;
  videoUrl: string | null;
  documents: Array<{ kind: string; path: string }>;
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
                  {t.kind}
                  {t.year ? ` · ${t.year}` : ''} · {timecode(t.durationSeconds).slice(0, 8)}
                </div>
                <div className="row" style={{ marginTop: 8 }}>
                  <Badge kind="info">{t.shotCount} shots</Badge>
                  {t.trainable != null && <Badge kind="ok">{t.trainable} trainable</Badge>}
                  {t.excluded ? <Badge kind="bad">{t.excluded} excluded</Badge> : null}
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
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<ShotRow | null>(null);
  const detail = useResource<TitleDetail>(`/api/titles/${encodeURIComponent(titleId)}`);
  const shots = useResource<{ shots: ShotRow[]; total: number }>(
    `/api/titles/${encodeURIComponent(titleId)}/shots?offset=${(page - 1) * PAGE_SIZE}&limit=${PAGE_SIZE}`,
  );
  const allMarks = useResource<{ shots: ShotRow[]; total: number }>(`/api/titles/${encodeURIComponent(titleId)}/shots?offset=0&limit=2000`);
  const duration = detail.data?.durationSeconds ?? 0;
  const fps = detail.data?.fps ?? 24;
  const pages = Math.max(1, Math.ceil((shots.data?.total ?? 0) / PAGE_SIZE));
  const marks = useMemo(() => (allMarks.data?.shots ?? []).filter((s) => s.transitionIn !== 'none'), [allMarks.data]);

  return (
    <>
      <p>
        <Link to="/library">← Library</Link>
      </p>
      <ErrorBox error={detail.error} />
      {detail.data && (
        <>
          <h1>{detail.data.title.name}</h1>
          <p className="muted">
            {detail.data.title.shotCount} shots · {timecode(duration, fps)} · {fps.toFixed(3).replace(/\.?0+$/, '')} fps
            {detail.data.documents.length > 0 && ` · ${detail.data.documents.map((d) => d.kind).join(', ')}`}
          </p>
          <div className="split">
            <section aria-label="Player">
              {selected?.proxyUrl ? (
                <>
                  <video key={selected.id} src={selected.proxyUrl} controls autoPlay muted aria-label={`Shot ${selected.index + 1}`} />
                  <p>
                    Shot {selected.index + 1}: {timecode(selected.start, fps)} – {timecode(selected.end, fps)} ({selected.transitionIn === 'none' ? 'opening' : selected.transitionIn})
                  </p>
                  <RightsVerdict shot={selected} />
                  {selected.subtitles?.length ? <blockquote>{selected.subtitles.join(' ')}</blockquote> : null}
                </>
              ) : detail.data.videoUrl ? (
                <video src={detail.data.videoUrl} controls aria-label={`${detail.data.title.name}, whole title`} />
              ) : (
                <p className="muted">Choose a shot to play it.</p>
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
                  {Object.entries(detail.data.title.metadata ?? {}).slice(0, 12).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
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
      {shots.loading && !shots.data && <Loading what="shots" />}
      <div className="shots">
        {shots.data?.shots.map((s) => (
          <button key={s.id} className="shot" onClick={() => setSelected(s)} aria-label={`Play shot ${s.index + 1} at ${timecode(s.start, fps)}`} aria-pressed={selected?.id === s.id}>
            {s.keyframeUrl ? <img src={s.keyframeUrl} alt="" loading="lazy" /> : <div style={{ aspectRatio: '16/9', background: '#000' }} />}
            <div className="meta">
              <div className="row">
                <span className="mono grow">{timecode(s.start, fps)}</span>
                {s.transitionIn !== 'none' && <Badge kind="info">{s.transitionIn}</Badge>}
              </div>
              {s.rights && (s.rights.allowed ? <Badge kind="ok">trainable</Badge> : <Badge kind="bad">excluded</Badge>)}
            </div>
          </button>
        ))}
      </div>
      <Pager page={page} pages={pages} onPage={setPage} />
    </>
  );
}

function RightsVerdict({ shot }: { shot: ShotRow }) {
  if (!shot.rights) return null;
  if (shot.rights.allowed) return <Badge kind="ok">May be trained on</Badge>;
  return (
    <div className="alert error" style={{ marginTop: 8 }}>
      <strong>Excluded from training:</strong>
      <ul style={{ margin: '4px 0 0' }}>
        {shot.rights.reasons.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
    </div>
  );
}
