// The resident's bearer token, kept in this browser.
import { reactive } from 'vue'
const KEY = 'ehealth.resident'
export const session = reactive(JSON.parse(localStorage.getItem(KEY) || '{"token":null}'))
export function saveSession(data) {
  Object.assign(session, data)
  localStorage.setItem(KEY, JSON.stringify(session))
}
export function clearSession() {
  for (const k of Object.keys(session)) session[k] = null
  localStorage.removeItem(KEY)
}
