import { request } from '../http.js'
import { session } from '../session.js'
// the release waiting room (放号排队): the account's ticket for a hospital's release, and its
// status (the signed ticket is its own credential)
export const takeTicket = (hospitalId) => request('POST', `/releases/${hospitalId}/tickets`, { token: session.token })
export const getTicket = (hospitalId, ticket) =>
  request('GET', `/releases/${hospitalId}/tickets/${encodeURIComponent(ticket)}`)
