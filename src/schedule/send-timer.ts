/** How the open-loop schedule waits for each send time (--send-timer; see deadline-wait.ts). */
export const SEND_TIMERS = ['auto', 'native', 'spin', 'timeout'] as const;
export type SendTimer = (typeof SEND_TIMERS)[number];
