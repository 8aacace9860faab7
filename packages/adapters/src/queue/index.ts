// The one job runner: pg-boss 10 schedules jobs (on the embedded PGlite in-process, or on a
// PostgreSQL server shared by several machines); the `jobs` table (migration 0005) keeps what people
// see - progress, result, error, history - because pg-boss 10 has no progress API.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import PgBoss from 'pg-boss';
import { isBacklotError, type ProgressEvent, type ProgressSink } from '@backlot/core';
import type { Db, PgliteDb } from '../db/index.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export interface JobKindSpec {
  /** Jobs of this kind one process runs at once. */
  concurrency: number;
  /** Extra attempts after a crash or an unexpected error; 0 where re-running is not safe or too costly. */
  retryLimit: number;
  /** A job running longer than this is presumed dead (its worker vanished) and retried or failed. */
  expireInSeconds: number;
}

export interface JobContext {
  jobId: string;
  actor: string;
  attempt: number;
  onProgress: ProgressSink;
  signal: AbortSignal;
}

export type JobHandler = (input: unknown, ctx: JobContext) => Promise<unknown>;

export interface JobEvent {
  event: 'queued' | 'started' | 'completed' | 'failed' | 'cancelled' | 'retrying';
  attempt: number;
  worker: string | null;
  detail: string | null;
  at: string;
}

