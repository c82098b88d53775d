import { request } from '../http.js'
import { session } from '../session.js'
export const listMessages = () => request('GET', '/notifications', { token: session.token })
