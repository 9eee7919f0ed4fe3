/** `source` of every CloudEvent riskwatch publishes (alerts and orders, on every sink). */
export const EVENT_SOURCE = 'riskwatch';
