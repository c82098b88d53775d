import { request } from '../http.js'
import { session } from '../session.js'
export const wxLogin = (code) => request('POST', '/auth/wx-login', { body: { code } })
export const getMe = () => request('GET', '/auth/me', { token: session.token })
export const logout = () => request('POST', '/auth/logout', { token: session.token })
