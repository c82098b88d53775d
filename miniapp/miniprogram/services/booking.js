const http = require('../utils/request')

module.exports = {
  // POST /holds {schedule_id, card_id} -> 201 {hold_id, expires_at, amount_fen}
  placeHold: (scheduleId, cardId) => http.post('/holds', { schedule_id: scheduleId, card_id: cardId }),
  // GET /holds/{hold_id} -> {hold_id, schedule_id, card_id, expires_at, amount_fen, kind, state}
  getHold: (holdId) => http.get(`/holds/${holdId}`),
  // DELETE /holds/{hold_id} -> 204 (give the slot back before paying)
  releaseHold: (holdId) => http.del(`/holds/${holdId}`),
  // GET /bookings -> [booking] of the account's own and linked cards
  listBookings: () => http.get('/bookings'),
  // GET /bookings/{id} -> booking
  getBooking: (bookingId) => http.get(`/bookings/${bookingId}`),
  // DELETE /bookings/{id} -> the cancelled booking with its refund
  cancelBooking: (bookingId) => http.del(`/bookings/${bookingId}`),
}
