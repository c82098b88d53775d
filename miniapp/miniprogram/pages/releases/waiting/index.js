// The release waiting room (放号排队): takes the account's ticket for the hospital's release,
// shows its position and the estimated wait, polls it every few seconds and moves on to the
// session list (or the page that sent the resident here) once the ticket is admitted.
const releases = require('../../../services/releases')
const { TICKET_STATUS } = require('../../../miniprogram_npm/ehealth-shared/texts.js')

const POLL_MS = 3000

function waitText(seconds) {
  if (seconds === null || seconds === undefined) return '暂停放行，请稍候'
  if (seconds < 60) return `约 ${Math.max(seconds, 1)} 秒`
  return `约 ${Math.ceil(seconds / 60)} 分钟`
}

Component({
  data: {
    status: 'loading',
    error: '',
    hospitalId: 0,
    next: '',
    ticket: '',
    ticketStatus: '',
    statusText: '',
    position: null,
    admittedThrough: 0,
    ahead: 0,
    waitText: '',
  },
  methods: {
    onLoad(query) {
      const hospitalId = Number(query.hospital_id)
      const next = query.next
        ? decodeURIComponent(query.next)
        : `/pages/booking/departments/index?hospital_id=${hospitalId}`
      this.setData({ hospitalId, next })
      return this.enter()
    },
    onUnload() {
      this.stopPolling()
    },
    onHide() {
      this.stopPolling()
    },
    onShow() {
      if (this.data.ticket && this.data.ticketStatus === 'waiting' && !this.timer) this.schedulePoll()
    },
    async enter() {
      this.setData({ status: 'loading', error: '' })
      try {
        this.show(await releases.takeTicket(this.data.hospitalId))
      } catch (err) {
        if (err.code === 'room_not_open') return this.moveOn() // nobody waits now
        this.setData({ status: 'error', error: err.message })
      }
    },
    show(t) {
      const data = {
        status: 'ready',
        ticket: t.ticket,
        ticketStatus: t.status,
        statusText: TICKET_STATUS[t.status] || t.status,
        position: t.position,
        admittedThrough: t.admitted_through || 0,
        ahead: t.position ? Math.max(t.position - (t.admitted_through || 0) - 1, 0) : 0,
        waitText: waitText(t.estimated_wait_s),
      }
      this.setData(data)
      if (t.status === 'admitted') return this.moveOn()
      if (t.status === 'waiting') this.schedulePoll()
      return null
    },
    schedulePoll() {
      this.stopPolling()
      this.timer = setTimeout(() => this.poll(), POLL_MS)
    },
    stopPolling() {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
    },
    async poll() {
      this.timer = null
      try {
        this.show(await releases.getTicket(this.data.hospitalId, this.data.ticket))
      } catch (err) {
        // a lost answer is asked again; the place in the queue is kept by the service
        if (err.code === 'network') this.schedulePoll()
        else this.setData({ status: 'error', error: err.message })
      }
    },
    moveOn() {
      this.stopPolling()
      wx.redirectTo({ url: this.data.next })
    },
  },
})
