// Countdowns (a hold's expiry, a session's release, a QR code's refresh) follow the service's
// clock, not the phone's: a phone a few minutes off would otherwise count to the wrong moment.
// The offset is measured once from GET /health (the midpoint of the round trip stands for the
// moment the service read its clock); until then, or if that fails, the phone's clock is used.
const health = require('../services/health')

let offsetMs = 0
let synced = null

function syncServerClock() {
  if (!synced) {
    const sent = Date.now()
    synced = health
      .getHealth()
      .then((h) => {
        const received = Date.now()
        const serverMs = Date.parse(h.time)
        if (!Number.isNaN(serverMs)) offsetMs = serverMs - (sent + received) / 2
        return offsetMs
      })
      .catch(() => {
        synced = null
        return offsetMs
      })
  }
  return synced
}

function serverNow() {
  return Date.now() + offsetMs
}

function resyncServerClock() {
  synced = null
  return syncServerClock()
}

module.exports = { syncServerClock, resyncServerClock, serverNow }
