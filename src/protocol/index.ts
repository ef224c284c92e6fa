/** The signaling protocol: the only code the client and the server share. */
export { PROTOCOL_VERSION } from './version.js';
export * from './messages.js';
export * from './join-code.js';
export * from './room-crypto.js';
export { JOIN_CODE_WORDS } from './wordlist.js';
export { fromBase64Url, randomBytes, randomInt } from './portable.js';
export { codeFromFragment, signalingUrlForPage, webLink } from './web-link.js';
