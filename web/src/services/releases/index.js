import { request } from '../http.js'
// the release waiting room (放号排队): the account's ticket for a hospital's release, and its status
export const takeTicket = (hospitalId) => request('POST', `/releases/${hospitalId}/tickets`)
export const getTicket = (hospitalId, ticket) =>
  request('GET', `/releases/${hospitalId}/tickets/${encodeURIComponent(ticket)}`)
