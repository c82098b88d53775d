// The bill of one admission, day by day, with the deposit and the balance. Light on a phone: the
// page loads the summary (days without items) and a day's items only when it is unfolded, a page
// at a time ("更多明细"), so a two-month stay costs a few kilobytes until a day is opened.
const inpatient = require('../../../services/inpatient')
const { load, toastError } = require('../../../utils/page')
const { fenToYuan } = require('../../../utils/money')
const { formatDate, dateChip } = require('../../../utils/time')

const CATEGORIES = {
  drug: '药品',
  exam: '检查',
  lab: '检验',
  treatment: '治疗',
  nursing: '护理',
  bed: '床位',
  material: '材料',
  other: '其他',
}
const PAGE = 100

function quantityText(q) {
  return String(Number(q))
}

function itemView(date, offset) {
  return (it, i) => ({
    key: `${date}-${offset + i}`,
    name: it.name,
    category: CATEGORIES[it.category] || it.category,
    detail: `${quantityText(it.quantity)}${it.unit || ''} × ¥${fenToYuan(it.unit_price_fen)}`,
    amount: fenToYuan(it.amount_fen),
    isReturn: Number(it.quantity) < 0,
  })
}

function billView(bill) {
  const a = bill.admission
  return {
    admission: {
      name: a.name_masked,
      admissionNo: a.admission_no,
      where: [a.ward, a.bed && `${a.bed}床`].filter(Boolean).join(' '),
      admittedAt: formatDate(a.admitted_at),
      dischargedAt: a.discharged_at ? formatDate(a.discharged_at) : '',
    },
    days: bill.days.map((d) => ({
      date: d.date,
      label: dateChip(d.date).label,
      subtotal: fenToYuan(d.subtotal_fen),
      itemCount: d.item_count,
      items: [],
      nextOffset: d.item_count > 0 ? 0 : null,
      loading: false,
      open: false,
    })),
    total: fenToYuan(bill.total_fen),
    prepaid: fenToYuan(bill.prepaid_fen),
    balance: fenToYuan(bill.balance_fen),
    owing: bill.balance_fen < 0,
    inHospital: !a.discharged_at,
  }
}

Component({
  data: { status: 'loading', error: '', query: null, bill: null, open: {} },
  methods: {
    onLoad(query) {
      this.setData({
        query: {
          hospitalId: Number(query.hospital_id),
          cardId: query.card_id,
          admissionNo: decodeURIComponent(query.admission_no || ''),
        },
      })
      return this.refresh()
    },
    onShow() {
      // back from a deposit top-up: show the new prepaid amount
      if (this.data.bill) this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    async refresh() {
      const bill = await load(this, () => inpatient.getBillSummary(this.data.query), {
        apply: (summary) => {
          const view = billView(summary)
          const open = Object.assign({}, this.data.open)
          // the latest day starts unfolded
          if (view.days.length && !Object.keys(open).length) open[view.days[view.days.length - 1].date] = true
          view.days.forEach((d) => {
            d.open = Boolean(open[d.date])
          })
          return { bill: view, open }
        },
      })
      if (!bill) return
      // the unfolded days' first pages, one request each
      await Promise.all(this.data.bill.days.filter((d) => d.open).map((d) => this.loadItems(d.date)))
    },
    dayIndex(date) {
      return this.data.bill.days.findIndex((d) => d.date === date)
    },
    // the next page of a day's items (the first one when none is loaded yet)
    async loadItems(date) {
      const i = this.dayIndex(date)
      const day = i >= 0 ? this.data.bill.days[i] : null
      if (!day || day.loading || day.nextOffset === null) return
      this.setData({ [`bill.days[${i}].loading`]: true })
      try {
        const page = await inpatient.getBillDay(
          Object.assign({ date, offset: day.nextOffset, limit: PAGE }, this.data.query),
        )
        const items = day.items.concat(page.items.map(itemView(date, page.offset)))
        this.setData({
          [`bill.days[${i}].items`]: items,
          [`bill.days[${i}].nextOffset`]: page.next_offset,
          [`bill.days[${i}].loading`]: false,
        })
      } catch (err) {
        this.setData({ [`bill.days[${i}].loading`]: false })
        toastError(err)
      }
    },
    onToggleDay(e) {
      const date = e.currentTarget.dataset.date
      const opening = !this.data.open[date]
      const open = Object.assign({}, this.data.open, { [date]: opening })
      const days = this.data.bill.days.map((d) => Object.assign({}, d, { open: Boolean(open[d.date]) }))
      this.setData({ open, 'bill.days': days })
      const day = days.find((d) => d.date === date)
      if (opening && day && !day.items.length) return this.loadItems(date)
      return null
    },
    onMoreItems(e) {
      return this.loadItems(e.currentTarget.dataset.date)
    },
    onDeposit() {
      const q = this.data.query
      wx.navigateTo({
        url: `/pages/inpatient/deposit/index?hospital_id=${q.hospitalId}&card_id=${q.cardId}&admission_no=${encodeURIComponent(q.admissionNo)}&balance=${this.data.bill.balance}`,
      })
    },
  },
})
