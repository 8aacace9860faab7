// Generation: prompt → guardrail → model → signed MP4, with the usage ledger, attribution and cost.
export * from './request.js';
export * from './media.js';
export * from './likeness.js';
export * from './generate.js';
export * from './ledger.js';
