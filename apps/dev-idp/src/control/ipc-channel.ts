import type { DevIdpCore } from '../dev-idp-core';
import type { FaultInjector } from '../http/faults';
import { handleControlRequest } from './control-handler';

/**
 * Serves control requests from the parent process, if there is one with an IPC channel. Without IPC (e.g.
 * `npm run dev:idp`) the control surface does not exist at all.
 */
export function attachIpcControlChannel(core: DevIdpCore, faults: FaultInjector, onParentGone: () => void): boolean {
  const send = process.send?.bind(process);
  if (!send) {
    return false;
  }
  process.on('message', (message: unknown) => {
    void handleControlRequest(message, core, faults).then((reply) => {
      if (reply && process.connected) {
        send(reply);
      }
    });
  });
  // A test runner that dies without stopping us must not leave an IdP running.
  process.once('disconnect', onParentGone);
  return true;
}
