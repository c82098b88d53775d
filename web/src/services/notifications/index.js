import { request } from '../http.js'
import { session } from '../session.js'
export const listNotifications = () => request('GET', '/notifications', { token: session.token })
