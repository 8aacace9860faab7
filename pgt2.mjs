import { PGlite } from '@electric-sql/pglite';
const dir = process.argv[2];
const extra = process.argv.slice(3);
let t=performance.now();
const base=["--single","-F","-O","-j","-c","search_path=public","-c","exit_on_error=false","-c","log_checkpoints=false","-c","max_worker_processes=0","-c","max_parallel_workers=0","-c","max_parallel_workers_per_gather=0","-c","io_method=sync","-c","max_parallel_maintenance_workers=0"];
const db = await PGlite.create({dataDir: dir, startParams: [...base, ...extra]});
console.log('create', (performance.now()-t).toFixed(0), extra.join(' '));
const r = await db.query('show shared_buffers'); console.log(r.rows);
await db.close();
