// What both clients tell people: a sentence for every error code and limit rule the backend
// answers, a label for every status, and the text of every kind of message. The web app imports
// this file (Vite); the mini-program's build step (miniapp/scripts/build-npm.js) copies it as
// CommonJS into miniprogram_npm/. miniapp/test/unit/shared-texts.test.js reads the backend's
// source and fails when a code, rule, status or message kind has no text here, or when a text
// is kept for one the backend no longer has.
import { fenToYuan } from './money.js'

export const ERROR_SENTENCES = {
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
  upstream_failed: '外部服务暂时不可用，请稍后再试',
  internal: '服务出现异常，请稍后再试',
  retry: '系统繁忙，请再试一次',
  // login
  unauthorized: '请先登录',
  invalid_token: '登录已失效，请重新登录',
  invalid_wx_code: '微信登录失败，请重试',
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
  phone_mismatch: '该证件已登记其他手机号，请使用登记的手机号接收验证码',
  owner_only: '这张卡已由持卡人本人领取，只有本人可以进行此操作',
  same_phone: '新手机号与当前登记的手机号相同，无需更换',
  link_not_found: '该关联已结束或不存在，请刷新后查看',
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
  schedule_closed: '该时段已开始就诊或已停诊，不能再预约',
  not_released: '该号源尚未放号',
  already_held: '该就诊人已预约或锁定了这个时段，请先完成支付',
  already_booked: '该就诊人已预约了这个时段，不能重复预约',
  sold_out: '该时段已约满，请选择其他时段',
  limit_exceeded: '操作受限，请稍后再试',
  bill_day_not_found: '医院尚未上传这一天的费用明细',
  streams_full: '候诊大屏连接过多，请稍后再试',
  busy: '同时登录的人太多，请稍候几秒再试',
  hold_not_found: '没有找到锁号记录，请重新选择号源',
  hold_expired: '锁号已超时，号源已释放，请重新选择号源',
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
  // QR codes and clinic terminals
  qr_malformed: '这不是电子健康卡二维码',
  qr_unknown: '二维码对应的健康卡不存在',
  qr_revoked: '该二维码已因换卡作废',
  qr_expired: '二维码已过期，请刷新后出示',
  qr_tampered: '二维码校验失败',
  qr_reused: '该二维码已使用过，请刷新后出示',
  qr_static_not_allowed: '静态码仅用于身份识别，签到须出示动态码',
  card_mismatch: '二维码与预约的就诊人不一致',
  not_checkinable: '该预约当前不能签到',
  not_today: '只能在就诊当天签到',
  already_checked_in: '该预约已签到，无需重复签到',
  queue_empty: '当前没有候诊的患者',
  terminal_unauthenticated: '终端未认证，请重新设置终端凭据',
  bad_signature: '终端签名校验失败，请检查终端编号与密钥',
  stale_timestamp: '终端时间与服务器相差过大',
  replayed_nonce: '重复的请求已被拒绝，请重试',
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
  admission_not_found: '没有找到该住院记录，请核对医院、就诊人和住院号',
  invalid_items: '费用明细有误',
  invalid_amount: '充值金额不正确',
  invalid_admission: '住院信息有误',
  admission_discharged: '该患者已出院，不能在线缴纳预缴金，请到医院结算',
  deposit_not_found: '没有找到该笔预缴金',
  deposit_not_payable: '该笔预缴金订单已失效，请重新发起充值',
  deposit_not_refundable: '该笔预缴金当前不能退款',
  deposit_mismatch: '预缴金金额与订单不一致',
  // reports
  report_not_found: '没有找到该报告',
  pdf_not_found: '该报告暂无PDF版本',
  pdf_link_invalid: '报告下载链接已失效，请返回重新打开',
  invalid_report: '报告信息有误',
  invalid_results: '报告结果有误，整份报告未接收',
  invalid_pdf: '上传的文件不是有效的PDF',
  pdf_too_large: 'PDF文件不能超过10MB',
  // outpatient charges (门诊缴费)
  charge_not_found: '没有找到该缴费单',
  charge_paid: '该缴费单已缴费',
  charge_changed: '医院已修改或撤销该缴费单，请刷新后重新选择',
  charge_in_payment: '该缴费单正在支付中（可能是家人正在为您缴费），请稍后刷新',
  charge_not_payable: '医保缴费单请到医院窗口结算',
  pay_group_incomplete: '同一组的缴费单需要一起缴费',
  charge_patient_mismatch: '该缴费单号已属于其他患者',
  charge_not_rejectable: '该缴费单当前不能退回',
  charge_not_refundable: '该缴费单当前不能退费',
  refund_exceeds_paid: '退费金额超过了可退金额',
  refund_no_reused: '该退费单号已用于其他金额',
  charge_order_not_found: '没有找到该笔缴费订单',
  charge_order_not_payable: '该笔缴费订单已失效，请重新选择缴费',
  payment_not_refundable: '该笔支付当前不能退款',
  invalid_versions: '缴费单版本信息有误，请刷新后重试',
  invalid_selection: '所选缴费单有误，请重新选择',
  // release waiting room (放号排队)
  not_admitted: '放号高峰排队中，请先取号排队，轮到您后再挂号',
  room_not_open: '现在无需排队，可直接挂号',
  ticket_not_found: '没有找到该排队号，请重新取号',
  // hospital systems
  his_unauthenticated: '医院系统接口未授权',
  invalid_cursor: '分页参数有误',
  // messages (subscribe-message allowances)
  unknown_kind: '不支持订阅该类消息',
  invalid_answer: '订阅结果有误，请重试',
}

