const cards = require('../../../services/cards')
const { load } = require('../../../utils/page')
const { relationLabel } = require('../../../utils/identity')
const { refreshBadge } = require('../../../utils/badge')

const ENTRIES = [
  { key: 'cards', title: '我的健康卡', icon: '卡', url: '/pages/cards/list/index' },
  { key: 'booking', title: '预约挂号', icon: '约', url: '/pages/booking/hospitals/index' },
  { key: 'bookings', title: '我的预约', icon: '单', url: '/pages/booking/list/index' },
  { key: 'family', title: '家人管理', icon: '家', url: '/pages/family/list/index' },
  { key: 'inpatient', title: '住院清单', icon: '住', url: '/pages/inpatient/admissions/index' },
  { key: 'outpatient', title: '门诊缴费', icon: '缴', url: '/pages/outpatient/charges/index' },
  { key: 'reports', title: '报告查询', icon: '报', url: '/pages/reports/list/index' },
  { key: 'messages', title: '消息', icon: '信', url: '/pages/me/messages/index' },
  { key: 'me', title: '我的', icon: '我', url: '/pages/me/index/index' },
]

Component({
  data: { status: 'loading', error: '', selfCard: null, memberCount: 0, entries: ENTRIES, unread: 0 },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onShow() {
      // back from claiming a card: show it
      if (this.data.status !== 'loading') this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refreshBadge() {
      // the unread count on the messages entry (and the tab bar, where there is one)
      return refreshBadge().then((unread) => this.setData({ unread }))
    },
    refresh() {
      this.refreshBadge()
      return load(this, () => cards.listCards(), {
        apply: (list) => {
          const self = list.find((c) => c.is_self) || null
          return {
            selfCard: self && Object.assign({}, self, { relationText: relationLabel(self.relation) }),
            memberCount: list.filter((c) => !c.is_self).length,
          }
        },
      })
    },
    onShowCode() {
      wx.navigateTo({ url: `/pages/cards/qrcode/index?card_id=${this.data.selfCard.card_id}` })
    },
    onClaim() {
      wx.navigateTo({ url: '/pages/cards/claim/index' })
    },
    onEntry(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url })
    },
  },
})
