// Consent guardrails for generation: find the people a prompt names and check their likeness consents.
export * from './names.js';
export * from './decision.js';
export { ORDINARY_WORDS, PERSON_CUES } from './ordinary-words.js';
