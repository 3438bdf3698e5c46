// mk8s annotate: kubectl annotate (the label command on metadata.annotations).
import { metadataMapCommand } from './label.js';

export default metadataMapCommand('annotations');
