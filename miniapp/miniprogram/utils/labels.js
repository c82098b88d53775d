// Chinese labels of the service's statuses, and schedule/booking rows ready for templates.
const { fenToYuan } = require('./money')
const { formatDateTime, dateChip } = require('./time')

const SCHEDULE_STATUS = { open: '可预约', full: '已约满', ended: '已结束', suspended: '停诊', not_released: '未放号' }
const BOOKING_STATUS = { confirmed: '已预约', checked_in: '已签到', called: '已叫号', no_show: '已爽约', cancelled: '已取消', refunded: '已退款', suspended: '已停诊' }
const QUEUE_STATUS = { not_checked_in: '未签到', waiting: '候诊中', called: '已叫号，请就诊', done: '已就诊', cancelled: '预约已取消' }
const PAYMENT_STATUS = { created: '待支付', booked: '预约成功', refund_pending: '退款中', refunded: '已退款', closed: '已关闭' }
const REFUND_STATUS = { pending: '退款处理中', processing: '退款处理中', success: '已退款', closed: '退款关闭', abnormal: '退款异常，请联系客服' }

function scheduleRow(s) {
  let note = SCHEDULE_STATUS[s.status] || s.status
  if (s.status === 'open') note = `剩余 ${s.remaining}`
  if (s.status === 'not_released') note = `${formatDateTime(s.release_at)} 放号`
  return {
    id: s.id,
    doctor: s.doctor.name,
    title: s.doctor.title || '',
    time: `${s.start}-${s.end}`,
    fee: fenToYuan(s.fee_fen),
    status: s.status,
    statusText: SCHEDULE_STATUS[s.status] || s.status,
    note,
    bookable: s.status === 'open' && s.remaining > 0,
  }
}

function bookingRow(b) {
  const s = b.schedule
  return {
    id: b.id,
    status: b.status,
    statusText: BOOKING_STATUS[b.status] || b.status,
    visitNumber: b.visit_number,
    hospital: s.hospital.name,
    department: s.department.name,
    doctor: `${s.doctor.name}${s.doctor.title ? ` ${s.doctor.title}` : ''}`,
    when: `${dateChip(s.date).label} ${s.start}-${s.end}`,
    date: s.date,
    amount: fenToYuan(b.amount_fen),
    cardId: b.card_id,
    cancellableUntil: b.cancellable_until ? formatDateTime(b.cancellable_until) : '',
    cancellable: b.status === 'confirmed' && Boolean(b.cancellable_until) && Date.parse(b.cancellable_until) > Date.now(),
    refund: b.refund ? `${REFUND_STATUS[b.refund.status] || b.refund.status} ¥${fenToYuan(b.refund.amount_fen)}` : '',
  }
}

module.exports = { SCHEDULE_STATUS, BOOKING_STATUS, QUEUE_STATUS, PAYMENT_STATUS, REFUND_STATUS, scheduleRow, bookingRow }
