import { API, ApiError, request } from '../http.js'
import { signRequest } from './signing.js'
import { terminal, terminalKey, serviceNowSeconds, syncClock } from './terminal.js'

async function signed(method, path, body) {
  const text = body === undefined ? '' : JSON.stringify(body)
  const key = await terminalKey()
  const send = async () => {
    const headers = await signRequest({
      terminalCode: terminal.code,
      key,
      method,
      path: API + path,
      body: text,
      timestamp: serviceNowSeconds(),
    })
    return request(method, path, { body: text || undefined, headers })
  }
  try {
    return await send()
  } catch (e) {
    // this machine's clock drifted from the service's: learn the offset and sign once more
    if (e instanceof ApiError && e.code === 'stale_timestamp') {
      await syncClock()
      return send()
    }
    throw e
  }
}

export const scanCode = (payload) => signed('POST', '/staff/scan', { payload })
export const checkIn = (payload, bookingId) => signed('POST', '/staff/checkins', { payload, booking_id: bookingId })
export const callNext = (scheduleId) => signed('POST', `/staff/schedules/${scheduleId}/call-next`)
