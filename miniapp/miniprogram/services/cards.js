const http = require('../utils/request')

module.exports = {
  // POST /cards {name, id_number, phone, sms_code} -> card
  // (409 phone_mismatch with phone_masked: the card exists, its registered phone must get the code)
  claimCard: ({ name, idNumber, phone, smsCode }) =>
    http.post('/cards', { name, id_number: idNumber, phone, sms_code: smsCode }),
  // GET /cards -> [card], own first, then family members'; card.owner: self | other | none
  listCards: () => http.get('/cards'),
  // GET /cards/{card_id} -> card
  getCard: (cardId) => http.get(`/cards/${cardId}`),
  // POST /cards/{card_id}/reissue -> card with a new card_id (the printed code stops working);
  // 403 owner_only when the card has an owner and the caller is only linked to it
  reissueCard: (cardId) => http.post(`/cards/${cardId}/reissue`, {}),
  // GET /cards/{card_id}/links (the owner) -> [{link_id, account_masked, relation, linked_at}]:
  // the other accounts using the caller's own card
  listCardLinks: (cardId) => http.get(`/cards/${cardId}/links`),
  // DELETE /cards/{card_id}/links/{link_id} (the owner) -> 204: that account loses the card at once
  endCardLink: (cardId, linkId) => http.del(`/cards/${cardId}/links/${linkId}`),
  // PUT /cards/{card_id}/phone {phone, sms_code} (the owner) -> card; the code goes to the NEW
  // phone (POST /sms/codes purpose change_phone); 409 same_phone when it is the registered one
  changeCardPhone: (cardId, { phone, smsCode }) => http.put(`/cards/${cardId}/phone`, { phone, sms_code: smsCode }),
}
