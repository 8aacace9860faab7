// The server's job that made a generation, so a job retried after a crash that came between recording
// the generation and finishing the job returns that generation instead of making a second one.
export default /* sql */ `
ALTER TABLE generations ADD COLUMN job_id text;
CREATE UNIQUE INDEX generations_job_id ON generations (job_id) WHERE job_id IS NOT NULL;
`;
