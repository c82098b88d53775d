import { request } from '../http.js'
import { session } from '../session.js'
export const placeHold = (scheduleId, cardId) =>
  request('POST', '/holds', { body: { schedule_id: scheduleId, card_id: cardId }, token: session.token })
export const getHold = (holdId) => request('GET', `/holds/${holdId}`, { token: session.token })
export const releaseHold = (holdId) => request('DELETE', `/holds/${holdId}`, { token: session.token })
export const listBookings = () => request('GET', '/bookings', { token: session.token })
export const getBooking = (id) => request('GET', `/bookings/${id}`, { token: session.token })
export const cancelBooking = (id) => request('DELETE', `/bookings/${id}`, { token: session.token })
