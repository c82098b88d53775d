// Business times are Asia/Shanghai (UTC+8, no daylight saving) whatever the phone's zone is.
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000

function pad(n) {
  return String(n).padStart(2, '0')
}

// A Date (or ISO text with offset, or ms) as its Shanghai wall-clock parts
function shanghaiParts(value) {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (Number.isNaN(ms)) return null
  const d = new Date(ms + SHANGHAI_OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  }
}

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']

function formatDateTime(iso) {
  if (!iso) return ''
  const p = shanghaiParts(iso)
  if (!p) return ''
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`
}

function formatDate(iso) {
  if (!iso) return ''
  const p = shanghaiParts(iso)
  return p ? `${p.year}年${p.month}月${p.day}日` : ''
}

// "YYYY-MM-DD" of today in Shanghai, plus `days`
function shanghaiDate(now, days) {
  const p = shanghaiParts((now instanceof Date ? now.getTime() : now) + (days || 0) * 86400000)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`
}

// A business date "YYYY-MM-DD" for a date strip: {date, label: '11月26日', weekday: '周四'}
function dateChip(date, todayDate) {
  const [y, m, d] = date.split('-').map(Number)
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]
  return { date, label: `${m}月${d}日`, weekday: date === todayDate ? '今天' : weekday }
}

// Whole seconds from `nowMs` (pass the service's clock, utils/server-clock.serverNow()) to `at`
// (ISO text or epoch ms), never below 0
function secondsUntil(at, nowMs) {
  const ms = (typeof at === 'number' ? at : Date.parse(at)) - nowMs
  return Math.max(0, Math.ceil(ms / 1000))
}

// 605 -> "10:05"; an hour or more -> "1:02:03"
function formatCountdown(seconds) {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`
}

module.exports = {
  shanghaiParts,
  formatDateTime,
  formatDate,
  shanghaiDate,
  dateChip,
  secondsUntil,
  formatCountdown,
  pad,
}
