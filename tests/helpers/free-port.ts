/** The bench's free-port helper (bench/peers/free-port.ts), shared so the two cannot drift. */
export { getFreePort } from '../../bench/peers/free-port.js';