// Codes the clients make themselves (the backend never answers them)
export const CLIENT_ERROR_SENTENCES = {
  network: '网络连接失败，请检查网络后重试',
}

// limit_exceeded carries the rule that refused: a sentence per rule
export const LIMIT_RULES = {
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
  wx_login_ip: '当前网络登录太频繁，请稍后再试',
  stream_ip: '当前网络打开的候诊大屏过多，请稍后再试',
}

// A label per value of every status enum in backend/*/rules.py, keyed by the enum's name.
export const STATUS_LABELS = {
  BookingStatus: {
    confirmed: '已预约',
    checked_in: '已签到',
    called: '已叫号',
    no_show: '已爽约',
    cancelled: '已取消',
    suspended: '已停诊',
  },
  HoldState: {
    held: '待支付',
    confirmed: '已预约',
    released: '已释放',
    expired: '已超时',
    suspended: '已停诊',
    cancelled: '已取消',
  },
  CardStatus: { active: '正常', cancelled: '已作废' },
  ScheduleStatus: { open: '出诊', suspended: '停诊', retired: '已撤销' },
  CatalogStatus: { active: '启用', retired: '已停用' },
  // a session as residents see it
  SeenStatus: {
    not_released: '未放号',
    open: '可预约',
    full: '已约满',
    ended: '已结束',
    suspended: '已停诊',
    retired: '已撤销',
  },
  DepositStatus: { created: '待支付', paid: '已缴纳', closed: '已关闭', refunding: '退款中', refunded: '已退款' },
  PaymentStatus: { created: '待支付', paid: '已支付', refund_pending: '退款中', refunded: '已退款', closed: '已关闭' },
  RefundStatus: {
    pending: '退款处理中',
    processing: '退款处理中',
    success: '已原路退回',
    closed: '退款关闭，请联系医院',
    abnormal: '退款异常，请联系医院',
  },
  TerminalStatus: { active: '启用', disabled: '停用' },
  ReportStatus: { preliminary: '待审核', final: '已出报告', amended: '已更正', cancelled: '已撤销' },
  // an outpatient charge as residents and the console see it
  ChargeStatus: {
    unpaid: '待缴费',
    paid: '已缴费，等待医院确认',
    acknowledged: '已缴费',
    rejected: '医院未能结算，已全额退款',
    refunded: '已退费',
    voided: '已撤销',
  },
  OrderStatus: { open: '待支付', paid: '已支付', closed: '已关闭', refused: '已退款' },
  // a ticket of the release waiting room (放号排队)
  TicketStatus: { waiting: '排队中', admitted: '已轮到您，请尽快挂号', expired: '排队资格已过期' },
  // where a booking stands in its session's queue (GET /bookings/{id}/queue)
  QueueStatus: {
    not_checked_in: '未签到',
    waiting: '候诊中',
    called: '正在叫您，请就诊',
    done: '已就诊',
    cancelled: '预约已取消',
  },
}

export const BOOKING_STATUS = STATUS_LABELS.BookingStatus
export const SCHEDULE_STATUS = STATUS_LABELS.SeenStatus
export const QUEUE_STATUS = STATUS_LABELS.QueueStatus
export const TICKET_STATUS = STATUS_LABELS.TicketStatus
// GET /payments/{out_trade_no} of a booking calls its paid payment "booked"
export const PAYMENT_STATUS = { ...STATUS_LABELS.PaymentStatus, booked: '预约成功' }
export const REFUND_STATUS = STATUS_LABELS.RefundStatus
export const DEPOSIT_STATUS = STATUS_LABELS.DepositStatus
export const CHARGE_STATUS = STATUS_LABELS.ChargeStatus
// why an unpaid charge cannot be selected (not_payable_reason of GET /outpatient/charges)
export const CHARGE_NOT_PAYABLE = {
  insurance: '医保缴费单，请到医院窗口结算',
  in_payment: '正在支付中',
}
// a refund of a charge as the resident sees it
export const CHARGE_REFUND_STATUS = { refunding: '退款中', refunded: '已原路退回', failed: '退款异常，请联系医院' }
export const CHARGE_REFUND_KIND = { reject: '医院未能结算', refund: '医院退费' }

