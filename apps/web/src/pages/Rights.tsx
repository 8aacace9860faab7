// Rights: people and their consents, title grants with their licence windows on a timeline, cues,
// restrictions; import a registry file with a per-row error report; revoke a consent and see what it taints.
import { useState, type FormEvent } from 'react';
import { ApiError, post, upload } from '../api';
import { useSession } from '../session';
import { Badge, ErrorBox, Loading, Notice, messageOf, useResource } from '../components/ui';

interface Consent {
  id: string;
  personId: string;
  scopes: string[];
  grantedOn: string;
  revokedOn?: string | null;
  documentRef: string;
}
interface Grant {
  id: string;
  titleId: string;
  uses: string[];
  grantor: string;
  territory: string;
  startsOn: string;
  endsOn: string | null;
  contractRef: string;
  revokedOn?: string | null;
}
interface Cue {
  id: string;
  titleId: string;
  name: string;
  start: number;
  end: number;
  composer?: string | null;
  cleared: boolean;
}
interface Restriction {
  id: string;
  titleId: string;
  kind: string;
  start: number;
  end: number;
  note: string;
}
interface Registry {
  titles: Record<string, string>;
  people: Array<{ id: string; name: string; kind: string; aliases: string[] }>;
  consents: Consent[];
  grants: Grant[];
  cues: Cue[];
  restrictions: Restriction[];
}
interface ImportProblem {
  where: string;
  message: string;
}
interface TaintReport {
  cause: string;
  reason: string;
  datasets: Array<{ id: string; name: string; clips: number }>;
  models: Array<{ id: string; via: string }>;
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

export function Rights() {
  const { can } = useSession();
  const reg = useResource<Registry>('/api/rights/registry');
  const [problems, setProblems] = useState<ImportProblem[] | null>(null);
  const [importMsg, setImportMsg] = useState<string | null>(null);
  const [importErr, setImportErr] = useState<string | null>(null);
  const [revokeFor, setRevokeFor] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [taint, setTaint] = useState<{ person: string; reports: TaintReport[] } | null>(null);
  const [revokeErr, setRevokeErr] = useState<string | null>(null);

  async function importFile(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const file = (e.currentTarget.elements.namedItem('rights-file') as HTMLInputElement).files?.[0];
    if (!file) return;
    setProblems(null);
    setImportMsg(null);
    setImportErr(null);
    try {
      const uploaded = await upload(file, 'rights');
      const r = await post<{ counts: Record<string, number> }>('/api/rights/import', { sha256: uploaded.sha256, name: file.name });
      setImportMsg(`Imported ${file.name}: ${Object.entries(r.counts ?? {}).map(([k, n]) => `${n} ${k}`).join(', ')}.`);
      reg.reload();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'rights_import_invalid') {
        setProblems(Array.isArray(err.details) ? (err.details as ImportProblem[]) : []);
        setImportErr(err.message);
      } else setImportErr(messageOf(err));
    }
  }

  async function revoke(person: string) {
    setRevokeErr(null);
    try {
      const r = await post<{ person: { name: string }; taints: TaintReport[] }>(`/api/rights/people/${encodeURIComponent(person)}/revoke-consent`, { reason });
      setTaint({ person: r.person.name, reports: r.taints });
      setRevokeFor(null);
      setReason('');
      reg.reload();
    } catch (err) {
      setRevokeErr(messageOf(err));
    }
  }

  const grants = reg.data?.grants ?? [];
  const titleName = (id: string) => reg.data?.titles[id] ?? id;
  const times = grants.flatMap((g) => [Date.parse(g.startsOn), g.endsOn ? Date.parse(g.endsOn) : Date.now() + 365 * 864e5]);
  const t0 = Math.min(...times, Date.now());
  const t1 = Math.max(...times, Date.now() + 30 * 864e5);
  const pos = (t: number) => `${(100 * (t - t0)) / (t1 - t0)}%`;

