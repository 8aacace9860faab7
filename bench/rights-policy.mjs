// Micro-benchmark of the rights policy alone: decisions per second over a synthetic catalogue
// (2,000 titles; 5,000 people, 10% without consent and a few revoked; 8 appearances, 20 cues and 2
// restrictions per title; 5% of grants expired). Run after `npx tsc -b`: node bench/rights-policy.mjs [shots]
import { compileRightsPolicy } from '../packages/core/dist/rights/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const T = 2000;
const reg = { grants: [], people: [], consents: [], appearances: [], cues: [], restrictions: [], mediaOptOuts: [] };
for (let p = 0; p < 5000; p++) {
  reg.people.push({ id: `p${p}`, name: `Person ${p}`, kind: 'actor', aliases: [] });
  if (p % 10) reg.consents.push({ id: `c${p}`, personId: `p${p}`, scopes: ['training-footage', 'voice'], grantedOn: '2020-01-01', revokedOn: p % 37 ? null : '2026-01-01', documentRef: 'D' });
}
for (let t = 0; t < T; t++) {
  reg.grants.push({ id: `g${t}`, titleId: `t${t}`, uses: ['train-video', 'train-audio'], grantor: 'S', territory: 'worldwide', startsOn: '2020-01-01', endsOn: t % 20 ? '2030-01-01' : '2025-01-01', contractRef: 'C' });
  for (let k = 0; k < 8; k++) reg.appearances.push({ id: `a${t}-${k}`, personId: `p${(t * 8 + k) % 5000}`, titleId: `t${t}`, start: k * 600, end: k * 600 + 1800, presence: 'both' });
  for (let k = 0; k < 20; k++) reg.cues.push({ id: `q${t}-${k}`, titleId: `t${t}`, name: 'cue', start: k * 300, end: k * 300 + 90, cleared: k % 7 !== 0 });
  for (let k = 0; k < 2; k++) reg.restrictions.push({ id: `r${t}-${k}`, titleId: `t${t}`, start: k * 3000 + 100, end: k * 3000 + 110, kind: 'logo', note: '' });
}
const titleIds = Array.from({ length: T }, (_, t) => `t${t}`);
for (const purpose of ['video', 'audiovisual']) {
  let t0 = performance.now();
  const policy = compileRightsPolicy(reg, { purpose, asOf: '2026-11-25' });
  const compileMs = performance.now() - t0;
  const shot = { id: '', titleId: '', mediaFileId: null, start: 0, end: 0 };
  let allowed = 0;
  let rules = 0;
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    shot.id = `s${i}`;
    shot.titleId = titleIds[i % T];
    shot.start = (i * 4.7) % 6000;
    shot.end = shot.start + 4;
    const d = policy.decide(shot);
    if (d.allowed) allowed++;
    rules += d.rules.length;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${purpose.padEnd(11)} compile ${compileMs.toFixed(0)} ms; ${N} shots in ${s.toFixed(2)} s = ${Math.round(N / s).toLocaleString('en')} decisions/s (${((N / s) * 60 / 1e6).toFixed(1)} M/min); ${((100 * allowed) / N).toFixed(1)}% allowed, ${(rules / N).toFixed(1)} rules/shot; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}
