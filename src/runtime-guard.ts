/** Imported first by the library entry: on a Node older than MIN_NODE, importing mailaudit throws. */
import { assertNodeSupported } from './runtime.js';

assertNodeSupported();
