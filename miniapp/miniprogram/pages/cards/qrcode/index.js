// The card's code at the clinic: the dynamic code (valid about a minute, used once) is fetched
// and redrawn every refresh_in seconds; the static code only identifies and hides behind a tap.
const cards = require('../../../services/cards')
const qr = require('../../../services/qr')
const { drawQr } = require('../../../utils/qr-draw')
const { load, toastError, confirm } = require('../../../utils/page')
const { relationLabel } = require('../../../utils/identity')
const { secondsUntil } = require('../../../utils/time')
const { syncServerClock, serverNow } = require('../../../utils/server-clock')

Component({
  data: {
    status: 'loading',
    error: '',
    cardId: '',
    card: null,
    own: false,
    canReissue: false,
    kind: 'dynamic',
    payload: '',
    refreshIn: 0,
    draws: 0,
    qrError: '',
  },
  methods: {
    onLoad(query) {
      this.setData({ cardId: query.card_id || '' })
      return this.refresh()
    },
    onShow() {
      this.brighten()
      if (this.data.card && this.data.kind === 'dynamic' && !this._timer) this.loadCode()
    },
    onHide() {
      this.stopTimers()
      this.restoreBrightness()
    },
    onUnload() {
      this.stopTimers()
      this.restoreBrightness()
    },
    // clinic scanners read a bright screen far better; the resident's setting comes back after
    brighten() {
      wx.getScreenBrightness({
        success: (res) => {
          if (this._brightness === undefined) this._brightness = res.value
          wx.setScreenBrightness({ value: 1 })
        },
      })
      wx.setKeepScreenOn({ keepScreenOn: true })
    },
    restoreBrightness() {
      if (this._brightness !== undefined) wx.setScreenBrightness({ value: this._brightness })
      this._brightness = undefined
      wx.setKeepScreenOn({ keepScreenOn: false })
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    async refresh() {
      const card = await load(this, () => cards.getCard(this.data.cardId), {
        apply: (c) => {
          // the owner manages their card; a card nobody owns (a child's), any account linked to it
          const owner = c.owner || (c.is_self ? 'self' : 'other')
          return {
            card: Object.assign({}, c, { relationText: relationLabel(c.relation) }),
            own: owner === 'self',
            canReissue: owner === 'self' || owner === 'none',
          }
        },
      })
      if (card) await this.loadCode()
    },
    stopTimers() {
      if (this._timer) clearTimeout(this._timer)
      if (this._tick) clearInterval(this._tick)
      this._timer = null
      this._tick = null
    },
    async loadCode() {
      this.stopTimers()
      try {
        const [code] = await Promise.all([qr.getQrCode(this.data.cardId, this.data.kind), syncServerClock()])
        // the next code's moment on the service's clock: the seconds shown count down to it
        this._refreshAt = serverNow() + (code.refresh_in || 0) * 1000
        this.setData({ payload: code.payload, refreshIn: code.refresh_in || 0, qrError: '' })
        await drawQr(this, '#qr', code.payload)
        this.setData({ draws: this.data.draws + 1 })
        if (code.kind === 'dynamic') this.scheduleRefresh(code.refresh_in)
      } catch (err) {
        this.setData({ qrError: err.message })
      }
    },
    scheduleRefresh(seconds) {
      const wait = Math.max(1, seconds || 60)
      this._timer = setTimeout(() => this.loadCode(), wait * 1000)
      this._tick = setInterval(() => this.setData({ refreshIn: secondsUntil(this._refreshAt, serverNow()) }), 1000)
    },
    onRefreshCode() {
      return this.loadCode()
    },
    async onShowStatic() {
      const ok = await confirm(
        '显示静态码',
        '静态码长期有效，仅用于识别身份，不能用于签到或支付。请勿随意转发或截图给他人。',
      )
      if (!ok) return
      this.setData({ kind: 'static' })
      await this.loadCode()
    },
    onShowDynamic() {
      this.setData({ kind: 'dynamic' })
      return this.loadCode()
    },
    async onReissue() {
      const ok = await confirm('补换卡号', '补换后旧的静态码（包括打印件）立即作废，已有预约不受影响。确定补换吗？')
      if (!ok) return
      try {
        const card = await cards.reissueCard(this.data.cardId)
        wx.showToast({ title: '已补换卡号', icon: 'success' })
        wx.redirectTo({ url: `/pages/cards/qrcode/index?card_id=${card.card_id}` })
      } catch (err) {
        toastError(err)
      }
    },
    onLinks() {
      wx.navigateTo({ url: `/pages/cards/links/index?card_id=${this.data.cardId}` })
    },
    onChangePhone() {
      wx.navigateTo({ url: `/pages/cards/phone/index?card_id=${this.data.cardId}` })
    },
    onAccessLog() {
      wx.navigateTo({ url: `/pages/cards/access-log/index?card_id=${this.data.cardId}` })
    },
  },
})
