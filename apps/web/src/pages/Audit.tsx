// Audit: the hash-chained log with filters, and a button that verifies the whole chain.
import { useState } from 'react';
import { get } from '../api';
import { Badge, ErrorBox, Loading, messageOf, useDebounced, useResource } from '../components/ui';

interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  hash: string;
}
interface AuditVerification {
  ok: boolean;
  entries: number;
  headSeq: number;
  firstProblem: { seq: number; kind: string; message: string } | null;
}

const PAGE = 50;

export function Audit() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  // Newest first; "Older" moves the window to before the last entry shown.
  const [until, setUntil] = useState<string[]>([]);
  const a = useDebounced(actor.trim(), 300);
  const b = useDebounced(action.trim(), 300);
  const qs = new URLSearchParams({ limit: String(PAGE) });
  if (a) qs.set('actor', a);
  if (b) qs.set('action', b);
  const before = until[until.length - 1];
  if (before) qs.set('until', before);
  const log = useResource<{ entries: AuditEntry[] }>(`/api/audit?${qs}`);
  const [ver, setVer] = useState<AuditVerification | null>(null);
  const [verErr, setVerErr] = useState<string | null>(null);

  async function verify() {
    setVerErr(null);
    try {
      setVer(await get<AuditVerification>('/api/audit/verify'));
    } catch (e) {
      setVerErr(messageOf(e));
    }
  }

  const entries = log.data?.entries ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <div className="row">
        <div className="field">
          <label htmlFor="f-actor">Who</label>
          <input id="f-actor" value={actor} onChange={(e) => setActor(e.target.value)} placeholder="e.g. web:admin" />
        </div>
        <div className="field">
          <label htmlFor="f-action">Action</label>
          <input id="f-action" value={action} onChange={(e) => setAction(e.target.value)} placeholder="e.g. rights" />
        </div>
        <div className="grow" />
        <button onClick={() => void verify()}>Verify the chain</button>
        {ver && (ver.ok ? <Badge kind="ok">chain intact ({ver.entries} entries)</Badge> : <Badge kind="bad">broken at entry {ver.firstProblem?.seq}</Badge>)}
      </div>
      {ver && !ver.ok && ver.firstProblem && <ErrorBox error={`Entry ${ver.firstProblem.seq} (${ver.firstProblem.kind}): ${ver.firstProblem.message}`} />}
      <ErrorBox error={verErr} />
      <ErrorBox error={log.error} />
      {log.loading && !log.data && <Loading what="the audit log" />}
      {log.data && (
        <>
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>Subject</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{e.at.replace('T', ' ').slice(0, 19)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td className="mono">{e.subject}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Older and newer entries">
            <button className="secondary" disabled={until.length === 0} onClick={() => setUntil((u) => u.slice(0, -1))}>
              Newer
            </button>
            <button className="secondary" disabled={entries.length < PAGE} onClick={() => setUntil((u) => [...u, entries[entries.length - 1]!.at])}>
              Older
            </button>
          </nav>
        </>
      )}
    </>
  );
}
