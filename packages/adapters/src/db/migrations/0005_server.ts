// Schema for this area; filled in by the issue that builds it.
export default /* sql */ ``;
