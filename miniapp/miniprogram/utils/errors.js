// Every error code the service answers, as a sentence a resident understands. The table is
// checked against the backend's source by test/unit/errors.test.js, so a new backend code
// without a sentence here fails the build.
const { formatDateTime } = require('./time')

const SENTENCES = {
  // request shape and transport
  bad_request: '请求有误，请检查后重试',
  invalid_request: '填写的内容有误，请检查后重试',
  not_found: '没有找到相关记录',
  forbidden: '没有权限进行此操作',
  conflict: '操作与当前状态冲突，请刷新后重试',
  method_not_allowed: '不支持的操作',
  request_timeout: '请求超时，请重试',
  payload_too_large: '提交的内容过大',
  unsupported_media_type: '提交的内容格式不受支持',
  range_not_satisfiable: '请求的范围无效',
  gone: '该内容已失效，请刷新后重试',
  unprocessable: '提交的内容无法处理，请检查后重试',
  illegal_transition: '当前状态下不能进行此操作，请刷新后重试',
  unavailable: '服务暂时不可用，请稍后再试',
  busy: '同时登录的人太多，请稍候几秒再试',
  upstream_failed: '外部服务暂时不可用，请稍后再试',
  internal: '服务出现异常，请稍后再试',
  network: '网络连接失败，请检查网络后重试',
  retry: '系统繁忙，请再试一次',
  // login
  unauthorized: '请先登录',
  invalid_token: '登录已失效，请重新进入小程序',
  invalid_wx_code: '微信登录失败，请重新进入小程序',
  wechat_unavailable: '微信服务暂时不可用，请稍后再试',
  account_disabled: '该账号已被停用，如有疑问请联系客服',
  // SMS codes
  invalid_phone: '手机号格式不正确，请输入11位中国大陆手机号',
  invalid_sms_code: '短信验证码不正确',
  sms_code_dead: '验证码输错次数过多，请重新获取',
  sms_code_expired: '验证码已失效，请重新获取',
  sms_unavailable: '短信服务暂时不可用，请稍后再试',
  // cards
  invalid_name: '姓名格式不正确，只能包含汉字、英文字母和·',
  invalid_id_number: '身份证号不正确，请核对后重新输入',
  identity_mismatch: '姓名与该身份证号登记的姓名不一致',
  already_claimed: '该身份证号已被其他微信账号领取为本人卡，可由其添加您为家人',
  self_card_exists: '您已领取本人的电子健康卡，其他人请通过“家人管理”添加',
  card_not_found: '没有找到这张健康卡',
  card_inactive: '这张健康卡当前不可用',
  // family
  invalid_relation: '请选择与家人的关系',
  family_full: '最多只能添加10位家人',
  cannot_link_self: '这是您本人的健康卡，无需添加为家人',
  already_linked: '该家人已添加，无需重复添加',
  removal_locked: '绑定满45天后才能解除绑定',
  // catalog and booking
  hospital_not_found: '没有找到该医院',
  department_not_found: '没有找到该科室',
  schedule_not_found: '没有找到该号源',
  schedule_suspended: '该医生本次出诊已停诊',
  schedule_closed: '该时段已开始就诊，不能再预约',
  not_released: '该号源尚未放号',
  already_held: '该就诊人已预约或锁定了这个时段',
  already_booked: '该就诊人已预约了这个时段',
  sold_out: '该时段已约满，请选择其他时段',
  limit_exceeded: '操作受限，请稍后再试',
  hold_not_found: '没有找到锁号记录，请重新选择号源',
  hold_expired: '锁号已超时，请重新选择号源',
  not_cancellable: '该预约当前不能取消',
  cancel_deadline_passed: '已过退号截止时间，不能取消',
  booking_not_found: '没有找到该预约',
  // payments
  payment_unavailable: '支付服务暂时不可用，请稍后再试',
  store_unavailable: '服务繁忙，请稍后再试',
  database_unavailable: '服务暂时不可用，请稍后再试',
  already_paid: '该订单已支付，无需重复支付',
  unknown_order: '没有找到该支付订单',
  not_payable: '该订单当前不能支付',
  invalid_notification: '支付结果校验失败',
  no_standin: '开发环境未启用模拟支付',
  // QR codes and clinic terminals (shown to residents only through messages, kept complete)
  qr_malformed: '这不是电子健康卡二维码',
  qr_unknown: '二维码对应的健康卡不存在',
  qr_revoked: '该二维码已因换卡作废',
  qr_expired: '二维码已过期，请刷新后出示',
  qr_tampered: '二维码校验失败',
  qr_reused: '该二维码已使用过，请刷新后出示',
  qr_static_not_allowed: '静态码仅用于身份识别，请出示动态码',
  card_mismatch: '二维码与预约的就诊人不一致',
  not_checkinable: '该预约当前不能签到',
  not_today: '只能在就诊当天签到',
  already_checked_in: '该预约已签到',
  queue_empty: '当前没有候诊的患者',
  terminal_unauthenticated: '终端未授权',
  bad_signature: '请求签名无效',
  stale_timestamp: '请求时间与服务器相差过大',
  replayed_nonce: '重复的请求',
  terminal_disabled: '该终端已停用',
  // operators
  invalid_schedule: '排班数据有误',
  duplicate: '编码已存在',
  schedule_conflict: '排班时间冲突',
  invalid_referral: '转诊信息有误',
  already_suspended: '该出诊已停诊',
  invalid_credentials: '用户名或密码错误',
  weak_password: '密码强度不足，请设置更复杂的密码',
  invalid_operator: '运营账号信息有误',
  outside_hospital: '无权操作其他医院的数据',
  platform_only: '仅平台运营人员可进行此操作',
  invalid_hospital: '医院信息有误',
  hospital_retired: '该医院已停用',
  capacity_below_booked: '号源数不能少于已预约人数',
  has_bookings: '该出诊已有预约，请改为停诊',
  invalid_schedules: '排班数据有误，未导入任何一条',
  referral_not_found: '没有找到该转诊单',
  invalid_range: '查询的日期范围有误',
  invalid_date: '日期有误',
  // inpatient bills and deposits
  admission_not_found: '没有找到该住院记录，请核对医院和住院号',
  invalid_items: '费用明细有误',
  invalid_amount: '充值金额不正确',
  invalid_admission: '住院信息有误',
  admission_discharged: '该患者已出院，不能在线缴纳预缴金，请到医院结算',
  deposit_not_found: '没有找到该笔预缴金',
  deposit_not_payable: '该笔预缴金订单已失效，请重新发起充值',
  deposit_not_refundable: '该笔预缴金当前不能退款',
  deposit_mismatch: '预缴金金额与订单不一致',
  // hospital systems (shown to residents never, kept complete)
  his_unauthenticated: '医院系统接口未授权',
  invalid_cursor: '分页参数有误',
}

