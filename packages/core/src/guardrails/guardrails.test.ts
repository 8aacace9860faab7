import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPrompt, editDistance, findPeople, type LikenessConsent, type LikenessSubject } from './index.js';
import { BACKGROUND_NAMES, COLOUR_NAMES, DIRECTION_NAMES, SHAPE_NAMES } from '../demo-world/world.js';

const people: LikenessSubject[] = [
  { personId: 'p_maya', name: 'Maya Okonkwo', aliases: ['Mo Okonkwo'], characters: [{ name: 'Captain Vega', title: 'Night Sky' }] },
  { personId: 'p_grace', name: 'Grace Stone', aliases: [], characters: [{ name: 'Rose', title: 'The Garden' }] },
  { personId: 'p_jon', name: 'Jonathan Whitfield', aliases: ['Johnny W'], characters: [{ name: 'The Doctor' }] },
  { personId: 'p_zoe', name: 'Zoë Lindqvist', aliases: [], characters: [{ name: 'Red Queen' }] },
  { personId: 'p_aurelio', name: 'Aurelio', aliases: [], characters: [] },
];

const named = (prompt: string) => findPeople(prompt, people).map((f) => f.person.personId).sort();

describe('finding people in prompts', () => {
  // [prompt, people it names]
  const table: Array<[string, string[]]> = [
    ['Maya Okonkwo dancing in the rain', ['p_maya']],
    ['MAYA OKONKWO DANCING', ['p_maya']],
    ["maya okonkwo's smile at night", ['p_maya']],
    ['Maya Okonkow walking left', ['p_maya']], // transposition
    ['maya okonkvo by day', ['p_maya']], // one substitution
    ['Maya-Okonkwo, in the city', ['p_maya']],
    ['mayaokonkwo in the forest', ['p_maya']], // written as one word
    ['okonkwo at night', ['p_maya']], // distinctive surname alone
    ['the Okonkwos at dinner', ['p_maya']], // plural without apostrophe
    ['Captain Vega flies up', ['p_maya']], // character
    ['a ship like vega’s in the sky', ['p_maya']], // character surname, curly possessive
    ['Jonathon Whitfeld at the beach', ['p_jon']], // both words misspelt
    ['jon whitfield', ['p_jon']], // surname carries it
    ['a purple ball with The Doctor', ['p_jon']], // ordinary-word character, capitalised mid-sentence
    ['johnny w, walking', ['p_jon']], // alias
    ['Zoe Lindqvist in a red box', ['p_zoe']], // diacritics dropped
    ['zoë lindquist', ['p_zoe']],
    ['then the Red Queen walks left', ['p_zoe']],
    ['Aurelio, moving right', ['p_aurelio']],
    ['aurelios shadow', ['p_aurelio']],
    ['Grace Stone in a garden', ['p_grace']],
    ['grace stone', ['p_grace']], // a full legal name needs no capitals
    ['Mr Stone at night', ['p_grace']], // ordinary surname with a title
    ['a scene with Rose in the city', ['p_grace']], // ordinary character name, capitalised mid-sentence
    ["Rose's dress is red", ['p_grace']], // capitalised possessive
    ['starring rose', ['p_grace']], // cue word
    ['Maya Okonkwo and Grace Stone', ['p_grace', 'p_maya']],
  ];
  it.each(table)('%s → %j', (prompt, expected) => {
    expect(named(prompt)).toEqual(expected);
  });

  const innocent = [
    'a red ball moving left at night',
    'a rose garden at night',
    'a stone wall in the forest',
    'the doctor examines a patient',
    'a red queen chess piece on a box',
    'graceful dancer in the city',
    'a mayan temple by day',
    'vegan food on a table',
    'Rose walks through the forest', // sentence-initial ordinary word: ambiguous, not matched (documented)
    'ROSE IN THE CITY', // shouting: capitals say nothing
    'A Rose Garden At Night', // title case: capitals say nothing
    'grace under pressure',
    'maya at the beach', // a first name alone never matches
    'the captain of a ship',
    'will the box move up',
  ];
  it.each(innocent)('does not name anyone in "%s"', (prompt) => {
    expect(named(prompt)).toEqual([]);
  });

  it('never names anyone in a prompt built from the demo world vocabulary', () => {
    const words = [...COLOUR_NAMES, ...SHAPE_NAMES, ...DIRECTION_NAMES, ...BACKGROUND_NAMES, 'a', 'moving', 'at', 'in', 'the', 'by'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 12 }), (ws) => {
      expect(named(ws.join(' '))).toEqual([]);
    }));
  });

  it('edit distance counts a transposition as one edit', () => {
    expect(editDistance('okonkwo', 'okonkow')).toBe(1);
    expect(editDistance('whitfield', 'whitfeld')).toBe(1);
    expect(editDistance('abc', 'xyzuvw', 2)).toBe(3);
  });
});

