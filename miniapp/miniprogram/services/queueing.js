const http = require('../utils/request')

module.exports = {
  // GET /bookings/{id}/queue -> {called_number, your_number, ahead, status}
  getBookingQueue: (bookingId) => http.get(`/bookings/${bookingId}/queue`),
}