const LIMIT_RULES = {
  rate_account: '操作太频繁，请稍后再试',
  rate_ip: '当前网络请求太频繁，请稍后再试',
  daily_limit: '该就诊人当天的预约已达上限（每天最多3个）',
  department_daily_limit: '该就诊人当天在该科室已有预约',
  no_show_ban: '12个月内爽约3次，30天内不能预约',
  cancel_ban: '本月已退号3次，30天内不能预约',
  sms_ip_hourly: '当前网络获取验证码太频繁，请稍后再试',
  sms_resend_interval: '验证码已发送，60秒内不能重复获取',
  sms_daily_limit: '该手机号今天获取验证码次数已达上限',
  login_failures: '登录失败次数过多，请稍后再试',
  login_failures_ip: '当前网络登录失败次数过多，请稍后再试',
}

const BY_STATUS = {
  400: SENTENCES.invalid_request,
  401: SENTENCES.invalid_token,
  403: SENTENCES.forbidden,
  404: SENTENCES.not_found,
  409: SENTENCES.conflict,
  422: SENTENCES.invalid_request,
  429: SENTENCES.limit_exceeded,
}

// The sentence for an error body {code, message, ...details} and its HTTP status
function sentenceFor(error, status) {
  const body = error || {}
  const code = body.code
  let text = SENTENCES[code] || BY_STATUS[status] || (status >= 500 ? SENTENCES.internal : SENTENCES.bad_request)
  if (code === 'limit_exceeded' && LIMIT_RULES[body.rule]) text = LIMIT_RULES[body.rule]
  if (code === 'limit_exceeded' && body.until) text += `，${formatDateTime(body.until)} 后可再试`
  if (code === 'removal_locked' && body.removable_at) text = `绑定满45天后才能解除，${formatDateTime(body.removable_at)} 起可解除`
  if (code === 'not_released' && body.release_at) text = `该号源将于 ${formatDateTime(body.release_at)} 放号`
  if (code === 'invalid_sms_code' && Number.isInteger(body.attempts_left)) text += `，还可再试${body.attempts_left}次`
  if (code === 'cancel_deadline_passed' && body.deadline) text = `退号截止时间为 ${formatDateTime(body.deadline)}，已不能取消`
  if (code === 'family_full' && body.limit) text = `最多只能添加${body.limit}位家人`
  if (code === 'already_held' && body.state === 'booked') text = '该就诊人已预约了这个时段'
  return text
}

module.exports = { SENTENCES, LIMIT_RULES, sentenceFor }
