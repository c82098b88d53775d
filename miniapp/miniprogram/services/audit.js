const http = require('../utils/request')

module.exports = {
  // GET /cards/{card_id}/access-log -> [{id, at, action, result, hospital, terminal}]
  listScanHistory: (cardId) => http.get(`/cards/${cardId}/access-log`),
}
