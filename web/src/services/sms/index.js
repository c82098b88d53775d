import { request } from '../http.js'
export const sendSmsCode = (phone, purpose) => request('POST', '/sms/codes', { body: { phone, purpose } })
