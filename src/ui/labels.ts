/** Human words and colours for engine states, in one place. */
import type { PeerConnectionState, ProcessingStage, SessionPhase } from '../engine/api.js';

export { PROCESSING_STAGES } from '../engine/api.js';

/** Words for the processing stages: `short` on the TUI's own line, `long` in notices, `title` on the page's buttons. */
export const PROCESSING_LABELS: Record<ProcessingStage, { readonly short: string; readonly long: string; readonly title: string }> = {
  'echo-cancellation': { short: 'AEC', long: 'echo cancellation', title: 'Echo cancellation' },
  'noise-suppression': { short: 'NS', long: 'noise suppression', title: 'Noise suppression' },
  'auto-gain': { short: 'AGC', long: 'gain control', title: 'Gain control' },
};

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'gray';

export const PHASE_LABEL: Record<SessionPhase, { readonly text: string; readonly tone: Tone }> = {
  'connecting-server': { text: 'connecting', tone: 'yellow' },
  knocking: { text: 'knocking', tone: 'yellow' },
  'waiting-for-peers': { text: 'waiting for peers', tone: 'cyan' },
  'in-call': { text: 'in call', tone: 'green' },
  'reconnecting-server': { text: 'reconnecting', tone: 'yellow' },
  leaving: { text: 'leaving', tone: 'gray' },
  left: { text: 'left', tone: 'gray' },
  failed: { text: 'failed', tone: 'red' },
};

export const PEER_STATE_LABEL: Record<PeerConnectionState, { readonly text: string; readonly short: string; readonly tone: Tone }> = {
  connecting: { text: 'connecting', short: '…', tone: 'yellow' },
  connected: { text: 'connected', short: '✓', tone: 'green' },
  reconnecting: { text: 'reconnecting', short: '↻', tone: 'yellow' },
  failed: { text: 'failed', short: '!', tone: 'red' },
  closed: { text: 'closed', short: '-', tone: 'gray' },
};

/** Labels for snapshot values an engine bug might send outside the union. */
export function phaseLabel(phase: SessionPhase): { text: string; tone: Tone } {
  return PHASE_LABEL[phase] ?? { text: String(phase), tone: 'gray' };
}

export function peerStateLabel(state: PeerConnectionState): { text: string; short: string; tone: Tone } {
  return PEER_STATE_LABEL[state] ?? { text: String(state), short: '?', tone: 'gray' };
}
