// Admissions of a card (one's own or a family member's), or a bill looked up by hospital and
// admission number (住院号).
const cards = require('../../../services/cards')
const catalog = require('../../../services/catalog')
const inpatient = require('../../../services/inpatient')
const { load } = require('../../../utils/page')
const { fenToYuan } = require('../../../utils/money')
const { formatDate } = require('../../../utils/time')

Component({
  data: {
    status: 'loading',
    error: '',
    cards: [],
    cardId: '',
    listStatus: 'loading',
    listError: '',
    admissions: [],
    hospitals: [],
    hospitalIndex: -1,
    admissionNo: '',
  },
  methods: {
    async onLoad() {
      const list = await load(this, () => Promise.all([cards.listCards(), catalog.listHospitals()]), {
        apply: ([cardList, hospitals]) => ({
          cards: cardList,
          cardId: (cardList.find((c) => c.is_self) || cardList[0] || {}).card_id || '',
          hospitals: hospitals.map((h) => ({ id: h.id, name: h.name })),
        }),
        isEmpty: ([cardList]) => cardList.length === 0,
      })
      if (list && this.data.cardId) await this.loadAdmissions()
    },
    onPullDownRefresh() {
      return this.data.cardId ? this.loadAdmissions() : this.onLoad()
    },
    async loadAdmissions() {
      this.setData({ listStatus: 'loading', listError: '' })
      try {
        const rows = await inpatient.listAdmissions(this.data.cardId)
        this.setData({
          listStatus: rows.length ? 'ready' : 'empty',
          admissions: rows.map((a) => ({
            hospitalId: a.hospital_id,
            hospital: a.hospital_name,
            admissionNo: a.admission_no,
            where: [a.ward, a.bed && `${a.bed}床`].filter(Boolean).join(' '),
            admittedAt: formatDate(a.admitted_at),
            dischargedAt: a.discharged_at ? formatDate(a.discharged_at) : '',
            balance: fenToYuan(a.balance_fen),
            owing: a.balance_fen < 0,
          })),
        })
      } catch (err) {
        this.setData({ listStatus: 'error', listError: err.message })
      } finally {
        wx.stopPullDownRefresh()
      }
    },
    onCard(e) {
      this.setData({ cardId: e.detail.cardId })
      return this.loadAdmissions()
    },
    onOpen(e) {
      const { hospital, no } = e.currentTarget.dataset
      this.openBill(hospital, no)
    },
    openBill(hospitalId, admissionNo) {
      wx.navigateTo({
        url: `/pages/inpatient/bill/index?hospital_id=${hospitalId}&card_id=${this.data.cardId}&admission_no=${encodeURIComponent(admissionNo)}`,
      })
    },
    onHospital(e) {
      this.setData({ hospitalIndex: Number(e.detail.value) })
    },
    onAdmissionNo(e) {
      this.setData({ admissionNo: e.detail.value.trim() })
    },
    onLookup() {
      if (this.data.hospitalIndex < 0 || !this.data.admissionNo) {
        wx.showToast({ title: '请选择医院并填写住院号', icon: 'none' })
        return
      }
      this.openBill(this.data.hospitals[this.data.hospitalIndex].id, this.data.admissionNo)
    },
    onClaim() {
      wx.navigateTo({ url: '/pages/cards/claim/index' })
    },
  },
})
