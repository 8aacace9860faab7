// English words that are also first names, surnames, nicknames or character names. A name made of
// one of these ("Rose", "Hunter", "Will") is matched only with context that says a person is meant
// (see names.ts), so "a rose garden" or "a hunter in the forest" is not refused. Not a dictionary:
// the words a name list and an ordinary prompt plausibly share, plus the demo world's vocabulary.
const WORDS = `
a an the and or of in on at by to for with from into over under up down left right
amber angel april art august autumn banks baker bell berry bill birch bishop black blue bond brook
brooks brown buck bud bush butler carter cash chance chase cherry christian clay cliff cole cook
cooper coral crystal daisy dale dawn day dean deer dell destiny diamond dove drew duke dusty earl
east easter eden ember faith fawn field fields finch fisher fleming fletcher flint ford forest fox
frank freeman gale garden gardner gay gem gene gift glen gold golden grace grant gray green grey
guy hall hardy harmony hart hawk hazel heath heather hill hills holly honey hope hunter iris ivy
jack jade jay jet jewel joy judge june justice king knight lake lance lane lark laurel law lee
lily link little long love lucky mark marsh mason may meadow mercy merry miles miller mint misty
moon moore morning nash newman night north oak olive park parker patience pearl penny pepper
pierce pine piper pool pope porter prince queen rain raven ray read reed rich river robin rock
rose rosemary ross ruby rush rusty sage savage scout sea shepherd short sierra silver sky slate
smith snow sparrow spring star sterling stone storm strong summer sunny swift taylor temple thorn
tiger troy tucker turner unity violet wade walker ward warren waters webb wells west white wild
will willow winter wolf wood woods wren young
red orange yellow purple ball box star forest city day night sky moving man woman boy girl person
actor actress hero villain detective doctor nurse soldier captain
i me my we our you your he him his she her it its they them their this that these those who whom
what which when where why how is are was were be been being have has had do does did not no yes
as so if then than too very can could would should shall must might just only also all any each
every some many much more most other such own same new old good bad big small first last next one
two three walk walking run running fly flying jump dancing sitting standing looking car house street
`;

export const ORDINARY_WORDS: ReadonlySet<string> = new Set(WORDS.split(/\s+/).filter(Boolean));

/** Words before a name that say a person is meant: "Mr Stone", "Captain Hook", "starring Will". */
export const PERSON_CUES: ReadonlySet<string> = new Set(
  `mr mrs ms miss mx dr doctor sir dame lady lord madam captain capt detective det agent officer
   professor prof aunt uncle sister brother father mother king queen prince princess sergeant sgt
   lieutenant general colonel major inspector judge saint st named called starring featuring
   actor actress character`.split(/\s+/).filter(Boolean),
);
