// `backlot users add|ls|disable|enable|token|tokens|revoke`: the people who may use the studio server.
import os from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InputError } from '@backlot/core';
import * as users from '@backlot/workflows/users';
import { globals, printJson, printTable, withWorkspace } from '../context.js';

const actor = () => `cli:${os.userInfo().username}`;

function role(value: string | undefined, flag = '--role'): users.Role | undefined {
  if (value === undefined) return undefined;
  const r = users.RoleSchema.safeParse(value);
  if (!r.success) throw new InputError('bad_flag', `${flag} ${value}: one of ${users.ROLES.join(', ')}`, flag);
  return r.data;
}

function username(value: string): string {
  const r = users.UsernameSchema.safeParse(value);
  if (!r.success) throw new InputError('bad_username', `username ${value}: ${r.error.issues[0]?.message}`, 'username');
  return r.data;
}

/** The password from BACKLOT_PASSWORD, piped stdin, or a prompt. */
async function readPassword(): Promise<string> {
  if (process.env.BACKLOT_PASSWORD) return process.env.BACKLOT_PASSWORD;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  try {
    return (await rl.question('password: ')).trim();
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  const cmd = program.command('users').description('people who may sign in to the studio server, their roles and API tokens');

  cmd
    .command('add <username>')
    .description(`add a person with a role (${users.ROLES.join(', ')}); the password comes from BACKLOT_PASSWORD, stdin or a prompt`)
    .requiredOption('--role <role>', 'their role')
    .option('--name <name>', 'display name')
    .option('--sso-only', 'no password: they sign in with single sign-on')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { role: string; name?: string; ssoOnly?: boolean }, c: Command) => {
      const input = { username: username(name), role: role(opts.role)!, displayName: opts.name };
      const password = opts.ssoOnly ? undefined : await readPassword();
      if (password !== undefined) {
        const p = users.PasswordSchema.safeParse(password);
        if (!p.success) throw new InputError('bad_password', `password: ${p.error.issues[0]?.message}`, 'password');
      }
      const user = await withWorkspace(c, (ws) => users.addUser(ws, { ...input, password }, { actor: actor() }));
      if (globals(c).json) printJson(user);
      else process.stdout.write(`added ${user.username} (${user.role})\n`);
    });

  cmd
    .command('ls')
    .description('list people')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, c: Command) => {
      const list = await withWorkspace(c, (ws) => users.listUsers(ws), { mustExist: true });
      if (globals(c).json) return printJson(list);
      printTable(['USERNAME', 'ROLE', 'NAME', 'SIGN-IN', 'STATUS', 'CREATED'], list.map((u) => [u.username, u.role, u.displayName, [u.hasPassword ? 'password' : '', u.sso ? 'sso' : ''].filter(Boolean).join('+'), u.disabled ? 'disabled' : 'active', u.createdAt.slice(0, 10)]));
    });

  for (const action of ['disable', 'enable'] as const) {
    cmd
      .command(`${action} <username>`)
      .description(action === 'disable' ? 'disable a person: their sessions and tokens stop working at once' : 'enable a disabled person')
      .option('--json', 'print JSON')
      .action(async (name: string, _opts: unknown, c: Command) => {
        const user = await withWorkspace(c, (ws) => (action === 'disable' ? users.disableUser : users.enableUser)(ws, { username: username(name) }, { actor: actor() }), { mustExist: true });
        if (globals(c).json) printJson(user);
        else process.stdout.write(`${action}d ${user.username}\n`);
      });
  }

  cmd
    .command('token <username>')
    .description('issue an API token for a person (printed once; only its hash is stored)')
    .option('--name <name>', 'what the token is for', 'cli')
    .option('--role <role>', "the token's role (their own or viewer; any for admins)")
    .option('--days <days>', `days until it expires (1-${users.MAX_TOKEN_DAYS})`, '90')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { name: string; role?: string; days: string }, c: Command) => {
      const days = Number(opts.days);
      if (!/^\d+$/.test(opts.days)) throw new InputError('bad_flag', `--days ${opts.days}: a whole number of days`, '--days');
      const issued = await withWorkspace(c, (ws) => users.issueToken(ws, { username: username(name), name: opts.name, role: role(opts.role), days }, { actor: actor() }), { mustExist: true });
      if (globals(c).json) printJson(issued);
      else process.stdout.write(`${issued.token}\n(token ${issued.id}, role ${issued.role}, expires ${issued.expiresAt}; send as "Authorization: Bearer <token>")\n`);
    });

  cmd
    .command('tokens [username]')
    .description('list API tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, _opts: unknown, c: Command) => {
      const list = await withWorkspace(c, (ws) => users.listTokens(ws, { username: name }), { mustExist: true });
      if (globals(c).json) return printJson(list);
      printTable(['ID', 'USERNAME', 'NAME', 'ROLE', 'EXPIRES', 'STATUS'], list.map((t) => [t.id, t.username, t.name, t.role, t.expiresAt.slice(0, 10), t.revoked ? 'revoked' : new Date(t.expiresAt) < new Date() ? 'expired' : 'active']));
    });

  cmd
    .command('revoke <tokenId>')
    .description('revoke an API token')
    .action(async (id: string, _opts: unknown, c: Command) => {
      const t = await withWorkspace(c, (ws) => users.revokeToken(ws, { id }, { actor: actor() }), { mustExist: true });
      process.stdout.write(`revoked token ${t.id} of ${t.username}\n`);
    });
}
