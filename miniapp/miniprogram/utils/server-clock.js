// The service's clock for the phone's countdowns (clients/shared/server-clock.js).
const health = require('../services/health')
const { makeServerClock } = require('../miniprogram_npm/ehealth-shared/server-clock.js')

module.exports = makeServerClock(() => health.getHealth())
