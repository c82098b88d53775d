const cards = require('../../../services/cards')
const { checkIdNumber, checkPhone, checkName } = require('../../../utils/identity')
const { sendWithCountdown, stopCountdown } = require('../../../utils/sms-countdown')
const { toastError, alertError } = require('../../../utils/page')
const { prepareSubscriptions, askToSubscribe } = require('../../../utils/subscribe')

Component({
  data: {
    name: '',
    idNumber: '',
    phone: '',
    smsCode: '',
    idHint: '',
    idOk: false,
    phoneHint: '',
    nameHint: '',
    smsWait: 0,
    smsHint: '',
    submitting: false,
    agreed: false,
  },
  methods: {
    onLoad() {
      prepareSubscriptions()
    },
    onUnload() {
      stopCountdown(this)
    },
    onName(e) {
      const name = e.detail.value
      const check = checkName(name)
      this.setData({ name, nameHint: name && !check.ok ? check.message : '' })
    },
    onIdNumber(e) {
      const idNumber = String(e.detail.value || '').toUpperCase()
      const check = checkIdNumber(idNumber)
      this.setData({
        idNumber,
        idOk: check.ok,
        idHint: !idNumber ? '' : check.ok ? '身份证号格式正确' : check.partial ? '' : check.message,
      })
    },
    onPhone(e) {
      const phone = e.detail.value
      const check = checkPhone(phone)
      this.setData({ phone, phoneHint: phone.length >= 11 && !check.ok ? check.message : '' })
    },
    onSmsCode(e) {
      this.setData({ smsCode: e.detail.value })
    },
    onAgree(e) {
      this.setData({ agreed: e.detail.value.length > 0 })
    },
    // the ID number is checked before a code is spent on the phone
    validate() {
      const name = checkName(this.data.name)
      if (!name.ok) return name.message
      const id = checkIdNumber(this.data.idNumber)
      if (!id.ok) return id.partial ? '请输入18位身份证号' : id.message
      const phone = checkPhone(this.data.phone)
      if (!phone.ok) return phone.message
      return ''
    },
    async onSendCode() {
      const problem = this.validate()
      if (problem) {
        wx.showToast({ title: problem, icon: 'none' })
        return
      }
      try {
        await sendWithCountdown(this, checkPhone(this.data.phone).value, 'claim_card')
      } catch (err) {
        toastError(err)
      }
    },
    async onSubmit() {
      const problem =
        this.validate() ||
        (/^\d{6}$/.test(this.data.smsCode) ? '' : '请输入6位短信验证码') ||
        (this.data.agreed ? '' : '请先阅读并同意实名领卡须知')
      if (problem) {
        wx.showToast({ title: problem, icon: 'none' })
        return
      }
      this.setData({ submitting: true })
      try {
        // asked in the claim's tap (WeChat allows it only then): who links the card, refunds, deposits
        await askToSubscribe('claim_card')
        const card = await cards.claimCard({
          name: checkName(this.data.name).value,
          idNumber: checkIdNumber(this.data.idNumber).value,
          phone: checkPhone(this.data.phone).value,
          smsCode: this.data.smsCode,
        })
        wx.showToast({ title: '领卡成功', icon: 'success' })
        wx.redirectTo({ url: `/pages/cards/qrcode/index?card_id=${card.card_id}` })
      } catch (err) {
        if (err.code === 'phone_mismatch') {
          // the card exists: only its registered phone (shown masked) can receive the code
          // the code sent to the other phone is spent; a new one may go out to the registered phone now
          stopCountdown(this)
          this.setData({ phoneHint: err.message, smsCode: '', smsWait: 0, smsHint: '' })
          alertError(err, '请使用登记的手机号')
        } else {
          toastError(err)
        }
      } finally {
        this.setData({ submitting: false })
      }
    },
  },
})
