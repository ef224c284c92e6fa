/**
 * The simulated speaker → microphone path and the talk script for
 * echo-cancellation tests (bench/lib/echo-path.ts, shared with
 * bench/echo-gain.ts).
 */
export {
  EchoPath,
  placeAt,
  mixTracks,
  scaleToDbfs,
  agcSettling,
  energyRatioDb,
  atMs,
  turnsAndDoubleTalk,
  cancelEcho,
  nearWindowsFound,
  twentySecondsOfTalk,
  controlGain,
  type EchoPathOptions,
  type EchoTap,
  type TalkScript,
} from '../../bench/lib/echo-path.js';
