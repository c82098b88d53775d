const http = require('../utils/request')

module.exports = {
  // GET /health -> {status, time, ...}: the service's clock, for countdowns
  getHealth: () => http.get('/health', { auth: false }),
}
