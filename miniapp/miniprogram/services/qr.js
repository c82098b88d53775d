const http = require('../utils/request')

module.exports = {
  // GET /cards/{card_id}/qrcode?kind=dynamic|static&format=json -> {payload, kind, expires_at, refresh_in}
  getQrCode: (cardId, kind) =>
    http.get(`/cards/${cardId}/qrcode`, { query: { kind: kind || 'dynamic', format: 'json' } }),
}
