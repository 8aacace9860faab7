// Usage and royalties: likeness use per person and attribution shares per title, exportable as CSV.
import { useState } from 'react';
import { ErrorBox, Loading, useResource } from '../components/ui';

interface UsageRow {
  person: string;
  consent: string;
  project: string | null;
  generations: number;
  seconds: number;
}
interface RoyaltyRow {
  title: string;
  generations: number;
  share: number;
}

const monthAgo = () => new Date(Date.now() - 30 * 864e5).toISOString().slice(0, 10);
const today = () => new Date(Date.now() + 864e5).toISOString().slice(0, 10);

export function Usage() {
  const [from, setFrom] = useState(monthAgo());
  const [to, setTo] = useState(today());
  const range = `from=${from}&to=${to}`;
  const usage = useResource<{ rows: UsageRow[] }>(`/api/usage?${range}`);
  const royalties = useResource<{ rows: RoyaltyRow[] }>(`/api/royalties?${range}`);
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
        <section>
          <div className="row">
            <h2 className="grow">Likeness use per person</h2>
            <a className="button" href={`/api/usage?${range}&format=csv`} download="likeness-usage.csv">
              Export CSV
            </a>
          </div>
          <ErrorBox error={usage.error} />
          {usage.loading && !usage.data && <Loading what="usage" />}
          {usage.data?.rows.length === 0 && <p className="muted">No likeness use in this period.</p>}
          {!!usage.data?.rows.length && (
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Consent</th>
                  <th>Project</th>
                  <th>Clips</th>
                  <th>Seconds</th>
                </tr>
              </thead>
              <tbody>
                {usage.data.rows.map((r, i) => (
                  <tr key={i}>
                    <td>{r.person}</td>
                    <td className="mono">{r.consent}</td>
                    <td>{r.project ?? '—'}</td>
                    <td>{r.generations}</td>
                    <td>{r.seconds.toFixed(1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section>
          <div className="row">
            <h2 className="grow">Royalties per title</h2>
            <a className="button" href={`/api/royalties?${range}&format=csv`} download="royalties.csv">
              Export CSV
            </a>
          </div>
          <ErrorBox error={royalties.error} />
          {royalties.loading && !royalties.data && <Loading what="royalties" />}
          {royalties.data?.rows.length === 0 && <p className="muted">No generations in this period.</p>}
          {!!royalties.data?.rows.length && (
            <table>
              <thead>
                <tr>
                  <th>Title</th>
                  <th>Generations</th>
                  <th>Share</th>
                </tr>
              </thead>
              <tbody>
                {royalties.data.rows.map((r) => (
                  <tr key={r.title}>
                    <td>{r.title}</td>
                    <td>{r.generations}</td>
                    <td>{r.share.toFixed(3)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}
