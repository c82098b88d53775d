// Linked family members; removal is refused for 45 days after linking, so each member shows
// the date from which it can be removed.
const family = require('../../../services/family')
const { serverNow } = require('../../../utils/server-clock')
const { load, toastError, confirm } = require('../../../utils/page')
const { relationLabel } = require('../../../utils/identity')
const { formatDate, formatDateTime } = require('../../../utils/time')

const MAX_MEMBERS = 10

Component({
  data: { status: 'loading', error: '', members: [], count: 0, max: MAX_MEMBERS },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onShow() {
      if (this._loaded) this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    async refresh() {
      await load(this, () => family.listFamily(), {
        apply: (list) => {
          const now = serverNow()
          return {
            count: list.length,
            members: list.map((m) => ({
              memberId: m.member_id,
              cardId: m.card.card_id,
              name: m.card.name_masked,
              idMasked: m.card.id_masked,
              relation: relationLabel(m.relation),
              linkedAt: formatDate(m.linked_at),
              removableAt: formatDate(m.removable_at),
              removable: Date.parse(m.removable_at) <= now,
            })),
          }
        },
        isEmpty: (list) => list.length === 0,
      })
      this._loaded = true
    },
    // the other direction: accounts that added the resident's own card (the page finds the card)
    onWhoUsesMyCard() {
      wx.navigateTo({ url: '/pages/cards/links/index' })
    },
    onAdd() {
      wx.navigateTo({ url: '/pages/family/add/index' })
    },
    onShowCode(e) {
      wx.navigateTo({ url: `/pages/cards/qrcode/index?card_id=${e.currentTarget.dataset.card}` })
    },
    async onRemove(e) {
      const member = this.data.members.find((m) => m.memberId === e.currentTarget.dataset.id)
      if (!member) return
      const ok = await confirm('解除绑定', `确定解除与 ${member.name} 的绑定吗？解除后不能再为其预约或查询。`)
      if (!ok) return
      try {
        await family.removeFamilyMember(member.memberId)
        wx.showToast({ title: '已解除绑定', icon: 'success' })
        await this.refresh()
      } catch (err) {
        if (err.code === 'removal_locked' && err.details.removable_at) {
          wx.showModal({
            title: '暂不能解除',
            content: `为防止倒号，绑定满45天后才能解除。${formatDateTime(err.details.removable_at)} 起可解除。`,
            showCancel: false,
          })
        } else {
          toastError(err)
        }
      }
    },
  },
})
