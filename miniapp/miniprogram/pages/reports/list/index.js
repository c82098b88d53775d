// Reports (报告查询) of one's own card or a family member's, newest first, by kind.
const cards = require('../../../services/cards')
const reports = require('../../../services/reports')
const { load } = require('../../../utils/page')
const { prepareSubscriptions, askToSubscribe } = require('../../../utils/subscribe')
const { KIND_TABS, reportRow } = require('../../../utils/reports')

Component({
  data: {
    status: 'loading',
    error: '',
    cards: [],
    cardId: '',
    tabs: KIND_TABS,
    kind: '',
    listStatus: 'loading',
    listError: '',
    reports: [],
  },
  methods: {
    async onLoad(options = {}) {
      prepareSubscriptions()
      const list = await load(this, () => cards.listCards(), {
        apply: (cardList) => ({
          cards: cardList,
          cardId:
            (
              cardList.find((c) => c.card_id === options.card_id) ||
              cardList.find((c) => c.is_self) ||
              cardList[0] ||
              {}
            ).card_id || '',
        }),
        isEmpty: (cardList) => cardList.length === 0,
      })
      if (list && this.data.cardId) await this.loadReports()
    },
    async onSubscribeReports() {
      const answers = await askToSubscribe('reports')
      const accepted = Object.values(answers).includes('accept')
      wx.showToast({ title: accepted ? '报告出来时将提醒您' : '未开启提醒，可在消息中查看', icon: 'none' })
    },
    onPullDownRefresh() {
      return this.data.cardId ? this.loadReports() : this.onLoad()
    },
    async loadReports() {
      this.setData({ listStatus: 'loading', listError: '' })
      try {
        const rows = await reports.listReports({ cardId: this.data.cardId, kind: this.data.kind || undefined })
        this.setData({ listStatus: rows.length ? 'ready' : 'empty', reports: rows.map(reportRow) })
      } catch (err) {
        this.setData({ listStatus: 'error', listError: err.message })
      } finally {
        wx.stopPullDownRefresh()
      }
    },
    onCard(e) {
      this.setData({ cardId: e.detail.cardId })
      return this.loadReports()
    },
    onKind(e) {
      this.setData({ kind: e.currentTarget.dataset.kind })
      return this.loadReports()
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/reports/detail/index?report_id=${e.currentTarget.dataset.id}` })
    },
    onClaim() {
      wx.navigateTo({ url: '/pages/cards/claim/index' })
    },
  },
})
