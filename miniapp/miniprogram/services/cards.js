const http = require('../utils/request')

module.exports = {
  // POST /cards {name, id_number, phone, sms_code} -> card
  claimCard: ({ name, idNumber, phone, smsCode }) =>
    http.post('/cards', { name, id_number: idNumber, phone, sms_code: smsCode }),
  // GET /cards -> [card], own first, then family members'
  listCards: () => http.get('/cards'),
  // GET /cards/{card_id} -> card
  getCard: (cardId) => http.get(`/cards/${cardId}`),
  // POST /cards/{card_id}/reissue -> card with a new card_id (the printed code stops working)
  reissueCard: (cardId) => http.post(`/cards/${cardId}/reissue`, {}),
}
