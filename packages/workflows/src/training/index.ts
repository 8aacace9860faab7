// Training and the model registry end to end: train / resume (subprocess trainer, registration only on
// success), models ls / show / import (with lineage card), export to ONNX, evaluation figures.
export * from './models.js';
export * from './train.js';
