import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkspaceError } from '@backlot/core';
import { openWorkspace, type Workspace } from './index.js';

const open: Workspace[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'backlot-ws-'));
}

describe('workspace ownership', () => {
  it('refuses a second owner with a message naming the holder and the workspace', async () => {
    const home = tempHome();
    open.push(await openWorkspace({ home, command: 'backlot ingest' }));
    const second = openWorkspace({ home, command: 'backlot library' });
    await expect(second).rejects.toBeInstanceOf(WorkspaceError);
    await expect(second).rejects.toThrow(/in use by `backlot ingest` \(pid \d+/);
  });

  it('takes over a lock left by a process that died', async () => {
    const home = tempHome();
    // A pid that cannot be alive: spawn and reap a short process, then reuse its pid.
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    writeFileSync(join(home, 'lock'), JSON.stringify({ pid: deadPid, host: hostname(), command: 'backlot ingest', startedAt: new Date().toISOString() }));
    const ws = await openWorkspace({ home, command: 'backlot doctor' });
    open.push(ws);
    expect(JSON.parse(readFileSync(join(home, 'lock'), 'utf8')).pid).toBe(process.pid);
  });

  it('lets a second process reach the owner through its database socket', async () => {
    const home = tempHome();
    const owner = await openWorkspace({ home, command: 'backlot serve' });
    open.push(owner);
    await owner.db.query(`INSERT INTO titles (id, name) VALUES ('t1', 'Night Train')`);
    await owner.shareDatabase();
    const client = await openWorkspace({ home, command: 'backlot library' });
    open.push(client);
    expect(client.access).toBe('embedded-via-owner');
    expect(await client.db.query('SELECT name FROM titles')).toEqual([{ name: 'Night Train' }]);
    await client.db.query(`INSERT INTO titles (id, name) VALUES ('t2', 'Harbour Lights')`);
    expect((await owner.db.query('SELECT count(*)::int AS n FROM titles'))[0]).toEqual({ n: 2 });
  });

  it('releases the lock on close so the next command can own the workspace', async () => {
    const home = tempHome();
    const first = await openWorkspace({ home, command: 'backlot ingest' });
    await first.close();
    expect(existsSync(join(home, 'lock'))).toBe(false);
    open.push(await openWorkspace({ home, command: 'backlot library' }));
  });

  it('rejects a database URL that is not postgres://', async () => {
    await expect(openWorkspace({ home: tempHome(), databaseUrl: 'mysql://x' })).rejects.toThrow(/must start with postgres:\/\//);
  });

  it('says plainly when asked for a workspace that does not exist', async () => {
    await expect(openWorkspace({ home: join(tempHome(), 'nope'), mustExist: true })).rejects.toThrow(/no workspace at/);
  });
});
