const http = require('../utils/request')

module.exports = {
  // POST /releases/{hospital_id}/tickets -> 201 (200: the one the account has)
  //   {ticket, position, admitted_through, estimated_wait_s, status, release_at, admitted_until}
  takeTicket: (hospitalId) => http.post(`/releases/${hospitalId}/tickets`),
  // GET /releases/{hospital_id}/tickets/{ticket} -> the same; status waiting | admitted | expired
  getTicket: (hospitalId, ticket) =>
    http.get(`/releases/${hospitalId}/tickets/${encodeURIComponent(ticket)}`, { auth: false }),
}