describe('consent decisions', () => {
  const consents: LikenessConsent[] = [
    { id: 'c_grace', personId: 'p_grace', scopes: ['likeness', 'training-footage'], grantedOn: '2025-01-01', revokedOn: null, documentRef: 'DOC-7', conditions: { projects: ['Harbour'] } },
    { id: 'c_maya_train', personId: 'p_maya', scopes: ['training-footage'], grantedOn: '2025-01-01', revokedOn: null, conditions: {} },
    { id: 'c_zoe', personId: 'p_zoe', scopes: ['likeness'], grantedOn: '2025-01-01', revokedOn: '2026-06-01', conditions: {} },
    { id: 'c_aurelio', personId: 'p_aurelio', scopes: ['likeness'], grantedOn: '2025-01-01', revokedOn: null, conditions: { note: 'no villains' } },
  ];
  const on = '2026-11-25';

  it('allows a prompt that names nobody', () => {
    const d = checkPrompt('a red ball moving left at night', people, consents, { on });
    expect(d).toEqual({ allowed: true, checks: [], reasons: [] });
  });

  it('refuses a person with no likeness consent and lists the consents it checked', () => {
    const d = checkPrompt('maya okonkow waving', people, consents, { on });
    expect(d.allowed).toBe(false);
    expect(d.reasons[0]).toMatch(/Maya Okonkwo.*no likeness consent on record/);
    expect(d.checks[0]!.consents.map((c) => c.consentId)).toEqual(['c_maya_train']);
  });

  it('allows a consenting person within the consent conditions, and names the consent', () => {
    const d = checkPrompt('Grace Stone in a garden', people, consents, { on, project: 'Harbour' });
    expect(d.allowed).toBe(true);
    expect(d.checks[0]!.consentId).toBe('c_grace');
  });

  it('refuses a project-limited consent without that project', () => {
    const none = checkPrompt('Grace Stone in a garden', people, consents, { on });
    expect(none.allowed).toBe(false);
    expect(none.reasons[0]).toMatch(/c_grace is limited to project Harbour; no project was given/);
    const other = checkPrompt('a scene with Rose', people, consents, { on, project: 'Lighthouse' });
    expect(other.reasons[0]).toMatch(/character Rose \(The Garden\).*not Lighthouse/);
  });

  it('honours revocation dates', () => {
    expect(checkPrompt('Zoe Lindqvist', people, consents, { on }).reasons[0]).toMatch(/c_zoe was revoked on 2026-06-01/);
    expect(checkPrompt('Zoe Lindqvist', people, consents, { on: '2026-05-31' }).allowed).toBe(true);
  });

  it('refuses the whole prompt when any one named person lacks consent', () => {
    const d = checkPrompt('Aurelio meets Maya Okonkwo', people, consents, { on });
    expect(d.allowed).toBe(false);
    expect(d.checks.map((c) => [c.personId, c.allowed])).toEqual([['p_maya', false], ['p_aurelio', true]]);
    expect(d.reasons).toHaveLength(1);
  });
});
