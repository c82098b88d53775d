// The same checks as the backend's GB 11643 rules, run while the resident types, so that a
// mistyped ID number is caught before an SMS code is spent on it.
const { RELATIONS: SHARED_RELATIONS } = require('../miniprogram_npm/ehealth-shared/texts.js')

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'
const PROVINCES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
  '83',
])

function checkDigit(first17) {
  let total = 0
  for (let i = 0; i < 17; i += 1) total += Number(first17[i]) * WEIGHTS[i]
  return CHECK[total % 11]
}

// {ok: true} or {ok: false, message}; `partial` true while the resident is still typing
// (fewer than 18 characters, nothing wrong yet).
function checkIdNumber(raw, today) {
  const value = String(raw || '')
    .trim()
    .toUpperCase()
  if (!/^\d{0,17}[\dX]?$/.test(value) || (value.length < 18 && value.includes('X'))) {
    return { ok: false, message: '身份证号只能是17位数字加1位数字或X' }
  }
  if (value.length >= 2 && !PROVINCES.has(value.slice(0, 2))) {
    return { ok: false, message: '前两位不是有效的省级行政区划代码' }
  }
  if (value.length < 18) return { ok: false, partial: true, message: `还差${18 - value.length}位` }
  if (value.slice(2, 6) === '0000') return { ok: false, message: '地区代码无效' }
  const year = Number(value.slice(6, 10))
  const month = Number(value.slice(10, 12))
  const day = Number(value.slice(12, 14))
  const born = new Date(Date.UTC(year, month - 1, day))
  if (born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) {
    return { ok: false, message: '出生日期不是真实存在的日期' }
  }
  const now = today || new Date()
  if (born.getTime() > now.getTime()) return { ok: false, message: '出生日期在未来' }
  if (year < 1900) return { ok: false, message: '出生日期早于1900年' }
  if (value.slice(14, 17) === '000') return { ok: false, message: '顺序码不能为000' }
  const expected = checkDigit(value.slice(0, 17))
  if (expected !== value[17]) {
    return { ok: false, message: `校验位不符：按前17位计算，最后一位应为 ${expected}，请核对` }
  }
  return { ok: true, value }
}

function checkPhone(raw) {
  const value = String(raw || '').replace(/[\s-]/g, '')
  if (/^1[3-9]\d{9}$/.test(value)) return { ok: true, value }
  return { ok: false, message: '请输入11位中国大陆手机号' }
}

function checkName(raw) {
  const value = String(raw || '').trim()
  if (value.length < 2 || value.length > 40) return { ok: false, message: '姓名需为2到40个字' }
  if (!/^[\u4e00-\u9fff\u3400-\u4dbfA-Za-z·•・ ]+$/.test(value))
    return { ok: false, message: '姓名只能包含汉字、英文字母、空格和·' }
  return { ok: true, value }
}

// the relations to pick from when adding a family member (labels shared with the web app)
const RELATIONS = Object.keys(SHARED_RELATIONS)
  .filter((value) => value !== 'self')
  .map((value) => ({ value, label: SHARED_RELATIONS[value] }))

function relationLabel(relation) {
  return SHARED_RELATIONS[relation] || relation
}

module.exports = { checkDigit, checkIdNumber, checkPhone, checkName, RELATIONS, relationLabel }
