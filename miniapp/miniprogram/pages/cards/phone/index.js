// The owner moves their card to a new phone: the SMS code goes to the NEW phone, which proves
// the resident holds it. A family member's card (no owner) is reset only at a hospital counter.
const cards = require('../../../services/cards')
const { checkPhone } = require('../../../utils/identity')
const { sendWithCountdown, stopCountdown } = require('../../../utils/sms-countdown')
const { load, toastError } = require('../../../utils/page')

const isOwn = (c) => c.owner === 'self' || (c.owner === undefined && c.is_self)

Component({
  data: {
    status: 'loading',
    error: '',
    cardId: '',
    card: null,
    own: false,
    phone: '',
    phoneHint: '',
    smsCode: '',
    smsWait: 0,
    smsHint: '',
    submitting: false,
    formError: '',
  },
  methods: {
    onLoad(query) {
      this.setData({ cardId: (query && query.card_id) || '' })
      return this.refresh()
    },
    onUnload() {
      stopCountdown(this)
    },
    refresh() {
      return load(this, () => cards.getCard(this.data.cardId), {
        apply: (card) => ({ card, own: isOwn(card) }),
      })
    },
    onPhone(e) {
      const phone = e.detail.value
      const check = checkPhone(phone)
      this.setData({ phone, formError: '', phoneHint: phone.length >= 11 && !check.ok ? check.message : '' })
    },
    onSmsCode(e) {
      this.setData({ smsCode: e.detail.value, formError: '' })
    },
    async onSendCode() {
      const phone = checkPhone(this.data.phone)
      if (!phone.ok) {
        wx.showToast({ title: phone.message, icon: 'none' })
        return
      }
      try {
        await sendWithCountdown(this, phone.value, 'change_phone')
      } catch (err) {
        toastError(err)
      }
    },
    async onSubmit() {
      const phone = checkPhone(this.data.phone)
      const problem =
        (phone.ok ? '' : phone.message) || (/^\d{6}$/.test(this.data.smsCode) ? '' : '请输入6位短信验证码')
      if (problem) {
        wx.showToast({ title: problem, icon: 'none' })
        return
      }
      this.setData({ submitting: true, formError: '' })
      try {
        const card = await cards.changeCardPhone(this.data.cardId, { phone: phone.value, smsCode: this.data.smsCode })
        this.setData({ card })
        wx.showToast({ title: '手机号已更换', icon: 'success' })
        wx.navigateBack()
      } catch (err) {
        // shown on the page: a refusal here says what to do (another phone, a new code)
        this.setData({ formError: err.message })
      } finally {
        this.setData({ submitting: false })
      }
    },
  },
})
