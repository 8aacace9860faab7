// Usage and royalties: likeness use per person (what the studio owes talent for digital replicas)
// and attribution shares per title, each exportable as CSV.
import { useState } from 'react';
import { downloadCsv } from '../components/csv';
import { ErrorBox, Loading, useResource } from '../components/ui';

interface UsageReport {
  person: { id: string; name: string };
  lines: Array<{ at: string; generationId: string; consentId: string; seconds: number; project: string | null; modelId: string }>;
  totalSeconds: number;
}
interface Royalties {
  generations: number;
  generatedSeconds: number;
  titles: Array<{ titleId: string; title: string; generations: number; shares: number; attributedSeconds: number; fraction: number }>;
}

const monthAgo = () => new Date(Date.now() - 30 * 864e5).toISOString().slice(0, 10);
const today = () => new Date().toISOString().slice(0, 10);

export function Usage() {
  const [from, setFrom] = useState(monthAgo());
  const [to, setTo] = useState(today());
  const [person, setPerson] = useState('');
  const range = `from=${from}&to=${to}`;
  const people = useResource<{ people: Array<{ id: string; name: string }> }>('/api/rights/registry');
  const usage = useResource<UsageReport>(person ? `/api/usage?person=${encodeURIComponent(person)}&${range}` : null);
  const royalties = useResource<Royalties>(`/api/royalties?${range}`);

  return (
    <>
      <h1>Usage and royalties</h1>
      <div className="row">
        <div className="field">
          <label htmlFor="from">From</label>
          <input id="from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="to">To</label>
          <input id="to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
      </div>
      <div className="split">
        <section aria-labelledby="usage-title">
          <h2 id="usage-title">Likeness use per person</h2>
          <div className="row">
            <div className="field grow">
              <label htmlFor="person">Person</label>
              <select id="person" value={person} onChange={(e) => setPerson(e.target.value)}>
                <option value="">choose…</option>
                {people.data?.people.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <button
              className="secondary"
              disabled={!usage.data}
              onClick={() =>
                usage.data &&
                downloadCsv(
                  `likeness-usage-${usage.data.person.id}-${from}-${to}.csv`,
                  ['at', 'person', 'consent', 'project', 'model', 'generation', 'seconds'],
                  usage.data.lines.map((l) => [l.at, usage.data!.person.name, l.consentId, l.project, l.modelId, l.generationId, l.seconds]),
                )
              }
            >
              Export CSV
            </button>
          </div>
          <ErrorBox error={people.error ?? usage.error} />
          {usage.loading && <Loading what="usage" />}
          {usage.data && usage.data.lines.length === 0 && <p className="muted">No use of {usage.data.person.name}'s likeness in this period.</p>}
          {usage.data && usage.data.lines.length > 0 && (
            <>
              <p>
                {usage.data.person.name}: {usage.data.totalSeconds.toFixed(1)} s generated in {usage.data.lines.length} clips.
              </p>
              <table>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Project</th>
                    <th>Consent</th>
                    <th>Seconds</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.data.lines.map((l) => (
                    <tr key={l.generationId}>
                      <td>{l.at.replace('T', ' ').slice(0, 16)}</td>
                      <td>{l.project ?? '—'}</td>
                      <td className="mono">{l.consentId}</td>
                      <td>{l.seconds.toFixed(1)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
        <section aria-labelledby="royalties-title">
          <div className="row">
            <h2 id="royalties-title" className="grow">
              Royalties per title
            </h2>
            <button
              className="secondary"
              disabled={!royalties.data?.titles.length}
              onClick={() =>
                royalties.data &&
                downloadCsv(
                  `royalties-${from}-${to}.csv`,
                  ['title', 'generations', 'shares', 'attributed_seconds', 'fraction'],
                  royalties.data.titles.map((t) => [t.title, t.generations, t.shares.toFixed(4), t.attributedSeconds.toFixed(2), t.fraction.toFixed(4)]),
                )
              }
            >
              Export CSV
            </button>
          </div>
          <ErrorBox error={royalties.error} />
          {royalties.loading && !royalties.data && <Loading what="royalties" />}
          {royalties.data?.titles.length === 0 && <p className="muted">No generations in this period.</p>}
          {!!royalties.data?.titles.length && (
            <>
              <p>
                {royalties.data.generations} generations, {royalties.data.generatedSeconds.toFixed(1)} s in all.
              </p>
              <table>
                <thead>
                  <tr>
                    <th>Title</th>
                    <th>Generations</th>
                    <th>Attributed seconds</th>
                    <th>Share</th>
                  </tr>
                </thead>
                <tbody>
                  {royalties.data.titles.map((t) => (
                    <tr key={t.titleId}>
                      <td>{t.title}</td>
                      <td>{t.generations}</td>
                      <td>{t.attributedSeconds.toFixed(2)}</td>
                      <td>{(100 * t.fraction).toFixed(1)}%</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      </div>
    </>
  );
}
