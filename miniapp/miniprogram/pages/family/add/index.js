// Linking a family member: the SMS code goes to the member's phone, so the member agrees.
const family = require('../../../services/family')
const { checkIdNumber, checkPhone, checkName, RELATIONS } = require('../../../utils/identity')
const { sendWithCountdown, stopCountdown } = require('../../../utils/sms-countdown')
const { toastError, alertError } = require('../../../utils/page')

Component({
  data: {
    relations: RELATIONS,
    relationIndex: -1,
    name: '',
    idNumber: '',
    phone: '',
    smsCode: '',
    idHint: '',
    idOk: false,
    nameHint: '',
    phoneHint: '',
    smsWait: 0,
    smsHint: '',
    submitting: false,
  },
  methods: {
    onLoad() {},
    onUnload() {
      stopCountdown(this)
    },
    onRelation(e) {
      this.setData({ relationIndex: Number(e.detail.value) })
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
    validate() {
      if (this.data.relationIndex < 0) return '请选择与家人的关系'
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
        await sendWithCountdown(this, checkPhone(this.data.phone).value, 'add_family')
      } catch (err) {
        toastError(err)
      }
    },
    async onSubmit() {
      const problem = this.validate() || (/^\d{6}$/.test(this.data.smsCode) ? '' : '请输入6位短信验证码')
      if (problem) {
        wx.showToast({ title: problem, icon: 'none' })
        return
      }
      this.setData({ submitting: true })
      try {
        await family.addFamilyMember({
          name: checkName(this.data.name).value,
          idNumber: checkIdNumber(this.data.idNumber).value,
          phone: checkPhone(this.data.phone).value,
          relation: RELATIONS[this.data.relationIndex].value,
          smsCode: this.data.smsCode,
        })
        wx.showToast({ title: '添加成功', icon: 'success' })
        wx.navigateBack()
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
