import { request } from '../http.js'
import { session } from '../session.js'
export const payHold = (holdId) => request('POST', `/holds/${holdId}/payment`, { token: session.token })
export const getPayment = (outTradeNo) => request('GET', `/payments/${outTradeNo}`, { token: session.token })
