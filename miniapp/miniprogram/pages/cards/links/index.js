// 谁在使用我的卡: the accounts that linked the resident's own card as a family member's. The
// owner ends any of these links at once (the 45-day lock binds the linking account, not them).
// Opened from the own card (with card_id) or from a "card_linked" message or WeChat notice
// (without: the own card is looked up).
const cards = require('../../../services/cards')
const { load, toastError, confirm } = require('../../../utils/page')
const { relationLabel } = require('../../../utils/identity')
const { formatDateTime } = require('../../../utils/time')

const isOwn = (c) => c.owner === 'self' || (c.owner === undefined && c.is_self)

function linkRow(link) {
  return {
    linkId: link.link_id,
    account: link.account_masked,
    relationText: relationLabel(link.relation),
    linkedAt: formatDateTime(link.linked_at),
  }
}

Component({
  data: {
    status: 'loading',
    error: '',
    cardId: '',
    card: null,
    links: [],
    ending: 0,
    emptyText: '暂无其他账号使用您的卡',
  },
  methods: {
    onLoad(query) {
      this.setData({ cardId: (query && query.card_id) || '' })
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    // the own card (given, or found among the account's cards) and the links to it
    async fetch() {
      let card
      if (this.data.cardId) {
        card = await cards.getCard(this.data.cardId)
      } else {
        card = (await cards.listCards()).find(isOwn) || null
        if (!card) return { card: null, links: [] }
      }
      return { card, links: await cards.listCardLinks(card.card_id) }
    },
    refresh() {
      return load(this, () => this.fetch(), {
        apply: ({ card, links }) => ({
          card,
          cardId: card ? card.card_id : '',
          links: links.map(linkRow),
          emptyText: card ? '暂无其他账号使用您的卡' : '您还没有领取本人的电子健康卡',
        }),
        isEmpty: ({ links }) => links.length === 0,
      })
    },
    async onEnd(e) {
      const link = this.data.links.find((l) => l.linkId === Number(e.currentTarget.dataset.id))
      if (!link || this.data.ending) return
      const ok = await confirm(
        '结束关联',
        `确定结束 ${link.account}（以“${link.relationText}”身份关联）对您健康卡的使用吗？结束后对方立即不能再为您出示二维码、预约挂号或查询，` +
          '其未支付的锁号将被释放，已支付的预约仍保留在您的卡上。',
      )
      if (!ok) return
      this.setData({ ending: link.linkId })
      try {
        await cards.endCardLink(this.data.cardId, link.linkId)
        wx.showToast({ title: '已结束关联', icon: 'success' })
      } catch (err) {
        toastError(err)
      } finally {
        this.setData({ ending: 0 })
      }
      await this.refresh()
    },
    onChangePhone() {
      wx.navigateTo({ url: `/pages/cards/phone/index?card_id=${this.data.cardId}` })
    },
  },
})
