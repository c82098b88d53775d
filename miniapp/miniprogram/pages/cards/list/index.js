const cards = require('../../../services/cards')
const { load } = require('../../../utils/page')
const { relationLabel } = require('../../../utils/identity')

Component({
  data: { status: 'loading', error: '', cards: [], hasSelf: false },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => cards.listCards(), {
        apply: (list) => ({
          cards: list.map((c) =>
            Object.assign({}, c, {
              relationText: relationLabel(c.relation),
              active: c.status === 'active',
              own: c.owner === 'self' || (c.owner === undefined && c.is_self),
            }),
          ),
          hasSelf: list.some((c) => c.is_self),
        }),
        isEmpty: (list) => list.length === 0,
      })
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/cards/qrcode/index?card_id=${e.currentTarget.dataset.id}` })
    },
    onAccessLog(e) {
      wx.navigateTo({ url: `/pages/cards/access-log/index?card_id=${e.currentTarget.dataset.id}` })
    },
    onLinks(e) {
      wx.navigateTo({ url: `/pages/cards/links/index?card_id=${e.currentTarget.dataset.id}` })
    },
    onChangePhone(e) {
      wx.navigateTo({ url: `/pages/cards/phone/index?card_id=${e.currentTarget.dataset.id}` })
    },
    onClaim() {
      wx.navigateTo({ url: '/pages/cards/claim/index' })
    },
    onAddFamily() {
      wx.navigateTo({ url: '/pages/family/add/index' })
    },
  },
})
