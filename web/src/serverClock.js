// Countdowns (hold expiry, slot release) follow the service clock, not this device's.
import { getHealth } from './services/health/index.js'
let offsetMs = 0
let synced = null
export function syncServerClock() {
  synced ??= getHealth()
    .then((h) => {
      offsetMs = new Date(h.time).getTime() - Date.now()
      return h
    })
    .catch(() => {
      synced = null
    })
  return synced
}
export const serverNow = () => Date.now() + offsetMs
export function resyncServerClock() {
  synced = null
  return syncServerClock()
}
