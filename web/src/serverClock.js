// The service's clock for this browser's countdowns (clients/shared/server-clock.js).
import { getHealth } from './services/health/index.js'
import { makeServerClock } from '../../clients/shared/server-clock.js'

export const { syncServerClock, resyncServerClock, serverNow } = makeServerClock(getHealth)
