// Schedule and booking rows ready for templates. The status labels are shared with the web app
// (clients/shared/texts.js, copied here by scripts/build-npm.js).
const { fenToYuan } = require('./money')
const { formatDateTime, dateChip, secondsUntil, formatCountdown } = require('./time')
const { serverNow } = require('./server-clock')
const {
  SCHEDULE_STATUS,
  BOOKING_STATUS,
  QUEUE_STATUS,
  PAYMENT_STATUS,
  REFUND_STATUS,
} = require('../miniprogram_npm/ehealth-shared/texts.js')

// Release closer than this is counted down to the second; further away it shows the time
const COUNTDOWN_FROM_S = 24 * 3600

// A session row; `nowMs` is the service's clock (defaults to serverNow()) for the release countdown
function scheduleRow(s, nowMs) {
  let note = SCHEDULE_STATUS[s.status] || s.status
  if (s.status === 'open') note = `剩余 ${s.remaining}`
  if (s.status === 'not_released') {
    const left = secondsUntil(s.release_at, typeof nowMs === 'number' ? nowMs : serverNow())
    if (left > COUNTDOWN_FROM_S) note = `${formatDateTime(s.release_at)} 放号`
    else note = left > 0 ? `${formatCountdown(left)} 后放号` : '正在放号…'
  }
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
    cancellable:
      b.status === 'confirmed' && Boolean(b.cancellable_until) && Date.parse(b.cancellable_until) > serverNow(),
    refund: b.refund ? `${REFUND_STATUS[b.refund.status] || b.refund.status} ¥${fenToYuan(b.refund.amount_fen)}` : '',
  }
}

module.exports = {
  SCHEDULE_STATUS,
  BOOKING_STATUS,
  QUEUE_STATUS,
  PAYMENT_STATUS,
  REFUND_STATUS,
  scheduleRow,
  bookingRow,
}