// How a family member relates to the account (backend/family/rules.py)
export const RELATIONS = {
  self: '本人',
  spouse: '配偶',
  child: '子女',
  parent: '父母',
  sibling: '兄弟姐妹',
  grandparent: '祖父母/外祖父母',
  grandchild: '孙子女/外孙子女',
  relative: '其他亲属',
  other: '其他',
}

// Item categories of an inpatient bill
export const BILL_CATEGORIES = {
  drug: '药品',
  exam: '检查',
  lab: '检验',
  treatment: '治疗',
  nursing: '护理',
  bed: '床位',
  material: '材料',
  other: '其他',
}

// Kinds of report and the flag of a result line (backend/reports/rules.py)
export const REPORT_KINDS = { lab: '检验', imaging: '检查', pathology: '病理', exam: '体检' }
export const RESULT_FLAGS = { normal: '正常', high: '偏高', low: '偏低', abnormal: '异常', critical: '危急值' }
export const REPORT_STATUS = STATUS_LABELS.ReportStatus

const pad = (n) => String(n).padStart(2, '0')

// ISO text with any offset -> "YYYY-MM-DD HH:MM" on the Asia/Shanghai wall clock (UTC+8, no DST)
export function shanghaiDateTime(iso) {
  const ms = Date.parse(iso || '')
  if (Number.isNaN(ms)) return ''
  const d = new Date(ms + 8 * 3600 * 1000)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

const BY_STATUS = {
  400: 'invalid_request',
  401: 'invalid_token',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'invalid_request',
  429: 'limit_exceeded',
}

// The sentence for an error body {code, message, ...details} and its HTTP status: the code's
// sentence made precise by the details the backend sends with it.
export function describeError(error, status) {
  const body = error || {}
  const code = body.code
  const fallback = BY_STATUS[status] || (status >= 500 ? 'internal' : 'bad_request')
  let text = ERROR_SENTENCES[code] || CLIENT_ERROR_SENTENCES[code] || ERROR_SENTENCES[fallback]
  const at = shanghaiDateTime
  if (code === 'limit_exceeded' && LIMIT_RULES[body.rule]) text = LIMIT_RULES[body.rule]
  if (code === 'limit_exceeded' && body.until) text += `，${at(body.until)} 后可再试`
  if (code === 'removal_locked' && body.removable_at) text = `绑定满45天后才能解除，${at(body.removable_at)} 起可解除`
  if (code === 'not_released' && body.release_at) text = `该号源将于 ${at(body.release_at)} 放号`
  if (code === 'not_admitted' && body.ticket_status === 'expired') text = '您的挂号资格已过期，请在放号排队结束后再试'
  if (code === 'not_admitted' && Number.isInteger(body.position)) {
    text = `排队中：您排在第${body.position}位，当前已放行至第${body.admitted_through}位`
  }
  if (code === 'room_not_open' && body.opens_at) text = `放号排队将于 ${at(body.opens_at)} 开始`
  if (code === 'invalid_sms_code' && Number.isInteger(body.attempts_left)) text += `，还可再试${body.attempts_left}次`
  if (code === 'cancel_deadline_passed' && body.deadline) text = `退号截止时间为 ${at(body.deadline)}，已不能取消`
  if (code === 'family_full' && body.limit) text = `最多只能添加${body.limit}位家人`
  if (code === 'already_held' && body.state === 'booked') text = ERROR_SENTENCES.already_booked
  if (code === 'phone_mismatch' && body.phone_masked) {
    text = `该证件已登记手机号 ${body.phone_masked}，请使用该手机号接收验证码`
  }
  return text
}

const relation = (r) => RELATIONS[r] || '家人'

// Every kind of message the backend puts in a resident's inbox (notifications.enqueue(kind=...)):
// its title and body from the payload.
export const MESSAGE_KINDS = {
  schedule_suspended: {
    title: '停诊通知',
    body: (p) =>
      `您预约的 ${p.hospital || ''} ${p.department || ''} ${p.doctor || ''}（${p.date || ''} ${p.start || ''}）已停诊` +
      `${p.reason ? `，原因：${p.reason}` : ''}。您的预约已取消` +
      `${p.refund_fen ? `，挂号费 ¥${fenToYuan(p.refund_fen)} 将原路退回` : ''}。`,
  },
  card_linked: {
    title: '您的健康卡被关联',
    body: (p) =>
      `您的电子健康卡被 ${p.account_masked || '一个微信账号'} 以“${relation(p.relation)}”身份关联` +
      `${p.linked_at ? `（${shanghaiDateTime(p.linked_at)}）` : ''}。对方可为您出示二维码、预约挂号；` +
      '如不认识该账号，请查看并结束关联。',
  },
  booking_confirmed: {
    title: '预约成功',
    body: (p) =>
      `您已预约 ${p.hospital || ''} ${p.department || ''} ${p.doctor || ''}，就诊时间 ${p.date || ''} ${p.start || ''}` +
      `${p.visit_number ? `，就诊序号 ${p.visit_number} 号` : ''}。请按时到院，凭电子健康卡签到。`,
  },
  visit_reminder: {
    title: '就诊提醒',
    body: (p) =>
      `您明天（${p.date || ''} ${p.start || ''}）在 ${p.hospital || ''} ${p.department || ''} 就诊` +
      `${p.visit_number ? `，序号 ${p.visit_number} 号` : ''}，请携带电子健康卡按时到院。`,
  },
  queue_reminder: {
    title: '候诊提醒',
    body: (p) =>
      `${p.hospital || ''} ${p.department || ''}：您的 ${p.visit_number || ''} 号前面还有 ${p.ahead || ''} 位，` +
      '请到诊区候诊。',
  },
  queue_called: {
    title: '叫号通知',
    body: (p) => `${p.hospital || ''} ${p.department || ''}：已叫到您的 ${p.visit_number || ''} 号，请到诊室就诊。`,
  },
  refund_done: {
    title: '退款成功',
    body: (p) =>
      `${{ booking: '挂号费', deposit: '住院预缴金', charges: '门诊缴费' }[p.purpose] || '款项'} ` +
      `¥${fenToYuan(p.amount_fen || 0)} 已原路退回${p.refunded_at ? `（${shanghaiDateTime(p.refunded_at)}）` : ''}。`,
  },
  deposit_credited: {
    title: '预缴金到账',
    body: (p) =>
      `您为 ${p.hospital || ''} 住院号 ${p.admission_no || ''} 缴纳的预缴金 ¥${fenToYuan(p.amount_fen || 0)} 已到账。`,
  },
  balance_low: {
    title: '预缴金余额不足',
    body: (p) =>
      `${p.hospital || ''} 住院号 ${p.admission_no || ''} 的预缴金余额为 ¥${fenToYuan(p.balance_fen || 0)}，` +
      '请及时充值，以免影响治疗。',
  },
  card_link_ended: {
    title: '家人健康卡关联已结束',
    body: (p) =>
      `您以“${relation(p.relation)}”身份关联的一张电子健康卡，已由${p.ended_by === 'owner' ? '持卡人本人' : '您'}结束关联` +
      `${p.ended_at ? `（${shanghaiDateTime(p.ended_at)}）` : ''}。您不能再使用这张卡，为其锁定但未支付的号源已释放，` +
      '已支付的预约仍保留在该卡上。',
  },
  report_ready: {
    title: '报告已出',
    body: (p) =>
      `${p.hospital || ''} 的“${p.title || '检查检验'}”报告已出` +
      (p.critical ? '，其中有危急值，请尽快查看并遵医嘱就诊。' : '，可在“报告查询”中查看。'),
  },
}

// outpatient charges (门诊缴费)
Object.assign(MESSAGE_KINDS, {
  charge_waiting: {
    title: '门诊待缴费',
    body: (p) =>
      `${p.hospital || ''} ${p.department || ''} 有一笔待缴费用` +
      `${Number.isInteger(p.total_fen) ? ` ¥${fenToYuan(p.total_fen)}` : ''}，可在“门诊缴费”中查看并支付。`,
  },
  charge_paid: {
    title: '门诊缴费成功',
    body: (p) =>
      `您在 ${p.hospital || ''} 的 ${p.charge_count || ''} 笔费用已缴费` +
      `${Number.isInteger(p.amount_fen) ? ` ¥${fenToYuan(p.amount_fen)}` : ''}，请留意取药、检查指引。`,
  },
})

// {title, body} of one inbox message; a kind this client does not know yet still reads sensibly
export function describeMessage(note) {
  const kind = MESSAGE_KINDS[(note || {}).kind]
  const payload = (note && note.payload) || {}
  if (!kind) return { title: '系统消息', body: payload.text || '您有一条新消息' }
  return { title: kind.title, body: kind.body(payload) }
}
