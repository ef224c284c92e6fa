/**
 * The web client's entry point (bundled into dist/web/app.js by
 * scripts/build-web.mjs): the page UI (page/app.ts) on top of a browser
 * participant (participant.ts).
 */
import { generateJoinCode, signalingUrlForPage } from '../protocol/index.js';
import { consoleLogger } from './console-logger.js';
import { mountApp } from './page/app.js';
import { pageOptions } from './page-options.js';
import { joinFromBrowser, type BrowserParticipant } from './participant.js';

const options = pageOptions(location.href);
const logger = consoleLogger(options.logLevel);
const root = document.getElementById('app');

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    // Storage disabled (private mode, cookie settings): the name is simply not remembered.
    return null;
  }
}

if (root !== null) {
  let current: BrowserParticipant | null = null;
  mountApp(root, {
    pageUrl: location.href,
    storage: storage(),
    generateCode: generateJoinCode,
    copyText: (text) => navigator.clipboard.writeText(text),
    setFragment: (code) => history.replaceState(null, '', `#${code}`),
    linkContext: { turnTcpOnly: options.turnTcpOnly },
    join: async (code, name, onKnocking) => {
      const participant = await joinFromBrowser({
        code,
        name,
        onKnocking,
        serverUrl: signalingUrlForPage(location.href),
        iceServers: options.iceServers,
        relayOnly: options.relayOnly,
        processing: options.processing,
        logger,
      });
      current = participant;
      if (options.debug) (window as unknown as { roundtable?: BrowserParticipant }).roundtable = participant;
      return participant.session;
    },
  });
  // Closing the tab: tell the room now rather than leaving the others to time us out.
  window.addEventListener('pagehide', () => void current?.session.leave());
}