export interface JobView {
  id: string;
  kind: string;
  actor: string;
  state: JobState;
  input: unknown;
  /** Latest event of each task the job reports. */
  progress: ProgressEvent[];
  result: unknown;
  error: { code: string; message: string } | null;
  attempts: number;
  cancelRequested: boolean;
  worker: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobFilter {
  kind?: string;
  state?: JobState;
  actor?: string;
  limit?: number;
  /** Jobs created before this ISO time (paging). */
  before?: string;
}

interface JobRow {
  id: string;
  kind: string;
  actor: string;
  state: JobState;
  input: unknown;
  progress: Record<string, ProgressEvent> | null;
  result: unknown;
  error: { code: string; message: string } | null;
  attempts: number;
  cancel_requested: boolean;
  worker: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function toView(r: JobRow): JobView {
  return {
    id: r.id,
    kind: r.kind,
    actor: r.actor,
    state: r.state,
    input: r.input,
    progress: Object.values(r.progress ?? {}),
    result: r.result ?? null,
    error: r.error ?? null,
    attempts: r.attempts,
    cancelRequested: r.cancel_requested,
    worker: r.worker,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

const JOB_COLUMNS = 'id, kind, actor, state, input, progress, result, error, attempts, cancel_requested, worker, created_at, started_at, finished_at';

/** pg-boss talks to the database through this; PGlite needs exec for its multi-statement migrations. */
function executorFor(db: Db): PgBoss.Db {
  if (db.dialect === 'pglite' && 'lite' in db) {
    const lite = (db as PgliteDb).lite;
    return {
      executeSql: async (text, values) =>
        values?.length ? lite.query(text, values) : lite.exec(text).then((r) => r.at(-1) ?? { rows: [] }),
    };
  }
  return { executeSql: async (text, values) => ({ rows: (await db.query(text, values?.length ? values : undefined)) ?? [] }) };
}

/** How often a running job looks for a cancel request made by another process. */
const CANCEL_POLL_MS = 1000;
/** Progress is written at most this often per job (and always on a task's last event). */
const PROGRESS_WRITE_MS = 300;

export interface QueueOptions {
  kinds: Record<string, JobKindSpec>;
  /** Name written on jobs this process runs. */
  workerName?: string;
  /**
   * This process is the only one that can be running jobs (the owner of an embedded workspace):
   * jobs left running by a previous owner that died are retried at once instead of after expiry.
   */
  soleWorker?: boolean;
  /** How often idle workers look for jobs sent by other processes. */
  pollingIntervalSeconds?: number;
}

export class JobQueue {
  private readonly changes = new EventEmitter();
  private readonly running = new Map<string, AbortController>();
  private readonly workerIds = new Map<string, string[]>();
  private reconcileTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly workerName: string;

  private constructor(
    private readonly db: Db,
    private readonly boss: PgBoss,
    private readonly opts: QueueOptions,
  ) {
    this.workerName = opts.workerName ?? `${hostname()}:${process.pid}`;
    this.changes.setMaxListeners(0);
  }

  static async open(db: Db, opts: QueueOptions): Promise<JobQueue> {
    const boss = new PgBoss({
      db: executorFor(db),
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: 30,
      // Finished jobs stay in pg-boss only briefly; the jobs table is the record people read.
      deleteAfterDays: 7,
    });
    const queue = new JobQueue(db, boss, opts);
    boss.on('error', (e: Error) => {
      // Maintenance errors are not fatal (the next run retries); keep them out of responses.
      if (!queue.stopped) process.stderr.write(`backlot queue: ${e.message}\n`);
    });
    await boss.start();
    for (const [kind, spec] of Object.entries(opts.kinds)) {
      const existing = await boss.getQueue(kind);
      const settings = { name: kind, policy: 'standard' as const, retryLimit: spec.retryLimit, retryDelay: 1, expireInSeconds: spec.expireInSeconds };
      if (existing) await boss.updateQueue(kind, settings);
      else await boss.createQueue(kind, settings);
    }
    if (opts.soleWorker) await queue.recoverOrphans();
    queue.reconcileTimer = setInterval(() => void queue.reconcile().catch(() => {}), 15_000);
    queue.reconcileTimer.unref();
    return queue;
  }

  /** Records the job and hands it to pg-boss in one transaction, so neither exists without the other. */
  async submit(kind: string, input: unknown, opts: { actor: string }): Promise<JobView> {
    if (!this.opts.kinds[kind]) throw new Error(`unknown job kind ${kind}`);
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO jobs (id, kind, actor, state, input) VALUES ($1, $2, $3, 'queued', $4::jsonb)`, [id, kind, opts.actor, JSON.stringify(input ?? null)]);
      await tx.query(`INSERT INTO job_events (job_id, event, attempt) VALUES ($1, 'queued', 0)`, [id]);
      await this.boss.send(kind, { jobId: id }, { id, db: { executeSql: async (t, v) => ({ rows: await tx.query(t, v) }) } });
    });
    // Wake this process's idle workers for the kind instead of waiting for their next poll.
    for (const w of this.workerIds.get(kind) ?? []) this.boss.notifyWorker(w);
    const job = (await this.get(id))!;
    this.changes.emit(id, job);
    return job;
  }

  async get(id: string): Promise<JobView | null> {
    const rows = await this.db.query<JobRow & Record<string, unknown>>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  async list(filter: JobFilter = {}): Promise<JobView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.state) add('state = ?', filter.state);
    if (filter.actor) add('actor = ?', filter.actor);
    if (filter.before) add('created_at < ?::timestamptz', filter.before);
    params.push(Math.min(filter.limit ?? 50, 500));
    const rows = await this.db.query<JobRow & Record<string, unknown>>(
      `SELECT ${JOB_COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toView);
  }

  async events(id: string): Promise<JobEvent[]> {
    const rows = await this.db.query<{ event: JobEvent['event']; attempt: number; worker: string | null; detail: string | null; at: Date | string }>(
      'SELECT event, attempt, worker, detail, at FROM job_events WHERE job_id = $1 ORDER BY id',
      [id],
    );
    return rows.map((r) => ({ ...r, at: iso(r.at)! }));
  }

  /**
   * Asks a job to stop. A queued job is cancelled at once; a running one is aborted through its
   * AbortSignal here, or by its worker's next look at the table when another process runs it.
   */
  async cancel(id: string): Promise<JobView | null> {
    const job = await this.get(id);
    if (!job || TERMINAL_STATES.includes(job.state)) return job;
    await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ state: JobState }>(
        `UPDATE jobs SET cancel_requested = true,
           state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
           finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
           updated_at = now()
         WHERE id = $1 AND state IN ('queued', 'running') RETURNING state`,
        [id],
      );
      if (rows[0]?.state === 'cancelled') {
        await tx.query(`INSERT INTO job_events (job_id, event, attempt, detail) VALUES ($1, 'cancelled', $2, 'before it started')`, [id, job.attempts]);
      }
    });
    if (job.state === 'queued') await this.boss.cancel(job.kind, id).catch(() => {});
    this.running.get(id)?.abort(new JobCancelled());
    const after = (await this.get(id))!;
    this.changes.emit(id, after);
    return after;
  }

  /** Follows one job: the listener gets every change this process sees (its own workers' progress live). */
  subscribe(id: string, listener: (job: JobView) => void): () => void {
    this.changes.on(id, listener);
    return () => this.changes.off(id, listener);
  }

