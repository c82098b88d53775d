// Countdowns (a hold's expiry, a session's release, a QR code's refresh) follow the service's
// clock, not the device's: a phone a few minutes off would otherwise count to the wrong moment.
// The offset is measured from GET /health (the midpoint of the round trip stands for the moment
// the service read its clock); until then, or if that fails, the device's clock is used.
// Each client passes its own getHealth (one service function per endpoint).
export function makeServerClock(getHealth) {
  let offsetMs = 0
  let synced = null
  function syncServerClock() {
    if (!synced) {
      const sent = Date.now()
      synced = getHealth()
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
  const serverNow = () => Date.now() + offsetMs
  function resyncServerClock() {
    synced = null
    return syncServerClock()
  }
  return { syncServerClock, resyncServerClock, serverNow }
}
