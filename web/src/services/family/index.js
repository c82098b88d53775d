import { request } from '../http.js'
import { session } from '../session.js'
export const listFamily = () => request('GET', '/family', { token: session.token })
export const addFamilyMember = (form) => request('POST', '/family', { body: form, token: session.token })
export const removeFamilyMember = (memberId) => request('DELETE', `/family/${memberId}`, { token: session.token })
