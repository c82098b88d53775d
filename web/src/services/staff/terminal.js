// The terminal's credentials (entered once, kept in this browser) and its clock offset to the
// service clock: timestamps are judged by the service's clock, not this machine's.
import { reactive } from 'vue'
import { getHealth } from '../health/index.js'
const KEY = 'ehealth.terminal'
export const terminal = reactive(JSON.parse(localStorage.getItem(KEY) || '{"code":"","secret":"","name":""}'))
let offsetMs = 0
export function saveTerminal(data) {
  Object.assign(terminal, data)
  localStorage.setItem(KEY, JSON.stringify(terminal))
}
export function forgetTerminal() {
  saveTerminal({ code: '', secret: '', name: '' })
  localStorage.removeItem(KEY)
}
export async function syncClock() {
  const before = Date.now()
  const health = await getHealth()
  const after = Date.now()
  offsetMs = new Date(health.time).getTime() - (before + after) / 2
  return offsetMs
}
export const serviceNowSeconds = () => Math.floor((Date.now() + offsetMs) / 1000)
