// Money is integer fen everywhere; yuan only as text for people. Integer arithmetic only, so
// nothing is lost to floating point. Shared by the web app (imported by Vite) and the
// mini-program (copied as CommonJS by miniapp/scripts/build-npm.js).

// 1250 -> "12.50"; anything that is not an integer number of fen -> ""
export function fenToYuan(fen) {
  if (fen === null || fen === undefined || fen === '') return ''
  const value = Number(fen)
  if (!Number.isInteger(value)) return ''
  const sign = value < 0 ? '-' : ''
  const abs = Math.abs(value)
  const cents = String(abs % 100).padStart(2, '0')
  return `${sign}${Math.floor(abs / 100)}.${cents}`
}

// 1250 -> "¥12.50"; no amount -> "—"
export function yuanLabel(fen) {
  const text = fenToYuan(fen)
  return text ? `¥${text}` : '—'
}

// "12", "12.5", "12.50", "12." -> fen; anything else (more than 2 decimals, signs, exponents,
// letters, more than 7 digits of yuan) -> null
export function yuanToFen(text) {
  const value = String(text === undefined || text === null ? '' : text).trim()
  const match = /^(\d{1,7})(?:\.(\d{0,2}))?$/.exec(value)
  if (!match) return null
  const decimals = (match[2] || '').padEnd(2, '0')
  return Number(match[1]) * 100 + Number(decimals)
}
