const identity = require('../../../services/identity')
const { load, toastError, confirm } = require('../../../utils/page')

const LINKS = [
  { key: 'cards', title: '我的健康卡', url: '/pages/cards/list/index' },
  { key: 'bookings', title: '我的预约', url: '/pages/booking/list/index' },
  { key: 'family', title: '家人管理', url: '/pages/family/list/index' },
  { key: 'inpatient', title: '住院清单', url: '/pages/inpatient/admissions/index' },
  { key: 'outpatient', title: '门诊缴费', url: '/pages/outpatient/charges/index' },
  { key: 'messages', title: '消息通知', url: '/pages/me/messages/index' },
]

Component({
  data: { status: 'loading', error: '', accountId: 0, links: LINKS },
  methods: {
    onLoad() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => identity.getMe(), { apply: (me) => ({ accountId: me.account_id }) })
    },
    onLink(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url })
    },
    async onLogout() {
      const ok = await confirm('退出登录', '退出后再次进入小程序会自动重新登录。')
      if (!ok) return
      try {
        await identity.logout()
        wx.reLaunch({ url: '/pages/home/index/index' })
      } catch (err) {
        toastError(err)
      }
    },
  },
})
