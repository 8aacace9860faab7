// Library workflows: list and show titles and shots, contact sheets, and the workspace doctor.
export * from './library.js';
export * from './doctor.js';
export * from './search.js';