  return (
    <>
      <h1>Rights</h1>
      <ErrorBox error={reg.error} />
      {reg.loading && !reg.data && <Loading what="the rights registry" />}

      {can('POST /api/rights/import') && (
        <section className="card" aria-labelledby="import-title">
          <h2 id="import-title" style={{ marginTop: 0 }}>
            Import a rights file
          </h2>
          <p className="muted">JSON or CSV export of grants, people, consents, appearances, cues and restrictions. Nothing is written unless every row is valid.</p>
          <form className="row" onSubmit={importFile}>
            <div className="grow">
              <label htmlFor="rights-file">Rights file</label>
              <input id="rights-file" name="rights-file" type="file" accept=".json,.csv,application/json,text/csv" required />
            </div>
            <button type="submit">Import</button>
          </form>
          {importMsg && <Notice kind="success">{importMsg}</Notice>}
          <ErrorBox error={importErr} />
          {problems && problems.length > 0 && (
            <table aria-label="Problems in the rights file">
              <thead>
                <tr>
                  <th>Where</th>
                  <th>Problem</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p, i) => (
                  <tr key={i}>
                    <td className="mono">{p.where}</td>
                    <td>{p.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      {taint && (
        <Notice kind="info">
          <strong>Consent of {taint.person} revoked.</strong>{' '}
          {(() => {
            const ds = taint.reports.flatMap((r) => r.datasets);
            const ms = taint.reports.flatMap((r) => r.models);
            if (!ds.length && !ms.length) return 'No dataset or model contained their clips.';
            return `Tainted: ${ds.map((d) => `dataset ${d.name} (${d.clips} clips)`).concat(ms.map((m) => `model ${m.id}`)).join(', ')}. Build a new dataset to leave these clips out.`;
          })()}
        </Notice>
      )}

      {reg.data && (
        <>
          <h2>People and consents</h2>
          <table>
            <thead>
              <tr>
                <th>Person</th>
                <th>Consents</th>
                {can('POST /api/rights/people/{person}/revoke-consent') && <th>Action</th>}
              </tr>
            </thead>
            <tbody>
              {reg.data.people.map((p) => {
                const cs = reg.data!.consents.filter((c) => c.personId === p.id);
                return (
                  <tr key={p.id}>
                    <td>
                      <strong>{p.name}</strong>
                      {p.aliases.length > 0 && <div className="muted">also {p.aliases.join(', ')}</div>}
                    </td>
                    <td>
                      {cs.length === 0 && <Badge kind="bad">no consent on record</Badge>}
                      {cs.map((c) => (
                        <div key={c.id}>
                          <Badge kind={c.revokedOn ? 'bad' : 'ok'}>{c.scopes.join(', ')}</Badge> <span className="muted">{c.revokedOn ? `revoked ${day(c.revokedOn)}` : `since ${day(c.grantedOn)}`}</span>
                        </div>
                      ))}
                    </td>
                    {can('POST /api/rights/people/{person}/revoke-consent') && (
                      <td>
                        {revokeFor === p.id ? (
                          <div>
                            <label htmlFor={`reason-${p.id}`}>Reason for revoking</label>
                            <input id={`reason-${p.id}`} value={reason} onChange={(e) => setReason(e.target.value)} />
                            <div className="row" style={{ marginTop: 6 }}>
                              <button className="danger" disabled={!reason.trim()} onClick={() => void revoke(p.name)}>
                                Revoke all consents
                              </button>
                              <button className="secondary" onClick={() => setRevokeFor(null)}>
                                Cancel
                              </button>
                            </div>
                            <ErrorBox error={revokeErr} />
                          </div>
                        ) : (
                          cs.some((c) => !c.revokedOn) && (
                            <button className="secondary" onClick={() => setRevokeFor(p.id)}>
                              Revoke consent…
                            </button>
                          )
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>

          <h2>Title grants</h2>
          <table>
            <thead>
              <tr>
                <th>Title</th>
                <th>Uses</th>
                <th>Grantor</th>
                <th>Window</th>
                <th style={{ width: '35%' }}>Licence window</th>
              </tr>
            </thead>
            <tbody>
              {grants.map((g) => {
                const s = Date.parse(g.startsOn);
                const e = g.endsOn ? Date.parse(g.endsOn) + 864e5 : t1;
                const live = !g.revokedOn && s <= Date.now() && e >= Date.now();
                return (
                  <tr key={g.id}>
                    <td>{titleName(g.titleId)}</td>
                    <td>{g.uses.join(', ')}</td>
                    <td>{g.grantor}</td>
                    <td>
                      {day(g.startsOn)} → {g.endsOn ? day(g.endsOn) : 'open'} {g.revokedOn ? <Badge kind="bad">revoked</Badge> : live ? <Badge kind="ok">in force</Badge> : <Badge kind="warn">not in force</Badge>}
                    </td>
                    <td>
                      <div className="timeline" role="img" aria-label={`Window ${day(g.startsOn)} to ${g.endsOn ? day(g.endsOn) : 'open'}`}>
                        <span style={{ position: 'absolute', top: 3, bottom: 3, left: pos(s), width: `calc(${pos(e)} - ${pos(s)})`, background: live ? 'var(--ok)' : 'var(--muted)', borderRadius: 3 }} />
                        <span className="mark" style={{ left: pos(Date.now()) }} title="today" />
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>

          <div className="split">
            <section>
              <h2>Music cues</h2>
              <table>
                <thead>
                  <tr>
                    <th>Title</th>
                    <th>Cue</th>
                    <th>Composer</th>
                    <th>Training</th>
                  </tr>
                </thead>
                <tbody>
                  {reg.data.cues.map((c) => (
                    <tr key={c.id}>
                      <td>{titleName(c.titleId)}</td>
                      <td>{c.name}</td>
                      <td>{c.composer ?? '—'}</td>
                      <td>{c.cleared ? <Badge kind="ok">cleared</Badge> : <Badge kind="bad">not cleared</Badge>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section>
              <h2>Restrictions</h2>
              <table>
                <thead>
                  <tr>
                    <th>Title</th>
                    <th>Kind</th>
                    <th>Note</th>
                  </tr>
                </thead>
                <tbody>
                  {reg.data.restrictions.map((r) => (
                    <tr key={r.id}>
                      <td>{titleName(r.titleId)}</td>
                      <td>{r.kind}</td>
                      <td>{r.note}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </>
  );
}
