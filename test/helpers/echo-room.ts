/** A speaker that leaks into a microphone, on the test's PulseAudio (bench/lib/echo-room.ts). */
export { startEchoRoom, DEFAULT_ECHO_PATHS, type EchoRoom, type EchoRoomOptions } from '../../bench/lib/echo-room.js';
