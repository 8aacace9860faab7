// Audit: the hash-chained log with filters, and a button that verifies the whole chain.
import { useState } from 'react';
import { get } from '../api';
import { Badge, ErrorBox, Loading, Pager, messageOf, useDebounced, useResource } from '../components/ui';

interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: unknown;
  hash: string;
}
interface AuditVerification {
  ok: boolean;
  entries: number;
  firstBad?: { seq: number; problem: string } | null;
}

const PAGE = 50;

export function Audit() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [page, setPage] = useState(1);
  const a = useDebounced(actor.trim(), 300);
  const b = useDebounced(action.trim(), 300);
  const qs = new URLSearchParams({ limit: String(PAGE), offset: String((page - 1) * PAGE) });
  if (a) qs.set('actor', a);
  if (b) qs.set('action', b);
  const log = useResource<{ entries: AuditEntry[]; total: number }>(`/api/audit?${qs}`);
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

  return (
    <>
      <h1>Audit log</h1>
      <div className="row">
        <div className="field">
          <label htmlFor="f-actor">Who</label>
          <input id="f-actor" value={actor} onChange={(e) => setActor(e.target.value)} placeholder="e.g. ada" />
        </div>
        <div className="field">
          <label htmlFor="f-action">Action</label>
          <input id="f-action" value={action} onChange={(e) => setAction(e.target.value)} placeholder="e.g. consent.revoke" />
        </div>
        <div className="grow" />
        <button onClick={() => void verify()}>Verify the chain</button>
        {ver && (ver.ok ? <Badge kind="ok">chain intact ({ver.entries} entries)</Badge> : <Badge kind="bad">broken at entry {ver.firstBad?.seq}</Badge>)}
      </div>
      {ver && !ver.ok && ver.firstBad && <ErrorBox error={`Entry ${ver.firstBad.seq}: ${ver.firstBad.problem}`} />}
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
              {log.data.entries.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{e.at.replace('T', ' ').slice(0, 19)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td className="mono">{e.subject ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} pages={Math.max(1, Math.ceil(log.data.total / PAGE))} onPage={setPage} />
        </>
      )}
    </>
  );
}
