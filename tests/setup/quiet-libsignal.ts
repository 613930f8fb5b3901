import { quietLibsignal } from '../../server/logging/quiet-libsignal.js';

// Every test file loads libsignal (in Baileys or the simulator); keep its session dumps out of the output.
quietLibsignal();
