// The itemised bill of one admission, day by day, with the deposit and the balance.
const inpatient = require('../../../services/inpatient')
const { load } = require('../../../utils/page')
const { fenToYuan } = require('../../../utils/money')
const { formatDate, dateChip } = require('../../../utils/time')

const CATEGORIES = { drug: '药品', exam: '检查', lab: '检验', treatment: '治疗', nursing: '护理', bed: '床位', material: '材料', other: '其他' }

function quantityText(q) {
  return String(Number(q))
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
      items: d.items.map((it, i) => ({
        key: `${d.date}-${i}`,
        name: it.name,
        category: CATEGORIES[it.category] || it.category,
        detail: `${quantityText(it.quantity)}${it.unit || ''} × ¥${fenToYuan(it.unit_price_fen)}`,
        amount: fenToYuan(it.amount_fen),
        isReturn: Number(it.quantity) < 0,
      })),
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
        query: { hospitalId: Number(query.hospital_id), cardId: query.card_id, admissionNo: decodeURIComponent(query.admission_no || '') },
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
    refresh() {
      return load(this, () => inpatient.getBill(this.data.query), {
        apply: (bill) => {
          const view = billView(bill)
          const open = Object.assign({}, this.data.open)
          // the latest day starts unfolded
          if (view.days.length && !Object.keys(open).length) open[view.days[view.days.length - 1].date] = true
          view.days.forEach((d) => {
            d.open = Boolean(open[d.date])
          })
          return { bill: view, open }
        },
      })
    },
    onToggleDay(e) {
      const date = e.currentTarget.dataset.date
      const open = Object.assign({}, this.data.open, { [date]: !this.data.open[date] })
      const days = this.data.bill.days.map((d) => Object.assign({}, d, { open: Boolean(open[d.date]) }))
      this.setData({ open, 'bill.days': days })
    },
    onDeposit() {
      const q = this.data.query
      wx.navigateTo({
        url: `/pages/inpatient/deposit/index?hospital_id=${q.hospitalId}&card_id=${q.cardId}&admission_no=${encodeURIComponent(q.admissionNo)}&balance=${this.data.bill.balance}`,
      })
    },
  },
})
