// The trainer's environment asks glibc's malloc for transparent huge pages, and keeps a user's own choice.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonPath, trainerEnv, trainerRoot } from './index.js';

/** The kernel's transparent huge page mode: always, madvise (asked for: Debian's default) or never. */
const thp = (() => {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'never';
  } catch {
    return 'never';
  }
})();

/** glibc's `glibc.malloc.hugetlb` tunable came with 2.35; older ones ignore it. */
const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const [major = 0, minor = 0] = (glibc ?? '').split('.').map(Number);
const hugetlbTunable = major > 2 || (major === 2 && minor >= 35);

describe('trainerEnv', () => {
  it('sets the module path, threads and unbuffered output, and adds huge pages to tunables already set', () => {
    const env = trainerEnv({ PATH: '/usr/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 3);
    expect(env).toMatchObject({ PATH: '/usr/bin', PYTHONPATH: trainerRoot(), OMP_NUM_THREADS: '3', PYTHONUNBUFFERED: '1' });
    expect(env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    expect(trainerEnv({}, 2).GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
  });

  it("keeps the user's own huge-page setting", () => {
    expect(trainerEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 2).GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=0');
    expect(trainerEnv({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=2' }, 2).GLIBC_TUNABLES).toBe('glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=2');
  });

  // A real interpreter fills 64 MiB and reads how much of its memory the kernel gave in huge pages.
  it.skipIf(thp === 'never' || !hugetlbTunable)('makes the interpreter’s large allocations huge pages', () => {
    const script = "b = bytearray(b'\\x01') * (64 << 20)\nprint(sum(int(l.split()[1]) for l in open('/proc/self/smaps_rollup') if l.startswith('AnonHugePages')))";
    const hugeKiB = (env: NodeJS.ProcessEnv) => Number(execFileSync(pythonPath(), ['-c', script], { env, encoding: 'utf8' }).trim());
    const { GLIBC_TUNABLES: _, ...plain } = process.env;
    expect(hugeKiB(trainerEnv(plain, 1))).toBeGreaterThanOrEqual(32 * 1024);
    // Where huge pages must be asked for, an interpreter that does not ask gets none.
    if (thp === 'madvise') expect(hugeKiB({ ...plain, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toBe(0);
  });
});
