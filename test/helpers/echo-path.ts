/**
 * The simulated speaker → microphone path for echo-cancellation tests
 * (bench/lib/echo-path.ts, shared with bench/echo-gain.ts).
 */
export { EchoPath, placeAt, mixTracks, scaleToDbfs, activeRms, agcSettling, energyRatioDb, type EchoPathOptions, type EchoTap } from '../../bench/lib/echo-path.js';
