/** The host's log (the component's lines among them) in omni's logger. */

import type { Logger } from '@omni/channel-sdk';

/** The addon's log callback: `[level, target, message]` as a line of omni's `logger`. */
export function hostLogger(logger: Logger): (line: string[]) => void {
  return ([level = 'info', target = '', message = '']) => {
    const line = target === 'plugin' ? `component: ${message}` : message;
    const data = { target };
    if (level === 'error') logger.error(line, data);
    else if (level === 'warn') logger.warn(line, data);
    else if (level === 'info') logger.info(line, data);
    else logger.debug(line, data);
  };
}
