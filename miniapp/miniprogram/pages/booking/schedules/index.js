// A department's sessions on one date: remaining slots and status; sessions not released yet
// say when they open.
const catalog = require('../../../services/catalog')
const { load } = require('../../../utils/page')
const { shanghaiDate, dateChip } = require('../../../utils/time')
const { scheduleRow } = require('../../../utils/labels')
const { syncServerClock, serverNow } = require('../../../utils/server-clock')

const DAYS_SHOWN = 10

Component({
  data: {
    status: 'loading',
    error: '',
    departmentId: 0,
    departmentName: '',
    hospitalName: '',
    dates: [],
    date: '',
    sessions: [],
  },
  methods: {
    async onLoad(query) {
      await syncServerClock()
      const now = serverNow()
      const today = shanghaiDate(now)
      const dates = []
      for (let i = 0; i < DAYS_SHOWN; i += 1) dates.push(dateChip(shanghaiDate(now, i), today))
      this.setData({
        departmentId: Number(query.department_id),
        departmentName: decodeURIComponent(query.department_name || ''),
        hospitalName: decodeURIComponent(query.hospital_name || ''),
        dates,
        date: query.date || dates[0].date,
      })
      return this.refresh()
    },
    onUnload() {
      this.stopTick()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => catalog.listSchedules(this.data.departmentId, this.data.date), {
        apply: (list) => {
          this.startTick(list)
          return { sessions: list.map((s) => scheduleRow(s, serverNow())) }
        },
        isEmpty: (list) => list.length === 0,
      })
    },
    // sessions not released yet count down to their release on the service's clock
    startTick(list) {
      this.stopTick()
      if (!list.some((s) => s.status === 'not_released')) return
      this._tick = setInterval(() => this.setData({ sessions: list.map((s) => scheduleRow(s, serverNow())) }), 1000)
    },
    stopTick() {
      if (this._tick) clearInterval(this._tick)
      this._tick = null
    },
    onDate(e) {
      this.setData({ date: e.currentTarget.dataset.date })
      return this.refresh()
    },
    onPick(e) {
      const session = this.data.sessions.find((s) => s.id === e.currentTarget.dataset.id)
      if (!session || !session.bookable) {
        if (session) wx.showToast({ title: session.note, icon: 'none' })
        return
      }
      wx.navigateTo({ url: `/pages/booking/confirm/index?schedule_id=${session.id}` })
    },
  },
})
