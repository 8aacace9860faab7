// The invented studio behind the demo library: film titles, characters, the actors who play them
// (some in several films, as in a real studio), composers and the lines the characters say.
// Dialogue never uses a colour, shape, direction or backdrop word, so captions built from the
// screenplay's headings and action lines are not muddied by what characters happen to say.

export interface DemoTitle {
  title: string;
  slug: string;
  year: number;
}

export const DEMO_TITLES: readonly DemoTitle[] = [
  { title: 'The Comet Keepers', slug: 'the-comet-keepers', year: 2019 },
  { title: 'Lanterns Over Ashgrove', slug: 'lanterns-over-ashgrove', year: 2020 },
  { title: 'Paper Kites', slug: 'paper-kites', year: 2021 },
  { title: 'The Long Drift', slug: 'the-long-drift', year: 2021 },
  { title: 'Orchard Lights', slug: 'orchard-lights', year: 2022 },
  { title: 'Signal Fires', slug: 'signal-fires', year: 2023 },
  { title: 'Glasswing', slug: 'glasswing', year: 2024 },
  { title: 'A Sky Full of Things', slug: 'a-sky-full-of-things', year: 2025 },
];

export interface DemoActor {
  person: string;
  /** Other names the person is credited under (stage name, maiden name). */
  aliases: string[];
}

export const DEMO_ACTORS: readonly DemoActor[] = [
  { person: 'Ada Moreno', aliases: ['A. Moreno'] },
  { person: 'Tomas Okafor', aliases: ['Tom Okafor'] },
  { person: 'Lena Varga', aliases: [] },
  { person: 'Rafael Quint', aliases: ['Rafe Quint'] },
  { person: 'Mei Halvorsen', aliases: ['Mei Lin Halvorsen'] },
  { person: 'Jonah Achebe', aliases: [] },
  { person: 'Priya Castellane', aliases: ['P. Castellane'] },
  { person: 'Oskar Brandt', aliases: [] },
  { person: 'Nadia Ferreira', aliases: ['Nadia F.'] },
  { person: 'Bruno Takeda', aliases: [] },
  { person: 'Ines Lindqvist', aliases: ['Ines Lind'] },
  { person: 'Caleb Mwangi', aliases: [] },
];

export const DEMO_CHARACTER_NAMES: readonly string[] = [
  'MAYA', 'ELIAS', 'NORA', 'FINN', 'JUNO', 'OTTO', 'IRIS', 'SILAS', 'WREN', 'HUGO', 'CLARA', 'TEODOR',
  'ROSA', 'KAI', 'LUCIA', 'ANSEL', 'PIA', 'MARLOW', 'VERA', 'EZRA', 'THEA', 'GIDEON', 'LOTTE', 'BAZ',
];

/** A character's alternative names as the screenplay or subtitles might write them. */
export function characterAliases(name: string, surname: string): string[] {
  const first = name.charAt(0) + name.slice(1).toLowerCase();
  return [`${first} ${surname}`, `${first.toUpperCase()} ${surname.toUpperCase()}`];
}

export const DEMO_SURNAMES: readonly string[] = ['Lind', 'Garrow', 'Pell', 'Ostrova', 'Kade', 'Marsh', 'Ibarra', 'Sorel', 'Vance', 'Holm'];

export const DEMO_COMPOSERS: readonly string[] = ['Helena Strand', 'Marcus Idowu', 'Yuki Arden'];
export const DEMO_PERFORMERS: readonly string[] = ['Backlot Studio Ensemble', 'The Ashgrove Quartet', 'Mira Solano (synthesiser)'];

export const DEMO_DIRECTORS: readonly string[] = ['Sofia Keller', 'Daniel Amari', 'Ruth Okonkwo'];

export const DEMO_DIALOGUE: readonly string[] = [
  'Did you see that?',
  'Keep watching. It always comes back.',
  'I told you it would be here.',
  'Quiet. Not a word.',
  'How long has it been doing that?',
  'Since before we arrived.',
  'We should write this in the logbook.',
  'Nobody is going to believe us.',
  'Hold still, I want a picture.',
  'There it goes again.',
  'Is it getting closer?',
  'I think it knows we are watching.',
  'Every evening, same as clockwork.',
  'You promised we would be home by nine.',
  'Just one more minute.',
  'Look how fast it is going.',
  'Easy, I cannot keep pace.',
  'My grandmother used to talk about these.',
  'Note the time.',
  'It is beautiful, is it not?',
  'Careful. Do not scare it away.',
  'What do you think it wants?',
  'Maybe it is lost.',
  'Maybe we are the ones who are lost.',
  'I have never seen one so bright.',
  'Get the camera ready.',
  'It is heading for the old tower.',
  'Follow it!',
  'We will never catch it.',
  'That is the third one this week.',
  'Stay close to me.',
  'Listen. Do you hear the music?',
  'It is gone.',
  'No, wait. There.',
  'I knew you would come back.',
  'This changes everything.',
  'Let us go home.',
  'Not yet.',
  'Promise me you will remember this.',
  'I will. Always.',
  'Who else knows about this?',
  'Only you and me.',
  'Keep your voice low.',
  'It was here yesterday, I swear.',
  'Wait for it.',
  'Now! Did you catch it?',
  'Too quick for me.',
  'Again tomorrow, then.',
  'The old keeper said this would happen.',
  'He also said the sea would freeze.',
  'Are you cold?',
  'A little. I do not care.',
  'Look at the way it moves.',
  'Like it is dancing.',
  'Like it is searching for something.',
  'We could follow it to the end.',
  'And then what?',
  'Then we would know.',
  'Mother will ask where we were.',
  'Tell her the truth.',
]

export const DEMO_CUE_WORDS: readonly string[] = ['Theme', 'Drift', 'Lullaby', 'Chase', 'Nocturne', 'Waltz', 'Reprise', 'Signal', 'Overture', 'Echoes'];
