// ONNX adapter: load an exported model (docs/model-format.md) and run its parts on ONNX Runtime.
export * from './model-config.js';
export * from './session.js';
export * from './run.js';
export * from './runner.js';
export * from './worker/index.js';
