// The people a prompt could name, as the guardrail needs them: names and aliases from the rights
// registry, characters from appearances and from title credits, and every likeness-relevant consent.
import type { Db } from '@backlot/adapters/db';
import { normaliseWord, type LikenessConsent, type LikenessSubject } from '@backlot/core';

const day = (col: string) => `to_char(${col}, 'YYYY-MM-DD') AS ${col}`;

function key(name: string): string {
  return name.split(/\s+/).map(normaliseWord).join(' ');
}

export async function loadLikenessRegistry(db: Db): Promise<{ people: LikenessSubject[]; consents: LikenessConsent[] }> {
  const people = await db.query<{ id: string; name: string; aliases: string[] | null }>('SELECT id, name, aliases FROM people ORDER BY id');
  const subjects = new Map<string, LikenessSubject>(people.map((p) => [p.id, { personId: p.id, name: p.name, aliases: p.aliases ?? [], characters: [] }]));
  const addCharacter = (personId: string, name: string, title?: string) => {
    const s = subjects.get(personId);
    if (s && !s.characters.some((c) => key(c.name) === key(name))) s.characters.push({ name, title });
  };
  const appearances = await db.query<{ person_id: string; character: string; title: string | null }>(
    `SELECT a.person_id, a.character, t.name AS title FROM appearances a LEFT JOIN titles t ON t.id = a.title_id
     WHERE a.character IS NOT NULL AND a.character <> '' ORDER BY a.id`,
  );
  for (const a of appearances) addCharacter(a.person_id, a.character, a.title ?? undefined);
  // Credits name people as text: attach a role to the registry person whose name or alias it is.
  const byName = new Map<string, string>();
  for (const s of subjects.values()) for (const n of [s.name, ...s.aliases]) byName.set(key(n), s.personId);
  const credits = await db.query<{ person: string; character: string; title: string }>(
    'SELECT c.person, c.character, t.name AS title FROM title_credits c JOIN titles t ON t.id = c.title_id ORDER BY c.title_id, c.character',
  );
  for (const c of credits) {
    const id = byName.get(key(c.person));
    if (id && c.character) addCharacter(id, c.character, c.title);
  }
  const consents = await db.query<{ id: string; person_id: string; scopes: string[]; granted_on: string; revoked_on: string | null; document_ref: string; conditions: LikenessConsent['conditions'] | null }>(
    `SELECT id, person_id, scopes, ${day('granted_on')}, ${day('revoked_on')}, document_ref, conditions FROM consents ORDER BY id`,
  );
  return {
    people: [...subjects.values()],
    consents: consents.map((c) => ({ id: c.id, personId: c.person_id, scopes: c.scopes, grantedOn: c.granted_on, revokedOn: c.revoked_on, documentRef: c.document_ref, conditions: c.conditions ?? {} })),
  };
}
