// What a studio's rights department tracks, as plain values: grants on titles, people and their
// consents, appearances, music cues, restrictions and opt-out signals carried by the files.
// Dates are ISO calendar days ("2026-11-25"), compared as strings; times inside a title are seconds.

export const GRANT_USES = ['train-video', 'train-audio', 'generate-likeness'] as const;
export type GrantUse = (typeof GRANT_USES)[number];

export const CONSENT_SCOPES = ['training-footage', 'likeness', 'voice', 'music'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export const PERSON_KINDS = ['actor', 'musician', 'crew', 'other'] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];

export const RESTRICTION_KINDS = ['third-party-footage', 'logo', 'minor', 'other'] as const;
export type RestrictionKind = (typeof RESTRICTION_KINDS)[number];

export const PRESENCES = ['on-screen', 'voice', 'both'] as const;
export type Presence = (typeof PRESENCES)[number];

export const APPEARANCE_SOURCES = ['import', 'manual', 'credits', 'credits+screenplay', 'face'] as const;
export type AppearanceSource = (typeof APPEARANCE_SOURCES)[number];

/** What a training set is for. audiovisual = both picture and sound are used. */
export const TRAINING_PURPOSES = ['video', 'audio', 'audiovisual'] as const;
export type TrainingPurpose = (typeof TRAINING_PURPOSES)[number];

/** "YYYY-MM-DD". */
export type IsoDate = string;

export interface RightsGrant {
  id: string;
  titleId: string;
  uses: GrantUse[];
  grantor: string;
  /** "worldwide" or a territory code/name; see PolicyContext.territory. */
  territory: string;
  startsOn: IsoDate;
  /** Inclusive last day; null = perpetual. */
  endsOn: IsoDate | null;
  contractRef: string;
  note?: string | null;
  revokedOn?: IsoDate | null;
  revokedReason?: string | null;
}

export interface Person {
  id: string;
  name: string;
  kind: PersonKind;
  aliases: string[];
}

export interface ConsentConditions {
  /** Consent holds only for these projects (PolicyContext.project). Absent = any project. */
  projects?: string[];
  note?: string;
}

export interface Consent {
  id: string;
  personId: string;
  scopes: ConsentScope[];
  grantedOn: IsoDate;
  revokedOn?: IsoDate | null;
  revokedReason?: string | null;
  documentRef: string;
  conditions?: ConsentConditions;
}

export interface Appearance {
  id: string;
  personId: string;
  titleId: string;
  /** Seconds; null start and end = the whole title. */
  start: number | null;
  end: number | null;
  presence: Presence;
  character?: string | null;
  source?: AppearanceSource;
}

export interface MusicCue {
  id: string;
  titleId: string;
  name: string;
  start: number;
  end: number;
  composer?: string | null;
  performer?: string | null;
  /** Cleared for training. */
  cleared: boolean;
  cueSheetRef?: string | null;
}

export interface Restriction {
  id: string;
  titleId: string;
  start: number;
  end: number;
  kind: RestrictionKind;
  note: string;
  ref?: string | null;
}

/** A machine-readable reservation found in a media file's own metadata. */
export interface OptOutSignal {
  /** Where it was found. */
  source: 'iptc-xmp' | 'c2pa';
  /** XMP property (plus:DataMining) or C2PA assertion label (cawg.training-mining, c2pa.training-mining). */
  label: string;
  /** The entry inside the assertion (cawg.ai_generative_training...) or the XMP property again. */
  key: string;
  /** The value as written: a DMI-* URI or allowed / notAllowed / constrained. */
  value: string;
  /** True when the value forbids training a generative model on the file. */
  prohibits: boolean;
  /** Which box or manifest carried it ("uuid box", "moov/udta/XMP_", "manifest <label> (ingredient)"). */
  where: string;
}

export interface MediaOptOut {
  mediaFileId: string;
  titleId: string;
  signals: OptOutSignal[];
}

/** Everything the policy reads. Plain arrays, as loaded from the database or an import file. */
export interface RightsRegistry {
  grants: RightsGrant[];
  people: Person[];
  consents: Consent[];
  appearances: Appearance[];
  cues: MusicCue[];
  restrictions: Restriction[];
  mediaOptOuts: MediaOptOut[];
}

export function emptyRegistry(): RightsRegistry {
  return { grants: [], people: [], consents: [], appearances: [], cues: [], restrictions: [], mediaOptOuts: [] };
}

/** The id Backlot gives a person it adds by name (derived appearances, the demo): "Ada Moreno" -> "ada-moreno". */
export function personIdFromName(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'person';
}
