const TZ = 'Asia/Shanghai'
export const yuan = (fen) => (fen == null ? '—' : `¥${(fen / 100).toFixed(2)}`)
const parts = (iso, opts) => new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour12: false, ...opts }).format(new Date(iso))
export const dateTime = (iso) => (iso ? parts(iso, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }) : '—')
export const time = (iso) => (iso ? parts(iso, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—')
export function shanghaiDate(ms) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms))
}
const WEEK = '日一二三四五六'
export function dayLabel(isoDate) {
  const d = new Date(isoDate + 'T00:00:00+08:00')
  return `${isoDate.slice(5).replace('-', '月')}日 周${WEEK[new Date(d.getTime() + 8 * 3600e3).getUTCDay()]}`
}
export function countdown(seconds) {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60
  const pad = (n) => String(n).padStart(2, '0')
  return h ? `${h}:${pad(m)}:${pad(r)}` : `${pad(m)}:${pad(r)}`
}
export const RELATIONS = { self: '本人', spouse: '配偶', child: '子女', parent: '父母', sibling: '兄弟姐妹', grandparent: '祖父母', grandchild: '孙子女', relative: '亲属', other: '其他' }
export const BOOKING_STATUS = { confirmed: '已预约', checked_in: '已签到', called: '已叫号', no_show: '爽约', cancelled: '已退号', refunded: '已退款', suspended: '已停诊' }
export const SCHEDULE_STATUS = { not_released: '未放号', open: '可预约', full: '已约满', ended: '已结束', suspended: '已停诊' }
export const QUEUE_STATUS = { not_checked_in: '未签到', waiting: '候诊中', called: '正在叫您', done: '已就诊', cancelled: '已取消' }
export const CATEGORY = { drug: '药品', exam: '检查', lab: '检验', treatment: '治疗', nursing: '护理', bed: '床位', material: '材料', other: '其他' }
export const refundState = (status) => ({ success: '已原路退回', closed: '退款关闭，请联系医院', abnormal: '退款异常，请联系医院' })[status] || '退款处理中'
