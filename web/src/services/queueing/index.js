import { request, API } from '../http.js'
import { session } from '../session.js'
export const getBookingQueue = (bookingId) => request('GET', `/bookings/${bookingId}/queue`, { token: session.token })
export const getQueueBoard = (scheduleId) => request('GET', `/schedules/${scheduleId}/queue`)
// Server-sent events of the waiting-room board; the caller falls back to polling on error.
export const openQueueStream = (scheduleId) => new EventSource(`${API}/schedules/${scheduleId}/queue/stream`)