  /** Starts this process's workers for a kind: `concurrency` pg-boss workers taking one job each. */
  async work(kind: string, handler: JobHandler): Promise<void> {
    const spec = this.opts.kinds[kind];
    if (!spec) throw new Error(`unknown job kind ${kind}`);
    const ids: string[] = [];
    for (let i = 0; i < spec.concurrency; i++) {
      const self = { id: '' };
      self.id = await this.boss.work<{ jobId: string }>(
        kind,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 1 },
        async ([job]) => {
          try {
            return job ? await this.runOne(kind, job, handler) : undefined;
          } finally {
            // pg-boss would sleep a whole polling interval after each job; a worker that just
            // finished one looks for the next at once.
            this.boss.notifyWorker(self.id);
          }
        },
      );
      ids.push(self.id);
    }
    this.workerIds.set(kind, [...(this.workerIds.get(kind) ?? []), ...ids]);
  }

  private async runOne(kind: string, job: PgBoss.JobWithMetadata<{ jobId: string }>, handler: JobHandler): Promise<unknown> {
    const id = job.id;
    const attempt = job.retryCount + 1;
    const mayRetry = job.retryCount < job.retryLimit;
    const start = await this.db.transaction(async (tx) => {
      const rows = await tx.query<JobRow & Record<string, unknown>>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE`, [id]);
      const row = rows[0];
      // Finished in an earlier attempt whose worker died before telling pg-boss: never run it twice.
      if (!row || TERMINAL_STATES.includes(row.state)) return null;
      if (row.cancel_requested) {
        await tx.query(`UPDATE jobs SET state = 'cancelled', finished_at = now(), updated_at = now() WHERE id = $1`, [id]);
        await tx.query(`INSERT INTO job_events (job_id, event, attempt, worker, detail) VALUES ($1, 'cancelled', $2, $3, 'before it started')`, [id, attempt, this.workerName]);
        return null;
      }
      await tx.query(`UPDATE jobs SET state = 'running', attempts = $2, worker = $3, started_at = now(), error = NULL, updated_at = now() WHERE id = $1`, [id, attempt, this.workerName]);
      await tx.query(`INSERT INTO job_events (job_id, event, attempt, worker) VALUES ($1, 'started', $2, $3)`, [id, attempt, this.workerName]);
      return toView({ ...row, state: 'running', attempts: attempt, worker: this.workerName });
    });
    if (!start) {
      await this.emitFresh(id);
      return null;
    }
    this.changes.emit(id, start);

    const abort = new AbortController();
    this.running.set(id, abort);
    const progress = new ProgressWriter(this.db, id, (events) => this.changes.emit(id, { ...start, progress: events }));
    const cancelWatch = setInterval(() => {
      void this.db
        .query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM jobs WHERE id = $1', [id])
        .then((r) => {
          if (r[0]?.cancel_requested) abort.abort(new JobCancelled());
        })
        .catch(() => {});
    }, CANCEL_POLL_MS);
    try {
      const result = await handler(start.input, { jobId: id, actor: start.actor, attempt, onProgress: progress.sink, signal: abort.signal });
      await progress.flush();
      await this.finish(id, attempt, 'completed', { result: result ?? null });
      return null;
    } catch (e) {
      await progress.flush();
      if (abort.signal.aborted) {
        await this.finish(id, attempt, 'cancelled', { detail: 'while running' });
        return null;
      }
      const error = { code: isBacklotError(e) ? e.code : 'internal', message: isBacklotError(e) ? e.message : 'the job stopped on an internal error; see the worker log' };
      if (!isBacklotError(e)) process.stderr.write(`backlot worker: job ${kind} ${id} attempt ${attempt}: ${(e as Error)?.stack ?? String(e)}\n`);
      // A user-caused error fails the same way every time: record it and do not retry.
      if (!isBacklotError(e) && mayRetry) {
        await this.db.transaction(async (tx) => {
          await tx.query(`UPDATE jobs SET state = 'queued', error = $2::jsonb, updated_at = now() WHERE id = $1 AND state = 'running'`, [id, JSON.stringify(error)]);
          await tx.query(`INSERT INTO job_events (job_id, event, attempt, worker, detail) VALUES ($1, 'retrying', $2, $3, $4)`, [id, attempt, this.workerName, error.message]);
        });
        await this.emitFresh(id);
        throw e;
      }
      await this.finish(id, attempt, 'failed', { error, detail: error.message });
      return null;
    } finally {
      clearInterval(cancelWatch);
      this.running.delete(id);
    }
  }

  /** The one transition to a final state; a job that is already final is left as it is. */
  private async finish(id: string, attempt: number, state: 'completed' | 'failed' | 'cancelled', extra: { result?: unknown; error?: unknown; detail?: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const done = await tx.query(
        `UPDATE jobs SET state = $2, result = $3::jsonb, error = $4::jsonb, finished_at = now(), updated_at = now()
         WHERE id = $1 AND state NOT IN ('completed', 'failed', 'cancelled') RETURNING id`,
        [id, state, JSON.stringify(extra.result ?? null), extra.error ? JSON.stringify(extra.error) : null],
      );
      if (done.length) {
        await tx.query(`INSERT INTO job_events (job_id, event, attempt, worker, detail) VALUES ($1, $2, $3, $4, $5)`, [id, state, attempt, this.workerName, extra.detail ?? null]);
      }
    });
    await this.emitFresh(id);
  }

  private async emitFresh(id: string): Promise<void> {
    const job = await this.get(id);
    if (job) this.changes.emit(id, job);
  }

  /**
   * Jobs pg-boss still calls active were taken by a process that is gone (this one is the only
   * worker): hand them back to pg-boss as failed attempts, which it retries within the kind's limit.
   */
  private async recoverOrphans(): Promise<void> {
    for (const kind of Object.keys(this.opts.kinds)) {
      const rows = await this.db.query<{ id: string }>(`SELECT id::text AS id FROM pgboss.job WHERE name = $1 AND state = 'active'`, [kind]);
      if (!rows.length) continue;
      for (const r of rows) await this.boss.fail(kind, r.id, { message: 'the worker running it stopped' });
      for (const r of rows) {
        await this.db.query(
          `INSERT INTO job_events (job_id, event, attempt, detail)
           SELECT id, 'retrying', attempts, 'the worker running it stopped' FROM jobs WHERE id = $1 AND state = 'running'`,
          [r.id],
        );
        await this.db.query(`UPDATE jobs SET state = 'queued', updated_at = now() WHERE id = $1 AND state = 'running'`, [r.id]);
      }
    }
    await this.reconcile();
  }

  /** Jobs pg-boss gave up on (expired without retries left, or failed while no worker recorded it). */
  async reconcile(): Promise<void> {
    const lost = await this.db.query<{ id: string; attempts: number }>(
      `SELECT j.id, j.attempts FROM jobs j JOIN pgboss.job b ON b.id::text = j.id
       WHERE j.state IN ('queued', 'running') AND b.state IN ('failed', 'cancelled', 'completed')`,
    );
    for (const r of lost) {
      await this.finish(r.id, r.attempts, 'failed', { error: { code: 'worker_lost', message: 'the worker running this job stopped and no attempts are left' }, detail: 'worker lost' });
    }
  }

  /** Number of jobs in each state per kind, for health and metrics. */
  async counts(): Promise<Array<{ kind: string; state: JobState; count: number }>> {
    const rows = await this.db.query<{ kind: string; state: JobState; count: string | number }>('SELECT kind, state, count(*) AS count FROM jobs GROUP BY kind, state ORDER BY kind, state');
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  }

  /** Stops taking jobs; running jobs are aborted and handed back to pg-boss for another attempt. */
  async stop(opts: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await this.boss.stop({ graceful: opts.graceful ?? true, timeout: opts.timeoutMs ?? 10_000, close: true, wait: true });
  }
}

export class JobCancelled extends Error {
  constructor() {
    super('the job was cancelled');
    this.name = 'JobCancelled';
  }
}

/** Coalesces progress events into at most one write per PROGRESS_WRITE_MS per job. */
class ProgressWriter {
  private readonly latest = new Map<string, ProgressEvent>();
  private pending: Record<string, ProgressEvent> = {};
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly jobId: string,
    private readonly onLocal: (events: ProgressEvent[]) => void,
  ) {}

  readonly sink: ProgressSink = (event) => {
    this.latest.set(event.task, event);
    this.pending[event.task] = event;
    this.onLocal([...this.latest.values()]);
    if (event.finished) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), PROGRESS_WRITE_MS);
  };

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = {};
    if (!Object.keys(batch).length) return this.writing;
    this.writing = this.writing.then(() =>
      this.db
        .query(`UPDATE jobs SET progress = COALESCE(progress, '{}'::jsonb) || $2::jsonb, updated_at = now() WHERE id = $1`, [this.jobId, JSON.stringify(batch)])
        .then(() => undefined, () => undefined),
    );
    return this.writing;
  }
}
