// Dates, times and money as people read them. Status labels, relations and money helpers come
// from the texts and money shared with the mini-program (clients/shared/).
import { yuanLabel } from '../../clients/shared/money.js'
import {
  BOOKING_STATUS,
  SCHEDULE_STATUS,
  QUEUE_STATUS,
  RELATIONS,
  BILL_CATEGORIES,
  REFUND_STATUS,
} from '../../clients/shared/texts.js'

export { BOOKING_STATUS, SCHEDULE_STATUS, QUEUE_STATUS, RELATIONS }
export { fenToYuan, yuanToFen } from '../../clients/shared/money.js'
export const CATEGORY = BILL_CATEGORIES
export const yuan = yuanLabel
const TZ = 'Asia/Shanghai'
const parts = (iso, opts) =>
  new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour12: false, ...opts }).format(new Date(iso))
export const dateTime = (iso) =>
  iso ? parts(iso, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }) : '—'
export const time = (iso) => (iso ? parts(iso, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—')
export function shanghaiDate(ms) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(ms),
  )
}
const WEEK = '日一二三四五六'
export function dayLabel(isoDate) {
  const d = new Date(isoDate + 'T00:00:00+08:00')
  return `${isoDate.slice(5).replace('-', '月')}日 周${WEEK[new Date(d.getTime() + 8 * 3600e3).getUTCDay()]}`
}
export function countdown(seconds) {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60
  const pad = (n) => String(n).padStart(2, '0')
  return h ? `${h}:${pad(m)}:${pad(r)}` : `${pad(m)}:${pad(r)}`
}
export const refundState = (status) => REFUND_STATUS[status] || REFUND_STATUS.pending
